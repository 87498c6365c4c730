package sdnotify

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"
)

// fakeSystemd listens where systemd would and returns the messages it gets.
func fakeSystemd(t *testing.T) <-chan string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", sock)
	msgs := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				return
			}
			msgs <- string(buf[:n])
		}
	}()
	return msgs
}

func next(t *testing.T, msgs <-chan string) string {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("systemd got no message")
		return ""
	}
}

func TestReadyStatusStoppingReachSystemd(t *testing.T) {
	msgs := fakeSystemd(t)
	for _, tc := range []struct {
		call func() (bool, error)
		want string
	}{
		{Ready, "READY=1"}, {func() (bool, error) { return Status("leader, 3 mirrors") }, "STATUS=leader, 3 mirrors"}, {Stopping, "STOPPING=1"},
	} {
		if sent, err := tc.call(); !sent || err != nil {
			t.Fatalf("%s: sent=%v err=%v", tc.want, sent, err)
		}
		if got := next(t, msgs); got != tc.want {
			t.Fatalf("systemd got %q, want %q", got, tc.want)
		}
	}
}

func TestOutsideSystemdEverythingIsANoOp(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	t.Setenv("WATCHDOG_USEC", "")
	if sent, err := Ready(); sent || err != nil {
		t.Fatalf("Ready outside systemd: sent=%v err=%v", sent, err)
	}
	if Watchdog(context.Background(), nil, nil) {
		t.Fatal("Watchdog ran without WATCHDOG_USEC")
	}
}

func TestWatchdogPingsAtHalfTheTimeout(t *testing.T) {
	msgs := fakeSystemd(t)
	t.Setenv("WATCHDOG_USEC", "20000") // 20 ms: pings every 10 ms
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan bool)
	go func() { done <- Watchdog(ctx, nil, zaptest.NewLogger(t)) }()
	for range 3 {
		if got := next(t, msgs); got != "WATCHDOG=1" {
			t.Fatalf("systemd got %q, want WATCHDOG=1", got)
		}
	}
	cancel()
	if !<-done {
		t.Fatal("Watchdog reported that it did not run")
	}
}

func TestWatchdogStopsPingingWhileTheMainLoopIsStuck(t *testing.T) {
	// alive is fine for 3 rounds, stuck for 3, then fine again for 2.
	var calls, pings atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	alive := func() error {
		n := calls.Add(1)
		if n == 8 {
			cancel()
		}
		if n >= 4 && n <= 6 {
			return errors.New("no batch for 5m")
		}
		return nil
	}
	runWatchdog(ctx, time.Millisecond, alive, zaptest.NewLogger(t), func() error { pings.Add(1); return nil })
	if got := pings.Load(); got != 5 {
		t.Fatalf("%d pings in 8 rounds with 3 stuck, want 5", got)
	}
}
