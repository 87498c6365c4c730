// Package leader makes sure that one syncd daemon per database writes to the
// sheet: the one holding a session advisory lock on a dedicated connection.
// Every other daemon stands by, retrying the lock, and takes over when the
// leader's session ends (the process died, was killed, or lost its network).
//
// Losing the lock must stop writing at once, not at the next heartbeat:
// Wolverine (PR #2607) saw a killed backend release the lock while the old
// leader still believed it held it. So the leader's lock connection is never
// idle: between heartbeats it blocks in a read (WaitForNotification), which
// fails the moment the server closes the session, and a ping every
// HeartbeatInterval catches half-open TCP connections that never fail a
// read. Either way the context handed to the lead function is cancelled
// immediately.
//
// Every instance also upserts a heartbeat row in syncd.daemons, so that
// `syncd status` can tell, from the database alone, who leads, who stands by
// and whether anybody is alive.
package leader

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd/internal/dedicated"
	"github.com/syncd/syncd/store"
)

// Defaults for the zero values of [Options].
const (
	// DefaultHeartbeatInterval is how often an instance writes its
	// heartbeat, a standby retries the lock and the leader pings.
	DefaultHeartbeatInterval = 5 * time.Second
)

// Roles written to syncd.daemons.role.
const (
	RoleLeader  = "leader"
	RoleStandby = "standby"
	RoleStopped = "stopped"
)

// Options configure an [Elector]. Connect is required; every other zero
// value means the documented default.
type Options struct {
	// Connect opens the lock connection. It must be a dedicated connection
	// (pgx.ConnectConfig, never a pool's or a transaction-mode pooler's
	// such as PgBouncer's): the advisory lock belongs to the server session
	// and must die with it. Keep pgx's default context handling (a read
	// deadline when a context ends): the elector interrupts its idle read
	// every HeartbeatInterval, and a deadline leaves the connection usable.
	// The elector closes the connection.
	Connect func(ctx context.Context) (*pgx.Conn, error)

	// Instance names this daemon in syncd.daemons; it must differ between
	// daemons sharing a database, or they overwrite each other's row and
	// status cannot tell who leads. Empty means DefaultInstance: the host
	// name and the process id, unique per process. A fixed name (-instance)
	// keeps one row per daemon across restarts instead of one per process.
	Instance string

	// Version is written to syncd.daemons.version for `syncd status`.
	Version string

	// HeartbeatInterval is how often the heartbeat is written, a standby
	// retries the lock and the leader pings its connection. A standby
	// takes over at most about one interval after the leader's session
	// ended. Zero means DefaultHeartbeatInterval.
	HeartbeatInterval time.Duration

	// Details, when set, is called before every heartbeat; its result is
	// stored as JSON in syncd.daemons.details (e.g. the listen address).
	// It must be safe to call from another goroutine.
	Details func() any

	// Logger receives the elector's logs, named "leader". Nil means
	// zap.NewNop().
	Logger *zap.Logger

	// Hooks are optional callbacks for tests and metrics.
	Hooks Hooks
}

// Hooks are optional callbacks, called synchronously on the goroutine
// running [Elector.Run]. They must return quickly. Tests wait on them
// instead of sleeping.
type Hooks struct {
	// Connected is called with the server process id of each new lock
	// connection (tests pg_terminate_backend it).
	Connected func(pid uint32)
	// Elected is called once the lock is taken, before lead starts.
	Elected func()
	// Deposed is called once leadership ended and lead has returned; err
	// says why (nil when ctx was cancelled or lead returned).
	Deposed func(err error)
	// Heartbeat is called after each heartbeat row was written, with the
	// role written.
	Heartbeat func(role string)
	// ConnLost is called when the lock connection failed, with the error.
	ConnLost func(err error)
}

