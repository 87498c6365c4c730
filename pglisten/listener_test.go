package pglisten_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/pglisten"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if code == 0 {
		if err := checkLeaks(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// checkLeaks fails when a goroutine of this package or of pgx outlives the
// tests (every test waits for Run to return in its cleanup). Goroutines may
// take a moment to exit after their last channel operation, hence the poll.
func checkLeaks() error {
	var stacks string
	for range 200 {
		buf := make([]byte, 1<<20)
		stacks = string(buf[:runtime.Stack(buf, true)])
		leaked := false
		for _, g := range strings.Split(stacks, "\n\n") {
			if strings.Contains(g, "syncd/pglisten.") || strings.Contains(g, "jackc/pgx") {
				leaked = true
			}
		}
		if !leaked {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("goroutines leaked:\n%s", stacks)
}

// waitTimeout bounds every wait for an event; tests never sleep for
// readiness, they wait for a hook or a ring and fail after this long.
const waitTimeout = 15 * time.Second

// signals turns the listener's hooks into channels, like River's
// testSignals.
type signals struct {
	listening chan uint32
	reconnect chan int
	backoff   chan error
	notified  chan *pgconn.Notification
	armed     chan struct{}
	armBusy   chan struct{}
	disarmed  chan struct{}
}

func newSignals() *signals {
	const n = 1000
	return &signals{
		listening: make(chan uint32, n),
		reconnect: make(chan int, n),
		backoff:   make(chan error, n),
		notified:  make(chan *pgconn.Notification, n),
		armed:     make(chan struct{}, n),
		armBusy:   make(chan struct{}, n),
		disarmed:  make(chan struct{}, n),
	}
}

// send never blocks the listener; the buffers are far larger than any test
// needs.
func send[T any](ch chan T, v T) {
	select {
	case ch <- v:
	default:
	}
}

func (s *signals) hooks() pglisten.Hooks {
	return pglisten.Hooks{
		ListeningBegin: func(pid uint32) { send(s.listening, pid) },
		Reconnect:      func(n int) { send(s.reconnect, n) },
		BackoffError:   func(err error, _ time.Duration) { send(s.backoff, err) },
		Notification:   func(n *pgconn.Notification) { send(s.notified, n) },
		Armed:          func() { send(s.armed, struct{}{}) },
		ArmBusy:        func() { send(s.armBusy, struct{}{}) },
		Disarmed:       func() { send(s.disarmed, struct{}{}) },
	}
}

func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

type bundle struct {
	url    string
	writer *pgx.Conn // a separate connection that writes to the captured table
	l      *pglisten.Listener
	sig    *signals
	cancel context.CancelFunc
	done   chan error // Run's result
}

// setup creates a database with syncd's schema and a captured table
// items(id int primary key, name text), and a listener on it (reconnecting
// without backoff sleeps unless tweak says otherwise), started.
func setup(t *testing.T, tweak func(o *pglisten.Options, url string)) *bundle {
	t.Helper()
	b := &bundle{url: pgtest.NewDB(t), sig: newSignals(), done: make(chan error, 1)}
	b.writer = connect(t, b.url)
	exec(t, b.writer, `CREATE TABLE items (id int PRIMARY KEY, name text)`)
	ctx := context.Background()
	if _, err := migrations.ApplySchema(ctx, b.writer); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.InstallCapture(ctx, b.writer, []migrations.CaptureTable{{Table: "public.items", Key: []string{"id"}}}); err != nil {
		t.Fatal(err)
	}
	opts := pglisten.Options{
		Connect:      func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, b.url) },
		Channel:      migrations.NotifyChannel,
		DoorbellLock: migrations.DoorbellLock,
		ArmTimeout:   -1,
		BackOff:      &backoff.ZeroBackOff{},
		Logger:       zaptest.NewLogger(t),
		Hooks:        b.sig.hooks(),
	}
	if tweak != nil {
		tweak(&opts, b.url)
	}
	l, err := pglisten.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	b.l = l
	b.start(t)
	return b
}

// start runs the listener until the test ends; the cleanup fails the test
// if Run does not return nil promptly after cancellation.
func (b *bundle) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	go func() { b.done <- b.l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-b.done:
			if err != nil {
				t.Errorf("Run returned %v after cancellation, want nil", err)
			}
		case <-time.After(waitTimeout):
			t.Errorf("Run did not return after cancellation")
		}
	})
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func exec(t *testing.T, conn *pgx.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func expectRing(t *testing.T, l *pglisten.Listener, want bool) {
	t.Helper()
	if got := wait(t, l.Ring(), fmt.Sprintf("ring %v", want)); got != want {
		t.Fatalf("ring = %v, want %v", got, want)
	}
}

func expectNoRing(t *testing.T, l *pglisten.Listener) {
	t.Helper()
	select {
	case v := <-l.Ring():
		t.Fatalf("unexpected ring %v", v)
	default:
	}
}

// arm makes the consumer's move after an empty drain and waits until the
// doorbell is armed and the post-arming ring arrived.
func (b *bundle) arm(t *testing.T) {
	t.Helper()
	b.l.Idle()
	wait(t, b.sig.armed, "armed")
	expectRing(t, b.l, false)
	if !b.l.Armed() {
		t.Fatal("Armed() = false after the Armed hook")
	}
}

// expectDoorbellRings commits an insert while the doorbell is armed and
// checks the whole cycle: notification from the writer, disarm, ring.
func (b *bundle) expectDoorbellRings(t *testing.T, id int) {
	t.Helper()
	exec(t, b.writer, `INSERT INTO items VALUES ($1, 'x')`, id)
	n := wait(t, b.sig.notified, "notification")
	if n.PID != b.writer.PgConn().PID() || n.Channel != migrations.NotifyChannel {
		t.Fatalf("notification %+v, want one from the writer (pid %d) on %q", n, b.writer.PgConn().PID(), migrations.NotifyChannel)
	}
	wait(t, b.sig.disarmed, "disarmed")
	expectRing(t, b.l, false)
	if b.l.Armed() {
		t.Fatal("Armed() = true after a notification")
	}
}

// expectNoWriterNotification proves that nothing notified since the last
// check: notifications arrive in commit order, so after a marker NOTIFY
// committed now, the first notification the listener sees must be the
// marker.
func (b *bundle) expectNoWriterNotification(t *testing.T) {
	t.Helper()
	other := connect(t, b.url)
	exec(t, other, `SELECT pg_notify($1, 'marker')`, migrations.NotifyChannel)
	if n := wait(t, b.sig.notified, "marker notification"); n.Payload != "marker" {
		t.Fatalf("got notification %+v before the marker: the write notified while unarmed", n)
	}
	expectRing(t, b.l, false) // the marker's own ring
}

func outboxCount(t *testing.T, url string) int {
	t.Helper()
	var n int
	if err := connect(t, url).QueryRow(context.Background(), `SELECT count(*) FROM syncd.changes`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestFirstConnectRingsTrueAfterListen(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	pid := wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	// The ring came after LISTEN: the server already lists the channel for
	// the listener's backend.
	var channels []string
	err := b.writer.QueryRow(context.Background(),
		`SELECT array_agg(query) FROM pg_stat_activity WHERE pid = $1`, int64(pid)).Scan(&channels)
	if err != nil {
		t.Fatal(err)
	}
	if len(channels) != 1 || !strings.HasPrefix(channels[0], "LISTEN ") {
		t.Fatalf("listener backend's last statement = %q, want LISTEN", channels)
	}
	if b.l.Armed() {
		t.Fatal("armed before Idle was called")
	}
	exec(t, b.writer, `NOTIFY syncd, 'probe'`)
	if n := wait(t, b.sig.notified, "probe notification"); n.Payload != "probe" {
		t.Fatalf("notification %+v, want the probe", n)
	}
	expectRing(t, b.l, false)
}

func TestArmedDoorbellRingsOnCommittedInsert(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	b.arm(t)
	b.expectDoorbellRings(t, 1)
	// The next cycle works the same way.
	b.arm(t)
	b.expectDoorbellRings(t, 2)
}

func TestUnarmedWriteSendsNoNotification(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	// Idle was never called after the ring: the consumer is busy.
	exec(t, b.writer, `INSERT INTO items VALUES (1, 'x')`)
	b.expectNoWriterNotification(t)
	if b.l.Armed() {
		t.Fatal("armed without Idle")
	}
	// Disarmed by a notification: writes are silent again.
	b.arm(t)
	b.expectDoorbellRings(t, 2)
	exec(t, b.writer, `INSERT INTO items VALUES (3, 'x')`)
	b.expectNoWriterNotification(t)
}

func TestIdleWaitsForWriterHoldingSharedLock(t *testing.T) {
	t.Parallel()
	b := setup(t, nil)
	expectRing(t, b.l, true)
	ctx := context.Background()
	tx, err := b.writer.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	// The doorbell is unarmed: the trigger takes the shared lock, holds it
	// until commit, and does not notify.
	if _, err := tx.Exec(ctx, `INSERT INTO items VALUES (1, 'x')`); err != nil {
		t.Fatal(err)
	}
	b.l.Idle()
	b.l.Idle() // Idle while a request is pending is harmless
	for range 3 {
		wait(t, b.sig.armBusy, "failed arming attempt")
	}
	if b.l.Armed() {
		t.Fatal("armed while a writer that saw the doorbell unarmed is still open")
	}
	expectNoRing(t, b.l)
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	wait(t, b.sig.armed, "armed after the writer committed")
	expectRing(t, b.l, false)
	// That ring's drain sees the change the writer committed silently.
	if n := outboxCount(t, b.url); n != 1 {
		t.Fatalf("outbox holds %d changes after arming, want 1", n)
	}
	b.expectDoorbellRings(t, 2)
}

func TestArmTimeoutRingsWhileWritersStayBusy(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *pglisten.Options, _ string) { o.ArmTimeout = 50 * time.Millisecond })
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
	expectRing(t, b.l, false)
	if b.l.Armed() {
		t.Fatal("armed while a writer holds the shared lock")
	}
	select {
	case <-b.sig.armBusy:
	default:
		t.Fatal("rang without a failed arming attempt")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	b.arm(t)
	b.expectDoorbellRings(t, 2)
}

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

// freezer dials connections that it can freeze into a half-open state: the
// client's writes vanish and closing it leaves the server's end open, as
// when a network path dies silently.
type freezer struct {
	mu    sync.Mutex
	conns []*freezableConn
}

type freezableConn struct {
	net.Conn
	frozen atomic.Bool
}

func (c *freezableConn) Write(b []byte) (int, error) {
	if c.frozen.Load() {
		return len(b), nil
	}
	return c.Conn.Write(b)
}

func (c *freezableConn) Close() error {
	if c.frozen.Load() {
		return nil // the server keeps its end; closed at cleanup
	}
	return c.Conn.Close()
}

func (f *freezer) connect(t *testing.T, url string) func(context.Context) (*pgx.Conn, error) {
	t.Cleanup(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for _, c := range f.conns {
			c.Conn.Close()
		}
	})
	return func(ctx context.Context) (*pgx.Conn, error) {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			return nil, err
		}
		cfg.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			c := &freezableConn{Conn: nc}
			f.mu.Lock()
			f.conns = append(f.conns, c)
			f.mu.Unlock()
			return c, nil
		}
		return pgx.ConnectConfig(ctx, cfg)
	}
}

func (f *freezer) freezeLast() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns[len(f.conns)-1].frozen.Store(true)
}

// TestHalfOpenConnectionIsReplacedAndItsBackendTerminated freezes the armed
// listen connection: only the ping can notice, and the server keeps the old
// backend, which holds the doorbell lock, until the listener terminates it.
func TestHalfOpenConnectionIsReplacedAndItsBackendTerminated(t *testing.T) {
	t.Parallel()
	var f freezer
	b := setup(t, func(o *pglisten.Options, url string) {
		o.Connect = f.connect(t, url)
		o.PingInterval = 50 * time.Millisecond
		o.ConnectTimeout = 500 * time.Millisecond
	})
	pid := wait(t, b.sig.listening, "listening")
	expectRing(t, b.l, true)
	b.arm(t)

	f.freezeLast()
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
		exec(t, b.writer, `SELECT pg_advisory_lock($1)`, migrations.DoorbellLock)
		exec(t, b.writer, `SELECT pg_advisory_unlock($1)`, migrations.DoorbellLock)
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
