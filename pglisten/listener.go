// Package pglisten keeps a dedicated PostgreSQL connection LISTENing on one
// channel and turns what arrives there into a "ring": a hint that the outbox
// may hold new changes. It never carries data; the consumer re-reads the
// outbox on every ring (CONTRACT.md §1: NOTIFY is a hint, never the data).
//
// It also operates the doorbell (see store.DoorbellLock): capture
// triggers notify only while the listener holds an advisory lock
// exclusively, because every notifying transaction serialises its commit
// cluster-wide. The consumer calls [Listener.Idle] when a drain found the
// outbox empty; the listener then arms the doorbell on its own connection
// and disarms it as soon as a notification wakes it.
//
// The connection is kept by internal/dedicated, shared with the leader
// election: server-side TCP keepalives, the half-open predecessor's server
// process terminated, exponential backoff with jitter between attempts.
// On top of it the listener follows River's notifier (internal/notifier): a
// ping after a few seconds of silence to detect dead TCP connections,
// LISTEN again on every new connection, and test hooks instead of sleeps.
// Like jackc/pgxlisten, it starts listening before it reports the
// connection, so the drain the consumer does on that first ring cannot miss
// a wake-up.
package pglisten

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap"

	"github.com/syncd/syncd/internal/dedicated"
)

// Defaults for the zero values of [Options].
const (
	// DefaultPingInterval is River's: long enough to cost nothing, short
	// enough that a half-open connection is noticed within seconds.
	DefaultPingInterval = 5 * time.Second
	// DefaultConnectTimeout bounds connecting and each statement the
	// listener runs (LISTEN, ping, lock and unlock), as River does.
	DefaultConnectTimeout = dedicated.DefaultTimeout
	// DefaultArmTimeout is how long Idle keeps trying to arm the doorbell
	// while writers hold it off before it rings instead.
	DefaultArmTimeout = time.Second
	// DefaultMaxBackoff is the longest wait between reconnect attempts of
	// the default backoff, jitter included.
	DefaultMaxBackoff = dedicated.DefaultMaxBackoff
)

// Arming is retried after armRetryMin, doubling up to armRetryMax: writers'
// transactions are usually short, and the first retries should catch the
// end of the one that blocked the previous attempt.
const (
	armRetryMin = 10 * time.Millisecond
	armRetryMax = 500 * time.Millisecond
)

// Options configure a [Listener]. Connect and Channel are required; every
// other zero value means the documented default.
type Options struct {
	// Connect opens the listener's connection. It must return a dedicated
	// connection (pgx.Connect, or a pool connection taken over with
	// Hijack): the connection holds session state, the LISTEN and the
	// doorbell lock, that must die with it and must not leak into a pool.
	// Behind a transaction-mode pooler such as PgBouncer, LISTEN succeeds
	// but nothing ever arrives. The listener closes the connection.
	//
	// Keep pgx's default context handling (a read deadline when a context
	// ends): the listener interrupts its wait by cancelling the context
	// whenever Idle is called, and a deadline leaves the connection usable,
	// whereas a CancelRequestContextWatcherHandler would send the server a
	// cancel request each time.
	Connect func(ctx context.Context) (*pgx.Conn, error)

	// Channel is the channel to LISTEN on (store.NotifyChannel). It is
	// quoted as an identifier, so it is matched case-sensitively.
	Channel string

	// DoorbellLock is the advisory lock key the capture triggers test
	// (store.DoorbellLock). Zero means there is no doorbell: Idle does
	// nothing and the listener relies on writers notifying unconditionally.
	DoorbellLock int64

	// PingInterval is how long the connection may stay silent before the
	// listener pings it; a failed ping means the connection is dead and is
	// replaced. Zero means DefaultPingInterval.
	PingInterval time.Duration

	// ConnectTimeout bounds Connect and each statement the listener runs.
	// Zero means DefaultConnectTimeout.
	ConnectTimeout time.Duration

	// ArmTimeout is how long an Idle request keeps retrying to arm while
	// writers' transactions hold the doorbell off. When it runs out the
	// listener rings instead (those writers have most likely committed
	// changes by then), so under sustained writes the consumer drains about
	// once per ArmTimeout rather than waiting for its poll fallback. Zero
	// means DefaultArmTimeout; negative means retry until the doorbell is
	// armed or a notification arrives.
	ArmTimeout time.Duration

	// BackOff chooses the wait before each reconnect attempt. Nil means
	// exponential backoff with jitter from 500 ms up to DefaultMaxBackoff,
	// never giving up. The listener calls Reset once a connection is
	// listening again. A policy that returns backoff.Stop waits
	// DefaultMaxBackoff instead: the listener never gives up. Tests pass
	// &backoff.ZeroBackOff{} to reconnect without sleeping.
	BackOff backoff.BackOff

	// Logger receives the listener's logs, named "pglisten". Nil means
	// zap.NewNop().
	Logger *zap.Logger

	// Hooks are called at points of interest, for tests and metrics.
	Hooks Hooks
}

