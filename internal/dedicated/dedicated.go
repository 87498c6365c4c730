// Package dedicated supervises a dedicated PostgreSQL connection: one that
// is not shared through a pool, because it carries session state (a LISTEN,
// session advisory locks) that must live and die with it. The listener
// (pglisten) and the leader election (leader) each keep one.
//
// A [Supervisor] opens the connection, prepares it, hands it to the
// caller's function and, when that function gives the connection up,
// closes it and opens a new one after a backoff, until its context ends.
// Preparing a connection means two things both callers need:
//
//   - Server-side TCP keepalives. A client that vanishes without closing
//     its socket (a host that lost its network) otherwise leaves a server
//     process that holds the session's locks until the kernel gives up on
//     the socket, which takes hours.
//   - Terminating the previous connection's server process. A connection
//     that died half-open (the client gave up on it, the server's end still
//     looks healthy) leaves a process that may never notice; the
//     supervisor remembers each connection's process and, on the next
//     connection, terminates it if it is still there, which every role may
//     do to its own processes.
//
// The loop follows jackc/pgxlisten (a connect function the caller owns, a
// new connection whenever the old one fails) and River's notifier
// (exponential backoff with jitter, callbacks that tests wait on instead of
// sleeping). Detecting a dead connection (pings, reads that fail) stays
// with the caller, who knows what its connection is for.
package dedicated

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd/internal/retry"
)

// Defaults for the zero values of [Options].
const (
	// DefaultTimeout bounds Connect and each statement the supervisor runs
	// to prepare a connection.
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBackoff is the longest wait between attempts of the default
	// backoff, jitter included, and the wait that replaces backoff.Stop.
	DefaultMaxBackoff = 30 * time.Second
)

// The server-side TCP keepalives set on every connection: the server drops
// a half-open session, and releases what it holds, after about
// KeepaliveIdle + KeepaliveInterval*KeepaliveCount = 30 s. That is well
// after a client's own checks (a ping or heartbeat every few seconds) have
// given the connection up, so the client never loses a session it still
// believes in. On a Unix-domain socket the server ignores them.
const (
	KeepaliveIdle     = 10 * time.Second
	KeepaliveInterval = 5 * time.Second
	KeepaliveCount    = 4
)

// keepaliveSQL runs as one simple-protocol round trip (Exec without
// arguments), so preparing a connection costs little.
var keepaliveSQL = fmt.Sprintf("SET tcp_keepalives_idle = %d; SET tcp_keepalives_interval = %d; SET tcp_keepalives_count = %d",
	int(KeepaliveIdle.Seconds()), int(KeepaliveInterval.Seconds()), KeepaliveCount)

// Options configure a [Supervisor]. Connect is required; every other zero
// value means the documented default.
type Options struct {
	// Connect opens a connection. It must return a dedicated connection
	// (pgx.Connect, pgx.ConnectConfig, or a pool connection taken over with
	// Hijack), never one shared through a pool or a transaction-mode
	// pooler such as PgBouncer: the session state it carries must die with
	// it. The supervisor closes the connections it gets. Keep pgx's default
	// context handling (a read deadline when a context ends), which leaves
	// a connection usable after an interrupted read; callers rely on that
	// to wait for notifications with a timeout.
	Connect func(ctx context.Context) (*pgx.Conn, error)

	// Timeout bounds Connect and each statement the supervisor runs to
	// prepare a connection. Zero means DefaultTimeout.
	Timeout time.Duration

	// BackOff chooses the wait before each new attempt after a failure.
	// Nil means exponential backoff with jitter from 500 ms up to
	// DefaultMaxBackoff, never giving up. The supervisor resets it when Run
	// starts and on [Supervisor.Ready]. A policy that returns backoff.Stop
	// waits DefaultMaxBackoff instead: the supervisor never gives up on the
	// database. Tests pass &backoff.ZeroBackOff{} to retry without
	// sleeping.
	BackOff backoff.BackOff

	// Retrying is called on Run's goroutine after each failed attempt
	// (connecting, preparing, or the function Run was given returned an
	// error), with that error, the number of consecutive failures since
	// the last Ready, and the wait before the next attempt. It is not
	// called once Run's context is done. Callers log there, in their own
	// words, and count failures; it must return quickly. Nil means the
	// supervisor logs a warning itself.
	Retrying func(err error, failures int, delay time.Duration)

	// Logger receives the supervisor's own logs, named "dedicated" under
	// the caller's logger. Nil means zap.NewNop().
	Logger *zap.Logger
}