// Elector runs one daemon's part in the leader election. Create it with
// [New]; Run may be called once.
type Elector struct {
	opts     Options
	log      *zap.Logger
	interval time.Duration
	pid      int
	host     string
	started  time.Time
	leading  atomic.Bool

	mu      sync.Mutex
	lastErr error // the last connection error, for Connected

	// conns keeps the lock connection; Run creates it, and only Run's
	// goroutine uses it.
	conns *dedicated.Supervisor
}

// DefaultInstance is the instance name of a daemon started without one:
// "host:pid". Two daemons on one host are two instances (with the host name
// alone they overwrote each other's heartbeat row, and right after a drain
// `syncd status` saw only the standby's and said no instance leads).
func DefaultInstance(host string, pid int) string {
	return fmt.Sprintf("%s:%d", host, pid)
}

// New returns an Elector. It does not connect; Run does.
func New(opts Options) *Elector {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	if opts.Instance == "" {
		opts.Instance = DefaultInstance(host, os.Getpid())
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	return &Elector{
		opts:     opts,
		log:      log.Named("leader").With(zap.String("instance", opts.Instance)),
		interval: opts.HeartbeatInterval,
		pid:      os.Getpid(),
		host:     host,
		started:  time.Now(),
	}
}

// IsLeader reports whether this instance holds the lock right now. It turns
// false before the lead context is cancelled, so a writer checking it after
// a failed write never sees a stale true. Safe for concurrent use.
func (e *Elector) IsLeader() bool { return e.leading.Load() }

// Role returns RoleLeader or RoleStandby (for /readyz and metrics), as
// IsLeader decides. Safe for concurrent use.
func (e *Elector) Role() string {
	if e.IsLeader() {
		return RoleLeader
	}
	return RoleStandby
}

// Connected reports whether the lock connection is currently up, i.e. the
// last attempt to use it succeeded (for /readyz). Safe for concurrent use.
func (e *Elector) Connected() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.lastErr == nil
}

func (e *Elector) setErr(err error) {
	e.mu.Lock()
	e.lastErr = err
	e.mu.Unlock()
}

// Run takes part in the election until ctx is done. While this instance
// holds the lock it runs lead with a context that is cancelled as soon as
// the lock may be lost (the lock connection failed) or ctx is done; Run then
// waits for lead to return before it stands by again, so two leads of one
// instance never overlap. A lost connection is re-opened every
// HeartbeatInterval, for ever; each new one first terminates the previous
// one's server process if it survived half-open (it would hold the lock)
// and asks the server for TCP keepalives (see internal/dedicated).
//
// When lead returns by itself while ctx is not done, Run releases the lock,
// marks the instance stopped and returns lead's error (nil included): the
// process is expected to exit, and systemd restarts it. When ctx is done,
// Run marks the instance stopped and returns nil.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context) error) error {
	if e.opts.Connect == nil {
		return errors.New("leader: Options.Connect is required")
	}
	conns, err := dedicated.New(dedicated.Options{
		Connect: e.opts.Connect,
		Timeout: e.timeout(),
		// A standby retries the lock every interval; a lost lock connection
		// is re-opened at the same pace, so a takeover is never slower
		// than a standby's next try.
		BackOff:  backoff.NewConstantBackOff(e.interval),
		Retrying: e.connLost,
		Logger:   e.log,
	})
	if err != nil {
		return fmt.Errorf("leader: lock connection: %w", err)
	}
	e.conns = conns
	e.setErr(errors.New("not connected yet"))
	finished := false // a session ended Run and recorded the stop itself
	err = conns.Run(ctx, func(ctx context.Context, conn *pgx.Conn) error {
		done, err := e.session(ctx, conn, lead)
		if !done {
			return err // the connection failed: reconnect
		}
		finished = true
		return backoff.Permanent(err) // nil stays nil
	})
	if !finished {
		// ctx ended while there was no usable connection to record the
		// stop on; markStopped opens one of its own.
		e.markStopped(ctx, nil)
	}
	return err
}

