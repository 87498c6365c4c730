package dedicated_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd/internal/dedicated"
	"github.com/syncd/syncd/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// waitTimeout bounds every wait; tests wait for callbacks, never sleep for
// readiness.
const waitTimeout = 15 * time.Second

func connectTo(url string) func(context.Context) (*pgx.Conn, error) {
	return func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) }
}

// run runs s until use says so and returns Run's result, failing the test
// if that takes longer than waitTimeout.
func run(t *testing.T, ctx context.Context, s *dedicated.Supervisor, use func(context.Context, *pgx.Conn) error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, use) }()
	select {
	case err := <-done:
		return err
	case <-time.After(waitTimeout):
		t.Fatal("Run did not return")
		panic("unreachable")
	}
}

func mustNew(t *testing.T, opts dedicated.Options) *dedicated.Supervisor {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t)
	}
	s, err := dedicated.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConnectionHasServerKeepalives(t *testing.T) {
	t.Parallel()
	s := mustNew(t, dedicated.Options{Connect: connectTo(pgtest.NewDB(t))})
	err := run(t, context.Background(), s, func(ctx context.Context, conn *pgx.Conn) error {
		// The test server listens on a Unix socket, where the server shows
		// keepalives as 0; the source proves the session set them.
		rows, err := conn.Query(ctx, `SELECT name, source FROM pg_settings WHERE name LIKE 'tcp_keepalives_%' ORDER BY name`)
		if err != nil {
			return backoff.Permanent(err)
		}
		got := map[string]string{}
		var name, source string
		if _, err := pgx.ForEachRow(rows, []any{&name, &source}, func() error { got[name] = source; return nil }); err != nil {
			return backoff.Permanent(err)
		}
		for _, n := range []string{"tcp_keepalives_count", "tcp_keepalives_idle", "tcp_keepalives_interval"} {
			if got[n] != "session" {
				t.Errorf("%s set by %q, want the session", n, got[n])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHalfOpenPredecessorIsTerminated freezes a connection that holds a
// session lock: the server's end stays healthy and would keep the lock.
// The next connection can take the lock only because the supervisor
// terminated its predecessor's server process.
func TestHalfOpenPredecessorIsTerminated(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)
	var f pgtest.Freezer
	const lockKey = 4242
	var retried []error
	s := mustNew(t, dedicated.Options{
		Connect:  f.Connect(t, url),
		Timeout:  time.Second,
		BackOff:  &backoff.ZeroBackOff{},
		Retrying: func(err error, _ int, _ time.Duration) { retried = append(retried, err) },
	})
	errFrozen := errors.New("connection frozen")
	var pids []uint32
	err := run(t, context.Background(), s, func(ctx context.Context, conn *pgx.Conn) error {
		pids = append(pids, conn.PgConn().PID())
		if len(pids) == 1 {
			if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
				return backoff.Permanent(err)
			}
			f.FreezeLast()
			return errFrozen // as a caller whose ping timed out would
		}
		// The predecessor was signalled; it releases the lock as it exits.
		if _, err := conn.Exec(ctx, `SET lock_timeout = '10s'`); err != nil {
			return backoff.Permanent(err)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lockKey); err != nil {
			return backoff.Permanent(err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v; the lock was not released by the predecessor", err)
	}
	if len(pids) != 2 || pids[0] == pids[1] {
		t.Fatalf("backends %v, want two different ones", pids)
	}
	if len(retried) != 1 || !errors.Is(retried[0], errFrozen) {
		t.Fatalf("Retrying got %v, want only the frozen connection's error", retried)
	}
	if backendExists(t, url, pids[0]) {
		t.Fatalf("half-open backend %d still exists", pids[0])
	}
}

// backendExists reports whether the server still has a process pid.
func backendExists(t *testing.T, url string, pid uint32) bool {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var alive bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)`, int64(pid)).Scan(&alive); err != nil {
		t.Fatal(err)
	}
	return alive
}

// recordingBackOff waits nothing and records how it is used.
type recordingBackOff struct {
	mu     sync.Mutex
	next   int // NextBackOff calls since the last Reset
	resets int
}

func (b *recordingBackOff) NextBackOff() time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	return time.Duration(b.next) * time.Microsecond
}

func (b *recordingBackOff) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next = 0
	b.resets++
}

func TestFailuresBackOffUntilReady(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)
	errDown := errors.New("database down")
	attempts := 0
	bo := &recordingBackOff{}
	type retryCall struct {
		err      error
		failures int
		delay    time.Duration
	}
	var calls []retryCall
	s := mustNew(t, dedicated.Options{
		Connect: func(ctx context.Context) (*pgx.Conn, error) {
			attempts++
			if attempts <= 3 {
				return nil, errDown
			}
			return pgx.Connect(ctx, url)
		},
		BackOff:  bo,
		Retrying: func(err error, n int, d time.Duration) { calls = append(calls, retryCall{err, n, d}) },
	})
	errLost := errors.New("connection lost")
	sessions := 0
	var readyGot []int
	err := run(t, context.Background(), s, func(ctx context.Context, conn *pgx.Conn) error {
		sessions++
		readyGot = append(readyGot, s.Ready())
		if sessions == 1 {
			return errLost
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
	if len(calls) != 4 {
		t.Fatalf("Retrying called %d times (%v), want 4", len(calls), calls)
	}
	for i, c := range calls[:3] {
		if !errors.Is(c.err, errDown) || !strings.HasPrefix(c.err.Error(), "connect: ") {
			t.Errorf("failure %d: %v, want the connect error", i+1, c.err)
		}
		if c.failures != i+1 || c.delay != time.Duration(i+1)*time.Microsecond {
			t.Errorf("failure %d: failures %d, delay %v; want %d and the backoff's %v", i+1, c.failures, c.delay, i+1, time.Duration(i+1)*time.Microsecond)
		}
	}
	// Ready started the count and the backoff over.
	if c := calls[3]; !errors.Is(c.err, errLost) || c.failures != 1 || c.delay != time.Microsecond {
		t.Errorf("after Ready: %+v, want the lost connection as failure 1 after the shortest wait", c)
	}
	if want := []int{3, 1}; len(readyGot) != 2 || readyGot[0] != want[0] || readyGot[1] != want[1] {
		t.Errorf("Ready returned %v, want %v", readyGot, want)
	}
	if bo.resets != 3 { // Run's start and two Ready calls
		t.Errorf("backoff reset %d times, want 3", bo.resets)
	}
}

func TestUseDecidesWhenRunReturnsAndTheConnectionIsClosed(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)
	errFatal := errors.New("lead gave up")
	for _, tc := range []struct {
		name string
		ret  error
		want error
	}{
		{"nil", nil, nil},
		{"permanent", backoff.Permanent(errFatal), errFatal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := mustNew(t, dedicated.Options{
				Connect:  connectTo(url),
				Retrying: func(err error, _ int, _ time.Duration) { t.Errorf("Retrying(%v) although use did not fail", err) },
			})
			var used *pgx.Conn
			err := run(t, context.Background(), s, func(ctx context.Context, conn *pgx.Conn) error {
				used = conn
				return tc.ret
			})
			if err != tc.want {
				t.Fatalf("Run = %v, want %v", err, tc.want)
			}
			if !used.IsClosed() {
				t.Fatal("the connection is still open after Run returned")
			}
		})
	}
}

func TestCancelEndsRunWithoutRetrying(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDB(t)

	t.Run("while connected", func(t *testing.T) {
		t.Parallel()
		s := mustNew(t, dedicated.Options{
			Connect:  connectTo(url),
			Retrying: func(err error, _ int, _ time.Duration) { t.Errorf("Retrying(%v) after cancellation", err) },
		})
		ctx, cancel := context.WithCancel(context.Background())
		var used *pgx.Conn
		err := run(t, ctx, s, func(ctx context.Context, conn *pgx.Conn) error {
			used = conn
			cancel()
			<-ctx.Done()
			return ctx.Err()
		})
		if err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if !used.IsClosed() {
			t.Fatal("the connection is still open after Run returned")
		}
	})

	t.Run("during backoff", func(t *testing.T) {
		t.Parallel()
		failed := make(chan error, 10)
		s := mustNew(t, dedicated.Options{
			Connect:  func(context.Context) (*pgx.Conn, error) { return nil, errors.New("no database today") },
			BackOff:  backoff.NewConstantBackOff(time.Hour),
			Retrying: func(err error, _ int, _ time.Duration) { failed <- err },
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			<-failed
			cancel() // interrupts an hour's wait
		}()
		start := time.Now()
		if err := run(t, ctx, s, func(context.Context, *pgx.Conn) error { return nil }); err != nil {
			t.Fatalf("Run = %v, want nil", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("Run took %v to return after cancellation", d)
		}
	})
}

func TestStopBackOffWaitsTheLongestInstead(t *testing.T) {
	t.Parallel()
	failed := make(chan time.Duration, 10)
	s := mustNew(t, dedicated.Options{
		Connect:  func(context.Context) (*pgx.Conn, error) { return nil, errors.New("no database today") },
		BackOff:  &backoff.StopBackOff{},
		Retrying: func(_ error, _ int, d time.Duration) { failed <- d },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx, func(context.Context, *pgx.Conn) error { return nil }) }()
	select {
	case d := <-failed:
		if d != dedicated.DefaultMaxBackoff {
			t.Errorf("delay after backoff.Stop = %v, want %v", d, dedicated.DefaultMaxBackoff)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Retrying was not called")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil", err)
	}
}

func TestConnectReturningNoConnectionIsAFailure(t *testing.T) {
	t.Parallel()
	failed := make(chan error, 10)
	s := mustNew(t, dedicated.Options{
		Connect:  func(context.Context) (*pgx.Conn, error) { return nil, nil },
		BackOff:  backoff.NewConstantBackOff(time.Hour),
		Retrying: func(err error, _ int, _ time.Duration) { failed <- err },
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Run(ctx, func(context.Context, *pgx.Conn) error {
			t.Error("use called without a connection")
			return nil
		})
	}()
	select {
	case err := <-failed:
		if !strings.Contains(err.Error(), "no connection") {
			t.Errorf("error = %v, want one saying Connect returned no connection", err)
		}
	case <-time.After(waitTimeout):
		t.Fatal("Retrying was not called")
	}
	cancel()
	<-done
}

func TestRunTwiceAtOnceFails(t *testing.T) {
	t.Parallel()
	s := mustNew(t, dedicated.Options{Connect: connectTo(pgtest.NewDB(t))})
	err := run(t, context.Background(), s, func(ctx context.Context, conn *pgx.Conn) error {
		if err := s.Run(ctx, func(context.Context, *pgx.Conn) error { return nil }); err == nil {
			t.Error("a second concurrent Run returned nil, want an error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNewRequiresConnect(t *testing.T) {
	t.Parallel()
	if _, err := dedicated.New(dedicated.Options{}); err == nil {
		t.Fatal("New without Connect succeeded")
	}
}