// Supervisor keeps one dedicated connection at a time; see the package
// documentation. Create it with [New]. Run may run once at a time, and
// Ready may only be called from the function Run runs; the supervisor
// remembers the previous connection's server process from one Run to the
// next.
type Supervisor struct {
	connect  func(ctx context.Context) (*pgx.Conn, error)
	timeout  time.Duration
	backoff  backoff.BackOff
	retrying func(err error, failures int, delay time.Duration)
	log      *zap.Logger

	running atomic.Bool

	// Only the goroutine running Run uses these.
	failures int     // consecutive failed attempts since the last Ready
	prev     backend // the server process of the last connection
}

// backend identifies a server process beyond its PID, which the server
// reuses.
type backend struct {
	pid   uint32
	start time.Time
}

// New checks opts and returns a Supervisor that does nothing until Run.
func New(opts Options) (*Supervisor, error) {
	if opts.Connect == nil {
		return nil, errors.New("dedicated: Options.Connect is required")
	}
	s := &Supervisor{
		connect:  opts.Connect,
		timeout:  opts.Timeout,
		backoff:  opts.BackOff,
		retrying: opts.Retrying,
		log:      opts.Logger,
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	if s.backoff == nil {
		s.backoff = defaultBackOff()
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	s.log = s.log.Named("dedicated")
	if s.retrying == nil {
		s.retrying = func(err error, failures int, delay time.Duration) {
			s.log.Warn("connection failed, will reconnect", zap.Error(err), zap.Int("attempt", failures), zap.Duration("retry_in", delay))
		}
	}
	return s, nil
}

// defaultBackOff starts retrying quickly, since most failures are a
// restart or a terminated backend that a reconnect fixes at once, and backs
// off to DefaultMaxBackoff so an unreachable server is not hammered.
func defaultBackOff() backoff.BackOff {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval = 500 * time.Millisecond
	b.Multiplier = 2
	b.RandomizationFactor = 0.5
	// With ±50 % jitter the longest wait is 1.5 × MaxInterval.
	b.MaxInterval = DefaultMaxBackoff * 2 / 3
	b.MaxElapsedTime = 0 // never give up on the database
	return b
}

// Run opens a connection, prepares it (terminating the previous
// connection's server process if it survived, then setting keepalives),
// and calls use with it. When use returns, Run closes the connection, and
// then:
//
//   - use returned nil: Run returns nil;
//   - use returned backoff.Permanent(err): Run returns err;
//   - ctx is done: Run returns nil, whatever use returned;
//   - otherwise the connection failed: Run calls Options.Retrying, waits
//     for the backoff and starts over.
//
// A failure to connect or prepare is retried the same way. So Run returns
// only when use says so or ctx is done (an error only when another Run is
// running). use must return promptly once its ctx is done, and should call
// [Supervisor.Ready] once the connection proves usable.
func (s *Supervisor) Run(ctx context.Context, use func(ctx context.Context, conn *pgx.Conn) error) error {
	if !s.running.CompareAndSwap(false, true) {
		return errors.New("dedicated: Run is already running")
	}
	defer s.running.Store(false)
	s.backoff.Reset()
	s.failures = 0
	for {
		err := s.session(ctx, use)
		var perm *backoff.PermanentError
		switch {
		case err == nil:
			return nil
		case errors.As(err, &perm):
			return perm.Err
		case ctx.Err() != nil:
			return nil
		}
		s.failures++
		delay := s.backoff.NextBackOff()
		if delay == backoff.Stop || delay < 0 {
			delay = DefaultMaxBackoff
		}
		s.retrying(err, s.failures, delay)
		if !retry.Sleep(ctx, delay) {
			return nil
		}
	}
}

// Ready tells the supervisor that the current connection works, typically
// once the caller's own setup on it (a LISTEN, a first statement)
// succeeded: the backoff starts over at its shortest wait. It returns the
// number of attempts that failed since the last Ready (or since Run
// started), which is zero unless this connection replaces a lost one, and
// resets that count. A caller that never calls Ready keeps backing off
// ever longer. Call it only from the function Run runs.
func (s *Supervisor) Ready() (failures int) {
	failures, s.failures = s.failures, 0
	s.backoff.Reset()
	return failures
}

// session runs use on one new connection and closes it afterwards.
func (s *Supervisor) session(ctx context.Context, use func(context.Context, *pgx.Conn) error) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer s.close(ctx, conn)
	return use(ctx, conn)
}

// dial connects and prepares the connection; on an error it has closed
// whatever it opened.
func (s *Supervisor) dial(ctx context.Context) (*pgx.Conn, error) {
	cctx, cancel := context.WithTimeout(ctx, s.timeout)
	conn, err := s.connect(cctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	if conn == nil {
		return nil, errors.New("connect: Options.Connect returned no connection")
	}
	// Terminate the predecessor first: until then it may hold what this
	// connection is about to ask for.
	s.replaceBackend(ctx, conn)
	kctx, cancel := context.WithTimeout(ctx, s.timeout)
	_, err = conn.Exec(kctx, keepaliveSQL)
	cancel()
	if err != nil {
		s.close(ctx, conn)
		return nil, fmt.Errorf("set keepalives: %w", err)
	}
	return conn, nil
}

// replaceBackend terminates the previous connection's server process if it
// is still there, then remembers conn's. Server settings (tcp_keepalives_*,
// client_connection_check_interval) bound how long a half-open session
// lives, but a server whose socket still looks healthy may keep it, and
// whatever locks it holds, for as long as they allow; terminating it
// ourselves makes the handover immediate. Failures only cost that delay,
// so they are logged, not returned (a lost connection shows up again at
// the next statement).
func (s *Supervisor) replaceBackend(ctx context.Context, conn *pgx.Conn) {
	qctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if prev := s.prev; prev.pid != 0 {
		// backend_start tells a surviving process from one that reused its
		// PID; the server compares at microsecond precision, as pgx sends.
		var signalled bool
		err := conn.QueryRow(qctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = $1 AND backend_start = $2`,
			int64(prev.pid), prev.start).Scan(&signalled)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			// Gone already: the usual case after a restart or termination.
		case err != nil && (conn.IsClosed() || ctx.Err() != nil):
			return // keep prev for the next connection; this one is lost too
		case err != nil:
			s.log.Warn("terminate previous backend", zap.Uint32("previous_pid", prev.pid), zap.Error(err))
		default:
			s.log.Info("terminated previous backend", zap.Uint32("previous_pid", prev.pid), zap.Bool("signalled", signalled))
		}
	}
	s.prev = backend{}
	cur := backend{pid: conn.PgConn().PID()}
	if err := conn.QueryRow(qctx, `SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()`).Scan(&cur.start); err != nil {
		s.log.Warn("read backend start", zap.Error(err))
		return
	}
	s.prev = cur
}

// close closes conn, which ends its server session and everything the
// session holds. ctx may already be cancelled: close on a fresh, short
// context so that the server gets its Terminate message rather than a
// reset.
func (s *Supervisor) close(ctx context.Context, conn *pgx.Conn) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := conn.Close(cctx); err != nil {
		s.log.Debug("close connection", zap.Error(err))
	}
}
