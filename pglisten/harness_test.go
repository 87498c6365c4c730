package pglisten_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/pglisten"
	"github.com/syncd/syncd/store"
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
		Channel:      store.NotifyChannel,
		DoorbellLock: store.DoorbellLock,
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
	if n.PID != b.writer.PgConn().PID() || n.Channel != store.NotifyChannel {
		t.Fatalf("notification %+v, want one from the writer (pid %d) on %q", n, b.writer.PgConn().PID(), store.NotifyChannel)
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
	exec(t, other, `SELECT pg_notify($1, 'marker')`, store.NotifyChannel)
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