// connLost records a failed lock connection (or attempt to open one),
// which the supervisor re-opens after delay.
func (e *Elector) connLost(err error, _ int, delay time.Duration) {
	e.setErr(err)
	if e.opts.Hooks.ConnLost != nil {
		e.opts.Hooks.ConnLost(err)
	}
	e.log.Warn("lock connection lost, reconnecting", zap.Duration("in", delay), zap.Error(err))
}

// session runs on one lock connection from the supervisor, which has
// already terminated the previous connection's server process (it may
// still hold the lock after a half-open failure: no daemon could lead
// until the server noticed) and set keepalives (so the server drops this
// session, and its lock, if this host vanishes). done is true when Run must
// return err; otherwise err says why the connection was given up. The
// supervisor closes the connection, which releases the lock.
func (e *Elector) session(ctx context.Context, conn *pgx.Conn, lead func(context.Context) error) (done bool, err error) {
	e.setErr(nil)
	e.conns.Ready()
	if e.opts.Hooks.Connected != nil {
		e.opts.Hooks.Connected(conn.PgConn().PID())
	}

	var (
		leadCancel context.CancelFunc
		leadDone   chan error
	)
	// stopLeading revokes leadership: IsLeader turns false first, then the
	// lead context is cancelled, then lead is waited for.
	stopLeading := func(cause error) error {
		if leadDone == nil {
			return nil
		}
		e.leading.Store(false)
		leadCancel()
		lerr := <-leadDone
		leadDone = nil
		if e.opts.Hooks.Deposed != nil {
			e.opts.Hooks.Deposed(cause)
		}
		return lerr
	}
	for {
		elected := false
		if leadDone == nil {
			got, err := e.tryLock(ctx, conn)
			if err != nil {
				if ctx.Err() != nil {
					e.markStopped(ctx, conn)
					return true, nil
				}
				return false, err
			}
			if got {
				e.log.Info("elected leader")
				e.leading.Store(true)
				elected = true
				if e.opts.Hooks.Elected != nil {
					e.opts.Hooks.Elected()
				}
			}
		}
		// A new leader's row is written the moment the lock is taken,
		// before lead starts: status never sees a leader at work whose row
		// still says standby.
		if err := e.heartbeat(ctx, conn); err != nil {
			if elected {
				e.leading.Store(false)
				if e.opts.Hooks.Deposed != nil {
					e.opts.Hooks.Deposed(err)
				}
			}
			if ctx.Err() != nil {
				stopLeading(nil)
				e.markStopped(ctx, conn)
				return true, nil
			}
			stopLeading(err)
			return false, err
		}
		if elected {
			e.pruneOld(ctx, conn)
			lctx, lc := context.WithCancel(ctx)
			leadCancel, leadDone = lc, make(chan error, 1)
			go func() { leadDone <- lead(lctx) }()
		}
		// Wait for the next tick while reading from the connection, so a
		// terminated session is noticed at once rather than at the tick.
		err := e.wait(ctx, conn, leadDone)
		switch {
		case ctx.Err() != nil:
			stopLeading(nil)
			e.markStopped(ctx, conn)
			return true, nil
		case errors.Is(err, errLeadReturned):
			lerr := stopLeading(nil)
			e.log.Info("lead returned; releasing the lock", zap.Error(lerr))
			e.release(ctx, conn)
			e.markStopped(ctx, conn)
			return true, lerr
		case err != nil:
			if leadDone != nil {
				e.log.Error("lock connection failed: stopped leading", zap.Error(err))
			}
			stopLeading(err)
			return false, err
		}
	}
}

var errLeadReturned = errors.New("lead returned")

