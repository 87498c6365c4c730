package pglisten

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"
)

// session runs on one connection from the supervisor, which has already
// terminated the previous connection's server process and set keepalives:
// LISTEN, ring true, then serve until the connection fails or ctx is done.
// The supervisor closes the connection afterwards, and with it the LISTEN
// and the doorbell lock.
func (l *Listener) session(ctx context.Context, conn *pgx.Conn) error {
	defer l.lostDoorbell()

	// LISTEN before anything is reported: pgxlisten's rule ("starts
	// listening before handling any backlog"). LISTEN runs outside a
	// transaction, so it takes effect before Exec returns.
	lctx, cancel := context.WithTimeout(ctx, l.connectTimeout)
	_, err := conn.Exec(lctx, "LISTEN "+pgx.Identifier{l.channel}.Sanitize())
	cancel()
	if err != nil {
		return fmt.Errorf("listen %q: %w", l.channel, err)
	}
	// Only a listening connection counts as healthy: the backoff and the
	// failure count start over here, not when the connection opened.
	failures := l.sup.Ready()
	pid := conn.PgConn().PID()
	l.log.Info("listening", zap.Uint32("pid", pid), zap.Int("failed_attempts", failures))
	if l.hooks.ListeningBegin != nil {
		l.hooks.ListeningBegin(pid)
	}
	if failures > 0 && l.hooks.Reconnect != nil {
		l.hooks.Reconnect(failures)
	}

	// An Idle request made for the previous connection is moot: the ring
	// below makes the consumer drain, and it calls Idle again afterwards.
	l.mu.Lock()
	l.idleWanted = false
	l.mu.Unlock()
	l.ring(true)
	return l.serve(ctx, conn)
}

// lostDoorbell reports that the doorbell lock goes with the connection
// about to be closed.
func (l *Listener) lostDoorbell() {
	if l.armed.Swap(false) && l.hooks.Disarmed != nil {
		l.hooks.Disarmed()
	}
}

// serve waits for notifications on conn and operates the doorbell until the
// connection fails (it returns the error) or ctx is done (it returns
// ctx.Err()).
func (l *Listener) serve(ctx context.Context, conn *pgx.Conn) error {
	var (
		lastIO   = time.Now()  // the last time the connection proved alive
		armAt    time.Time     // when the next arming attempt is due
		armDelay time.Duration // the last retry delay
		armSince time.Time     // the first failed attempt of this Idle request
	)
	resetArm := func() { armAt, armDelay, armSince = time.Time{}, 0, time.Time{} }
	for {
		now := time.Now()
		l.mu.Lock()
		want := l.idleWanted
		if want && l.armed.Load() {
			l.idleWanted, want = false, false // Idle while armed is a no-op
		}
		if !want {
			resetArm()
		}
		if want && !now.Before(armAt) {
			l.mu.Unlock()
			ok, err := l.tryArm(ctx, conn)
			if err != nil {
				return err
			}
			lastIO = time.Now()
			if ok {
				l.finishIdle()
				resetArm()
				l.ring(false) // drain once more: writers that committed before arming
				continue
			}
			if armSince.IsZero() {
				armSince, armDelay = now, armRetryMin
			} else {
				armDelay = min(2*armDelay, armRetryMax)
			}
			if l.hooks.ArmBusy != nil {
				l.hooks.ArmBusy()
			}
			if l.armTimeout > 0 && time.Since(armSince) >= l.armTimeout {
				// Writers kept the doorbell off all this time, so they are
				// committing changes: let the consumer drain them and ask
				// again, rather than leaving them to the poll fallback.
				l.log.Debug("doorbell busy, ringing instead of arming", zap.Duration("tried_for", time.Since(armSince)))
				l.finishIdle()
				resetArm()
				l.ring(false)
				continue
			}
			armAt = time.Now().Add(armDelay)
			continue
		}
		deadline := lastIO.Add(l.pingInterval)
		if want && armAt.Before(deadline) {
			deadline = armAt
		}
		// Checked and installed under one lock: an Idle call after this
		// point sees cancelWait and interrupts the wait.
		waitCtx, cancel := context.WithDeadline(ctx, deadline)
		l.cancelWait = cancel
		l.mu.Unlock()

		n, err := conn.WaitForNotification(waitCtx)

		l.mu.Lock()
		l.cancelWait = nil
		l.mu.Unlock()
		cancel()

		switch {
		case n != nil:
			lastIO = time.Now()
			if err := l.notified(ctx, conn, n); err != nil {
				return err
			}
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.Canceled):
			// Interrupted by Idle: the pgx default context handler sets a
			// read deadline, and a timed-out read leaves the connection
			// usable (only other read errors close it).
		case errors.Is(err, context.DeadlineExceeded):
			if time.Since(lastIO) < l.pingInterval {
				continue // woke up to retry arming
			}
			// River pings after 5 s of silence: a half-open TCP connection
			// never delivers anything, and WaitForNotification alone would
			// wait on it forever.
			pctx, cancel := context.WithTimeout(ctx, l.connectTimeout)
			err := conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
			lastIO = time.Now()
		default:
			return fmt.Errorf("wait for notification: %w", err)
		}
	}
}