// Hooks are optional callbacks, called synchronously on the goroutine
// running [Listener.Run], in the order the events happen. They must return
// quickly and must not call Run; calling Ring, Idle and Armed is fine. Tests
// use them the way River uses its testSignals: to wait for a state instead
// of sleeping. Any of them may be nil.
type Hooks struct {
	// ListeningBegin is called after each successful LISTEN, before the
	// ring that reports the connection, with the backend's process ID.
	ListeningBegin func(pid uint32)
	// Reconnect is called after ListeningBegin when the connection replaces
	// a lost one, with the number of failed attempts since it was lost.
	Reconnect func(failures int)
	// BackoffError is called when an attempt failed, with the error, just
	// before the listener waits for delay and tries again.
	BackoffError func(err error, delay time.Duration)
	// Notification is called for every notification received, before the
	// doorbell is disarmed and the ring is sent.
	Notification func(n *pgconn.Notification)
	// Armed is called when the listener took the doorbell lock.
	Armed func()
	// ArmBusy is called when an attempt to arm failed because writers that
	// saw the doorbell unarmed are still running.
	ArmBusy func()
	// Disarmed is called when the doorbell lock was released: unlocked
	// after a notification, or lost with the connection.
	Disarmed func()
}

// Listener LISTENs on a dedicated connection, reconnecting forever, and
// operates the doorbell. Create it with [New]; use Ring and Idle from the
// consumer goroutine and Run from another. Its methods are safe for
// concurrent use.
type Listener struct {
	sup            *dedicated.Supervisor
	channel        string
	doorbell       int64
	pingInterval   time.Duration
	connectTimeout time.Duration
	armTimeout     time.Duration
	log            *zap.Logger
	hooks          Hooks

	ringCh chan bool
	ringMu sync.Mutex // serialises senders so a pending false can become true

	armed   atomic.Bool
	running atomic.Bool

	mu sync.Mutex
	// idleWanted is set by Idle and cleared by the Run goroutine once the
	// request is done with (armed, rang instead, or overtaken by a ring).
	idleWanted bool
	// cancelWait interrupts the WaitForNotification in progress, if any, so
	// that an Idle request is served at once. pgx connections are not safe
	// for concurrent use: only the Run goroutine touches the connection.
	cancelWait context.CancelFunc
}

// New checks opts and returns a Listener that does nothing until Run.
func New(opts Options) (*Listener, error) {
	if opts.Connect == nil {
		return nil, errors.New("pglisten: Options.Connect is required")
	}
	if opts.Channel == "" {
		return nil, errors.New("pglisten: Options.Channel is required")
	}
	l := &Listener{
		channel:        opts.Channel,
		doorbell:       opts.DoorbellLock,
		pingInterval:   opts.PingInterval,
		connectTimeout: opts.ConnectTimeout,
		armTimeout:     opts.ArmTimeout,
		log:            opts.Logger,
		hooks:          opts.Hooks,
		ringCh:         make(chan bool, 1),
	}
	if l.pingInterval <= 0 {
		l.pingInterval = DefaultPingInterval
	}
	if l.connectTimeout <= 0 {
		l.connectTimeout = DefaultConnectTimeout
	}
	if l.armTimeout == 0 {
		l.armTimeout = DefaultArmTimeout
	}
	if l.log == nil {
		l.log = zap.NewNop()
	}
	l.log = l.log.Named("pglisten").With(zap.String("channel", l.channel))
	sup, err := dedicated.New(dedicated.Options{
		Connect:  opts.Connect,
		Timeout:  l.connectTimeout,
		BackOff:  opts.BackOff, // nil: the supervisor's default, as documented above
		Retrying: l.retrying,
		Logger:   l.log,
	})
	if err != nil {
		return nil, fmt.Errorf("pglisten: listen connection: %w", err)
	}
	l.sup = sup
	return l, nil
}

