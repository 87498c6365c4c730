package pglisten_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/pglisten"
	"github.com/syncd/syncd/store"
)

func TestTerminatedBackendReconnectsAndRelistens(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	pid := wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	b.arm(t)

	var ok bool
	if err := b.writer.QueryRow(context.Background(), `SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&ok); err != nil || !ok {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, ok, err)
	}
	err := wait(t, b.sig.backoff, "backoff error")
	t.Logf("error after pg_terminate_backend: %v", err)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57P01" {
		t.Errorf("error = %v, want the server's 57P01 (terminating connection due to administrator command)", err)
	}
	wait(t, b.sig.disarmed, "disarmed with the lost connection")
	if pid2 := wait(t, b.sig.listening, "listening again"); pid2 == pid {
		t.Fatalf("listening on the terminated backend %d again", pid)
	}
	if n := wait(t, b.sig.reconnect, "reconnect"); n != 1 {
		t.Errorf("reconnect after %d failed attempts, want 1", n)
	}
	expectRing(t, b.l, true)
	if b.l.Armed() {
		t.Fatal("still armed after the connection holding the lock died")
	}
	// LISTEN was renewed and the doorbell works on the new connection.
	b.arm(t)
	b.expectDoorbellRings(t, 1)
}

// TestHalfOpenConnectionIsReplacedAndItsBackendTerminated freezes the armed
// listen connection: only the ping can notice, and the server keeps the old
// backend, which holds the doorbell lock, until the listener terminates it.
func TestHalfOpenConnectionIsReplacedAndItsBackendTerminated(t *testing.T) {
	t.Parallel()
	var f pgtest.Freezer
	b := setup(t, func(o *pglisten.Options, url string) {
		o.Connect = f.Connect(t, url)
		o.PingInterval = 50 * time.Millisecond
		o.ConnectTimeout = 500 * time.Millisecond
	})
	pid := wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	b.arm(t)

	f.FreezeLast()
	err := wait(t, b.sig.backoff, "backoff error")
	if !pgconn.Timeout(err) || !strings.HasPrefix(err.Error(), "ping: ") {
		t.Fatalf("error = %v, want a ping timeout", err)
	}
	if pid2 := wait(t, b.sig.listening, "listening again"); pid2 == pid {
		t.Fatalf("listening on the half-open backend %d again", pid)
	}
	expectRing(t, b.l, true)
	// The old backend still held the doorbell lock; arming succeeds only
	// because the listener terminated it.
	b.arm(t)
	b.expectDoorbellRings(t, 1)
	var alive bool
	if err := b.writer.QueryRow(context.Background(), `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)`, int64(pid)).Scan(&alive); err != nil {
		t.Fatal(err)
	}
	if alive {
		t.Fatalf("half-open backend %d still exists", pid)
	}
}

// TestServerRestartReconnectsAfterBackoff restarts the shared server, so it
// does not run in parallel: Go runs the parallel tests only after it.
func TestServerRestartReconnectsAfterBackoff(t *testing.T) {
	cluster := pgtest.Cluster(t)
	b := setup(t, func(o *pglisten.Options, _ string) {
		bo := backoff.NewExponentialBackOff()
		bo.InitialInterval = 10 * time.Millisecond
		bo.MaxInterval = 200 * time.Millisecond
		bo.MaxElapsedTime = 0
		o.BackOff = bo
	})
	wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	b.arm(t)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := cluster.Restart(ctx, true); err != nil {
		t.Fatalf("restart server: %v", err)
	}
	err := wait(t, b.sig.backoff, "backoff error")
	t.Logf("first error after the restart: %v", err)
	wait(t, b.sig.listening, "listening again")
	if n := wait(t, b.sig.reconnect, "reconnect"); n < 1 {
		t.Fatalf("reconnect after %d failed attempts, want at least 1", n)
	} else {
		t.Logf("reconnected after %d failed attempts", n)
	}
	expectRing(t, b.l, true)
	if b.l.Armed() {
		t.Fatal("still armed after the server restarted")
	}
	b.writer = connect(t, b.url) // the old one died with the server
	b.arm(t)
	b.expectDoorbellRings(t, 1)
}

func TestCancelReturnsNilPromptly(t *testing.T) {
	t.Parallel()
	// cancelAndCheck cancels Run and checks that it returns nil quickly and
	// that the consumer's calls still return at once afterwards.
	cancelAndCheck := func(t *testing.T, b *bundle) {
		t.Helper()
		start := time.Now()
		b.cancel()
		select {
		case err := <-b.done:
			if err != nil {
				t.Fatalf("Run = %v, want nil", err)
			}
			b.done <- nil // for the cleanup
		case <-time.After(waitTimeout):
			t.Fatal("Run did not return after cancellation")
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Run took %v to return after cancellation", d)
		}
		b.l.Idle()
		b.l.Idle()
		_ = b.l.Armed()
		select {
		case <-b.l.Ring():
		default:
		}
	}

	t.Run("while armed", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		expectRing(t, b.l, true)
		b.arm(t)
		cancelAndCheck(t, b)
		// Closing the connection released the doorbell. The backend exits
		// asynchronously, so let the server wait for the lock (bounded).
		exec(t, b.writer, `SET lock_timeout = '10s'`)
		exec(t, b.writer, `SELECT pg_advisory_lock($1)`, store.DoorbellLock)
		exec(t, b.writer, `SELECT pg_advisory_unlock($1)`, store.DoorbellLock)
	})

	t.Run("while retrying to arm", func(t *testing.T) {
		t.Parallel()
		b := setup(t, nil)
		expectRing(t, b.l, true)
		ctx := context.Background()
		tx, err := b.writer.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, `INSERT INTO items VALUES (1, 'x')`); err != nil {
			t.Fatal(err)
		}
		b.l.Idle()
		wait(t, b.sig.armBusy, "failed arming attempt")
		cancelAndCheck(t, b)
	})

	t.Run("during backoff", func(t *testing.T) {
		t.Parallel()
		sig := newSignals()
		l, err := pglisten.New(pglisten.Options{
			Connect: func(ctx context.Context) (*pgx.Conn, error) { return nil, errors.New("no database today") },
			Channel: "syncd",
			BackOff: backoff.NewConstantBackOff(time.Hour),
			Hooks:   sig.hooks(),
		})
		if err != nil {
			t.Fatal(err)
		}
		b := &bundle{l: l, sig: sig, done: make(chan error, 1)}
		b.start(t)
		wait(t, sig.backoff, "backoff error")
		cancelAndCheck(t, b) // interrupts an hour's wait
	})
}

func TestRunTwiceFails(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	if err := b.l.Run(context.Background()); err == nil {
		t.Fatal("second concurrent Run returned nil, want an error")
	}
}

func TestNewRequiresConnectAndChannel(t *testing.T) {
	t.Parallel()
	connect := func(ctx context.Context) (*pgx.Conn, error) { return nil, nil }
	if _, err := pglisten.New(pglisten.Options{Channel: "c"}); err == nil {
		t.Error("New without Connect succeeded")
	}
	if _, err := pglisten.New(pglisten.Options{Connect: connect}); err == nil {
		t.Error("New without Channel succeeded")
	}
}