// notified handles one notification: disarm, then ring. Disarming first
// keeps the window in which writers serialise their commits short; the
// notification has done its job, and the consumer re-arms through Idle once
// it has drained.
func (l *Listener) notified(ctx context.Context, conn *pgx.Conn, n *pgconn.Notification) error {
	if l.hooks.Notification != nil {
		l.hooks.Notification(n)
	}
	if l.armed.Load() {
		qctx, cancel := context.WithTimeout(ctx, l.connectTimeout)
		var held bool
		err := conn.QueryRow(qctx, "SELECT pg_advisory_unlock($1)", l.doorbell).Scan(&held)
		cancel()
		if err != nil {
			return fmt.Errorf("disarm doorbell: %w", err)
		}
		if !held {
			// Only this connection takes the lock; it cannot have lost it
			// without losing the connection, which we would have seen.
			l.log.Warn("doorbell lock was not held when disarming")
		}
		l.armed.Store(false)
		if l.hooks.Disarmed != nil {
			l.hooks.Disarmed()
		}
	}
	l.finishIdle() // a pending Idle request is overtaken by this ring
	l.ring(false)
	return nil
}

// tryArm takes the doorbell lock without waiting. It fails while a writer
// that saw the doorbell unarmed holds the lock in shared mode: those writers
// sent no notification, so arming must wait until they have committed, and
// the drain after arming then sees their changes.
func (l *Listener) tryArm(ctx context.Context, conn *pgx.Conn) (bool, error) {
	qctx, cancel := context.WithTimeout(ctx, l.connectTimeout)
	defer cancel()
	var ok bool
	if err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", l.doorbell).Scan(&ok); err != nil {
		return false, fmt.Errorf("arm doorbell: %w", err)
	}
	if ok {
		l.armed.Store(true)
		l.log.Debug("doorbell armed")
		if l.hooks.Armed != nil {
			l.hooks.Armed()
		}
	}
	return ok, nil
}

// finishIdle marks the pending Idle request, if any, as done with.
func (l *Listener) finishIdle() {
	l.mu.Lock()
	l.idleWanted = false
	l.mu.Unlock()
}

// connectionLost reports whether err is one of the expected ways to lose a
// connection (server shutdown or restart, pg_terminate_backend, a dead
// network), as opposed to a misconfiguration or a bug. Both lead to a
// reconnect; only the log level differs. River lists similar cases in
// shouldIgnoreListenerError.
func connectionLost(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", // admin_shutdown: "terminating connection due to administrator command"
			"57P02", // crash_shutdown
			"57P03": // cannot_connect_now: the server is starting or stopping
			return true
		}
		return false
	}
	if pgconn.Timeout(err) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT) {
		return true
	}
	// pgx reports use of a connection it has already closed as "conn
	// closed" without a typed error.
	return err != nil && strings.Contains(err.Error(), "conn closed")
}
