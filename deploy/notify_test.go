package deploy_test

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// TestSyncdRunSpeaksTheServiceUnitsNotifyProtocol runs the real binary the
// way syncd.service does (Type=notify), against a throwaway database and
// the Sheets emulator, with a fake systemd listening on NOTIFY_SOCKET:
// syncd must send READY=1, and STOPPING=1 on SIGTERM before exiting 0.
// When the unit sets WatchdogSec it must also ping WATCHDOG=1 at least once
// per period: without the pings systemd would kill a healthy daemon every
// WatchdogSec, so the unit and the binary must agree.
func TestSyncdRunSpeaksTheServiceUnitsNotifyProtocol(t *testing.T) {
	w := newWorld(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	msgs := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(msgs)
				return
			}
			// One datagram may carry several newline-separated assignments.
			for _, l := range strings.Split(strings.TrimSpace(string(buf[:n])), "\n") {
				msgs <- l
			}
		}
	}()

	const watchdog = time.Second
	watchdogOn := len(directives(t, "syncd.service")["WatchdogSec"]) > 0
	cmd := exec.Command(w.syncd, "run")
	// No WATCHDOG_PID: go-systemd then takes the variable as meant for it.
	cmd.Env = append(w.env, "NOTIFY_SOCKET="+sock, "WATCHDOG_USEC=1000000")
	run := testworld.Start(t, "syncd run", cmd)
	logs := run.Log

	expect := func(want string, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case m := <-msgs:
				if m == want {
					return
				}
			case <-run.Done():
				t.Fatalf("syncd run exited (%v) before sending %s; its log:\n%s", run.Err(), want, logs.String())
			case <-deadline:
				t.Fatalf("no %s within %v; its log:\n%s", want, within, logs.String())
			}
		}
	}
	expect("READY=1", 60*time.Second)
	ready := time.Now()
	// Three pings, each due within half the period; allow generous slack
	// for a loaded machine, but fewer than one per watchdog period fails.
	if watchdogOn {
		for range 3 {
			expect("WATCHDOG=1", 2*watchdog)
		}
		t.Logf("READY, then 3 watchdog pings in %v", time.Since(ready).Round(time.Millisecond))
	} else {
		t.Log("syncd.service sets no WatchdogSec: watchdog pings not required")
	}

	if err := run.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("STOPPING=1", 20*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	select {
	case <-run.Done():
		if err := run.Err(); err != nil {
			t.Fatalf("syncd run after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-ctx.Done():
		t.Fatalf("syncd run did not exit within 30 s of SIGTERM (TimeoutStopSec)\n%s", logs.String())
	}
}