// Ring returns the channel on which the listener reports that the outbox
// may hold new changes; it is the same channel on every call and is never
// closed (select on your own context as well).
//
// A value of true means a connection was (re)established: notifications may
// have been lost while there was none, so the consumer should drain and
// schedule a reconcile. The first connection also rings true, after LISTEN,
// so the consumer's first drain cannot miss anything.
//
// False means a notification arrived, or the doorbell was just armed (a
// drain must then pick up writers that committed before arming), or arming
// timed out under load (see Options.ArmTimeout).
//
// The channel has a buffer of one and rings coalesce: however many happen
// while the consumer is busy, it receives one, and a pending true is never
// replaced by false. Rings never block the listener.
func (l *Listener) Ring() <-chan bool { return l.ringCh }

// Idle tells the listener that the consumer's last drain found the outbox
// empty, so it should arm the doorbell and sleep until a writer rings it.
// Call it after each empty drain; it never blocks and may be called from any
// goroutine at any time.
//
// Arming takes the doorbell lock on the listen connection, so the lock dies
// with that connection. When it succeeds the listener rings false once more:
// writers that committed after the drain but before arming did not notify,
// and the next drain picks them up. While writers that saw the doorbell
// unarmed are still running, arming fails; the listener retries after
// 10 ms, doubling up to 500 ms, until it succeeds, a notification or a
// reconnect makes the request moot (it rings anyway), or Options.ArmTimeout
// runs out (then it rings false instead of arming).
//
// Idle does nothing while the doorbell is armed, when Options.DoorbellLock
// is zero, or while Run is not running (a later Run starts with a ring,
// after which the consumer calls Idle again).
func (l *Listener) Idle() {
	if l.doorbell == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.idleWanted {
		return // already pending; the Run goroutine's wait accounts for it
	}
	l.idleWanted = true
	if l.cancelWait != nil {
		l.cancelWait()
	}
}

// Armed reports whether the listener currently holds the doorbell lock, so
// that writers notify. It is a snapshot: a notification may be disarming it.
func (l *Listener) Armed() bool { return l.armed.Load() }

// Run connects, LISTENs, rings true and then waits for notifications until
// ctx is cancelled, when it closes the connection and returns nil. Lost
// connections are logged and replaced after a backoff, forever: Run returns
// an error only when it is already running.
//
// On each new connection, before LISTEN, Run terminates the server process
// of the previous connection if it still exists (same PID and start time):
// after a half-open failure it would otherwise keep the doorbell lock (so
// Idle could not arm, and every writer would notify a listener nobody
// reads) and an unread LISTEN (which keeps the server's notification queue
// from being cleaned up) until the server noticed. This needs the right to
// signal one's own backends, which every role has. It also sets server-side
// TCP keepalives (see internal/dedicated), so that the server notices by
// itself when this process vanishes with its network.
func (l *Listener) Run(ctx context.Context) error {
	if !l.running.CompareAndSwap(false, true) {
		return errors.New("pglisten: Run is already running")
	}
	defer l.running.Store(false)
	return l.sup.Run(ctx, l.session)
}

// retrying logs a failed attempt, at a level that tells expected losses
// from configuration problems and bugs, and reports it to the hooks.
func (l *Listener) retrying(err error, failures int, delay time.Duration) {
	fields := []zap.Field{zap.Error(err), zap.Int("attempt", failures), zap.Duration("retry_in", delay)}
	if connectionLost(err) {
		l.log.Warn("connection lost, will reconnect", fields...)
	} else {
		l.log.Error("listener failed, will reconnect", fields...)
	}
	if l.hooks.BackoffError != nil {
		l.hooks.BackoffError(err, delay)
	}
}

// ring reports possible changes to the consumer without ever blocking.
func (l *Listener) ring(reconnected bool) {
	l.ringMu.Lock()
	defer l.ringMu.Unlock()
	select {
	case l.ringCh <- reconnected:
		return
	default:
	}
	if !reconnected {
		return // the pending ring already makes the consumer drain
	}
	// Upgrade a pending false to true. Only ring sends, under ringMu, so
	// after the receive below the buffer has room even if the consumer took
	// the pending value first (it then gets a second ring, which is fine).
	select {
	case <-l.ringCh:
	default:
	}
	l.ringCh <- true
}