// wait blocks until the next heartbeat is due (nil), the connection fails
// (its error), lead returned (errLeadReturned; its result stays in
// leadDone) or ctx is done.
func (e *Elector) wait(ctx context.Context, conn *pgx.Conn, leadDone chan error) error {
	wctx, cancel := context.WithTimeout(ctx, e.interval)
	defer cancel()
	if leadDone != nil {
		// Interrupt the read when lead returns by itself.
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			select {
			case err := <-leadDone:
				leadDone <- err // put it back for stopLeading
				cancel()
			case <-stop:
			}
		}()
	}
	_, err := conn.WaitForNotification(wctx)
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err == nil:
		return nil // a stray notification: nobody LISTENs here, but harmless
	case errors.Is(err, context.DeadlineExceeded):
		return nil
	case errors.Is(err, context.Canceled):
		if len(leadDone) > 0 {
			return errLeadReturned
		}
		return nil
	}
	return fmt.Errorf("lock connection: %w", err)
}

func (e *Elector) timeout() time.Duration { return max(e.interval, 5*time.Second) }

func (e *Elector) tryLock(ctx context.Context, conn *pgx.Conn) (bool, error) {
	qctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	return store.TryLock(qctx, conn, store.LeaderLock)
}

// heartbeat upserts this instance's row. It doubles as the ping of the lock
// connection: it is a round trip, bounded by the interval, so a half-open
// connection fails it. A failure of the statement itself (e.g. the schema
// is not migrated yet) is logged and does not end leadership: only the
// connection matters for the lock.
func (e *Elector) heartbeat(ctx context.Context, conn *pgx.Conn) error {
	role := e.Role()
	qctx, cancel := context.WithTimeout(ctx, e.interval)
	defer cancel()
	err := store.Heartbeat(qctx, conn, store.Daemon{Instance: e.opts.Instance, PID: e.pid, Host: e.host, Role: role,
		Version: e.opts.Version, StartedAt: e.started, Details: e.details()})
	if err == nil {
		if e.opts.Hooks.Heartbeat != nil {
			e.opts.Hooks.Heartbeat(role)
		}
		return nil
	}
	if conn.IsClosed() || ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e.log.Warn("could not write heartbeat; checking the connection", zap.Error(err))
	if perr := conn.Ping(qctx); perr != nil {
		return fmt.Errorf("ping: %w", perr)
	}
	return nil
}

func (e *Elector) details() []byte {
	if e.opts.Details == nil {
		return nil
	}
	b, err := json.Marshal(e.opts.Details())
	if err != nil {
		e.log.Warn("details are not JSON", zap.Error(err))
		return nil
	}
	return b
}

// pruneOld deletes rows of instances silent for a week, so renamed or
// retired daemons do not clutter `syncd status` for ever. Best effort.
func (e *Elector) pruneOld(ctx context.Context, conn *pgx.Conn) {
	qctx, cancel := context.WithTimeout(ctx, e.timeout())
	defer cancel()
	if err := store.PruneDaemons(qctx, conn, 7*24*time.Hour); err != nil {
		e.log.Debug("prune old daemon rows", zap.Error(err))
	}
}

// release gives the lock back without closing the connection, so the
// stopped row can still be written on it.
func (e *Elector) release(ctx context.Context, conn *pgx.Conn) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	if err := store.Unlock(qctx, conn, store.LeaderLock); err != nil {
		e.log.Debug("unlock", zap.Error(err))
	}
}

// markStopped records a clean exit, so status says "stopped" rather than
// "stale". It writes on conn when that is still usable, else on a short
// connection of its own; ctx is usually cancelled by then.
func (e *Elector) markStopped(ctx context.Context, conn *pgx.Conn) {
	e.leading.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if conn == nil || conn.IsClosed() {
		c, err := e.opts.Connect(sctx)
		if err != nil {
			e.log.Warn("could not record the stop", zap.Error(err))
			return
		}
		defer c.Close(sctx)
		conn = c
	}
	if err := store.MarkStopped(sctx, conn, e.opts.Instance, e.pid); err != nil {
		e.log.Warn("could not record the stop", zap.Error(err))
		return
	}
	if e.opts.Hooks.Heartbeat != nil {
		e.opts.Hooks.Heartbeat(RoleStopped)
	}
}
