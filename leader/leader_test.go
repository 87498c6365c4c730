package leader_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/leader"
	"github.com/syncd/syncd/migrations"
)

func TestMain(m *testing.M) {
	if os.Getenv("LEADER_HELPER_URL") != "" {
		os.Exit(helperProcess())
	}
	os.Exit(pgtest.Main(m))
}

// waitTimeout bounds every wait for an event; tests never sleep for
// readiness, they wait for a hook and fail after this long.
const waitTimeout = 15 * time.Second

// migratedDB returns a fresh database with syncd's schema.
func migratedDB(t *testing.T) string {
	t.Helper()
	url := pgtest.NewDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := migrations.ApplySchema(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return url
}

// instance is one elector under test with channels fed by its hooks.
type instance struct {
	name     string
	e        *leader.Elector
	elected  chan struct{}
	deposed  chan error
	leadCtx  chan context.Context // each lead's context, when it starts
	pids     chan uint32          // lock connection pids
	runErr   chan error
	cancel   context.CancelFunc
	leadErr  error // what lead returns when its context is not cancelled
	leadStop chan struct{}
}

// start runs an elector named name on url; active counts the leads running
// at any moment across instances, maxActive the most ever seen.
func start(t *testing.T, url, name string, interval time.Duration, active, maxActive *atomic.Int32) *instance {
	t.Helper()
	return startWith(t, func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) }, name, interval, active, maxActive)
}

func startWith(t *testing.T, connect func(context.Context) (*pgx.Conn, error), name string, interval time.Duration, active, maxActive *atomic.Int32) *instance {
	t.Helper()
	in := &instance{
		name:     name,
		elected:  make(chan struct{}, 10),
		deposed:  make(chan error, 10),
		leadCtx:  make(chan context.Context, 10),
		pids:     make(chan uint32, 10),
		runErr:   make(chan error, 1),
		leadStop: make(chan struct{}),
	}
	in.e = leader.New(leader.Options{
		Connect:           connect,
		Instance:          name,
		Version:           "test",
		HeartbeatInterval: interval,
		Logger:            zaptest.NewLogger(t).Named(name),
		Hooks: leader.Hooks{
			Connected: func(pid uint32) { in.pids <- pid },
			Elected:   func() { in.elected <- struct{}{} },
			Deposed:   func(err error) { in.deposed <- err },
		},
	})
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() {
		in.runErr <- in.e.Run(ctx, func(lctx context.Context) error {
			n := active.Add(1)
			for {
				m := maxActive.Load()
				if n <= m || maxActive.CompareAndSwap(m, n) {
					break
				}
			}
			defer active.Add(-1)
			in.leadCtx <- lctx
			select {
			case <-lctx.Done():
				return nil
			case <-in.leadStop:
				return in.leadErr
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-in.runErr:
		case <-time.After(waitTimeout):
			t.Errorf("%s: Run did not return after cancel", name)
		}
	})
	return in
}

func recv[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(waitTimeout):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// firstElected waits until one of the instances is elected and returns it
// and the other.
func firstElected(t *testing.T, a, b *instance) (lead, standby *instance) {
	t.Helper()
	select {
	case <-a.elected:
		return a, b
	case <-b.elected:
		return b, a
	case <-time.After(waitTimeout):
		t.Fatal("nobody was elected")
	}
	panic("unreachable")
}

func roles(t *testing.T, url string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT instance, role FROM syncd.daemons")
	out := map[string]string{}
	var inst, role string
	_, err = pgx.ForEachRow(rows, []any{&inst, &role}, func() error { out[inst] = role; return nil })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitRoles polls syncd.daemons (the heartbeat is what is under test, and
// it arrives on its own schedule) until it shows want.
func waitRoles(t *testing.T, url string, want map[string]string) {
	t.Helper()
	testworld.Eventually(t, waitTimeout, "roles", func() (bool, string) {
		got := roles(t, url)
		return fmt.Sprint(got) == fmt.Sprint(want), fmt.Sprintf("syncd.daemons roles = %v, want %v", got, want)
	})
}

func TestExactlyOneOfTwoLeadsAndBothHeartbeat(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	a := start(t, url, "a", 50*time.Millisecond, &active, &maxActive)
	b := start(t, url, "b", 50*time.Millisecond, &active, &maxActive)
	lead, standby := firstElected(t, a, b)
	recv(t, lead.leadCtx, "lead to start")
	waitRoles(t, url, map[string]string{lead.name: "leader", standby.name: "standby"})
	if !lead.e.IsLeader() || standby.e.IsLeader() {
		t.Fatalf("IsLeader: %s=%v %s=%v", lead.name, lead.e.IsLeader(), standby.name, standby.e.IsLeader())
	}
	select {
	case <-standby.elected:
		t.Fatalf("%s was elected while %s leads", standby.name, lead.name)
	default:
	}
	if n := maxActive.Load(); n != 1 {
		t.Fatalf("%d leads ran at once, want 1", n)
	}
}

func TestTerminatedLockConnectionCancelsLeadAtOnceAndStandbyTakesOver(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	// The leader's interval is long on purpose: it must notice the loss by
	// reading its connection, not at its next heartbeat.
	const slow, fast = 3 * time.Second, 100 * time.Millisecond
	a := start(t, url, "a", slow, &active, &maxActive)
	pidA := recv(t, a.pids, "a's connection")
	recv(t, a.elected, "a elected")
	lctx := recv(t, a.leadCtx, "a's lead")
	b := start(t, url, "b", fast, &active, &maxActive)
	recv(t, b.pids, "b's connection")
	waitRoles(t, url, map[string]string{"a": "leader", "b": "standby"})

	killed := time.Now()
	pgtest.Exec(t, url, "SELECT pg_terminate_backend($1)", int32(pidA))
	select {
	case <-lctx.Done():
	case <-time.After(slow / 2):
		t.Fatalf("lead context not cancelled %v after its lock connection was terminated", slow/2)
	}
	cancelled := time.Since(killed)
	if a.e.IsLeader() {
		t.Fatal("a still reports IsLeader after its lead context was cancelled")
	}
	if err := recv(t, a.deposed, "a deposed"); err == nil {
		t.Fatal("Deposed without an error after the connection was terminated")
	}
	recv(t, b.elected, "b elected")
	took := time.Since(killed)
	recv(t, b.leadCtx, "b's lead")
	t.Logf("lead cancelled %v after pg_terminate_backend; standby (interval %v) led after %v", cancelled, fast, took)
	if took > 5*fast+time.Second {
		t.Fatalf("takeover took %v, want within a few intervals of %v", took, fast)
	}
	if !b.e.IsLeader() {
		t.Fatal("b does not report IsLeader after being elected")
	}
	// a reconnects and stands by rather than leading again.
	if pid := recv(t, a.pids, "a reconnected"); pid == pidA {
		t.Fatal("a reconnected on the terminated backend")
	}
	if a.e.IsLeader() {
		t.Fatal("a leads again while b holds the lock")
	}
}

func TestStalledLockConnectionIsDetectedByPing(t *testing.T) {
	t.Parallel()
	pgtest.Cluster(t) // signals the server's processes: needs our own cluster
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	a := start(t, url, "a", 100*time.Millisecond, &active, &maxActive)
	pid := recv(t, a.pids, "a's connection")
	recv(t, a.elected, "a elected")
	lctx := recv(t, a.leadCtx, "a's lead")
	// A stopped backend behaves like the far end of a half-open TCP
	// connection: nothing arrives and nothing is answered, so only the
	// heartbeat's round trip can notice.
	if err := syscall.Kill(int(pid), syscall.SIGSTOP); err != nil {
		t.Fatalf("stop backend %d: %v", pid, err)
	}
	t.Cleanup(func() { syscall.Kill(int(pid), syscall.SIGCONT) })
	select {
	case <-lctx.Done():
	case <-time.After(waitTimeout):
		t.Fatal("lead context not cancelled while the lock connection is stalled")
	}
	if err := recv(t, a.deposed, "a deposed"); err == nil || !strings.Contains(err.Error(), "heartbeat") {
		t.Fatalf("Deposed(%v), want a heartbeat error", err)
	}
	if a.e.IsLeader() {
		t.Fatal("still IsLeader with a stalled lock connection")
	}
}

// TestHalfOpenLockConnectionIsReplacedAndItsBackendTerminated freezes the
// leader's lock connection: the server's end stays healthy, so the server
// would keep the lock for ever. The leader's heartbeat times out, it stops
// leading, and on reconnecting terminates its old backend, which lets the
// standby (or itself) lead.
func TestHalfOpenLockConnectionIsReplacedAndItsBackendTerminated(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var f pgtest.Freezer
	var active, maxActive atomic.Int32
	a := startWith(t, f.Connect(t, url), "a", 100*time.Millisecond, &active, &maxActive)
	pid := recv(t, a.pids, "a's connection")
	recv(t, a.elected, "a elected")
	lctx := recv(t, a.leadCtx, "a's lead")
	b := start(t, url, "b", 100*time.Millisecond, &active, &maxActive)
	waitRoles(t, url, map[string]string{"a": "leader", "b": "standby"})

	frozen := time.Now()
	f.FreezeLast()
	select {
	case <-lctx.Done():
	case <-time.After(waitTimeout):
		t.Fatal("lead context not cancelled while the lock connection is half-open")
	}
	if pid2 := recv(t, a.pids, "a reconnected"); pid2 == pid {
		t.Fatalf("a reconnected on the half-open backend %d", pid)
	}
	// Whoever leads next could take the lock only because a terminated
	// its old backend.
	select {
	case <-a.elected:
	case <-b.elected:
	case <-time.After(waitTimeout):
		t.Fatal("nobody leads after the leader's connection went half-open")
	}
	t.Logf("half-open lock connection: a new leader after %v", time.Since(frozen))
	var alive bool
	if err := pgxQueryRow(url, `SELECT EXISTS (SELECT FROM pg_stat_activity WHERE pid = $1)`, []any{int64(pid)}, &alive); err != nil {
		t.Fatal(err)
	}
	if alive {
		t.Fatalf("half-open backend %d still exists", pid)
	}
}

func pgxQueryRow(url, sql string, args []any, dest ...any) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql, args...).Scan(dest...)
}

func TestCleanStopMarksStoppedAndHandsOver(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	a := start(t, url, "a", 50*time.Millisecond, &active, &maxActive)
	recv(t, a.elected, "a elected")
	b := start(t, url, "b", 50*time.Millisecond, &active, &maxActive)
	waitRoles(t, url, map[string]string{"a": "leader", "b": "standby"})
	a.cancel()
	if err := recv(t, a.runErr, "a's Run to return"); err != nil {
		t.Fatalf("Run after cancel = %v, want nil", err)
	}
	a.runErr <- nil // for the cleanup
	recv(t, b.elected, "b elected")
	waitRoles(t, url, map[string]string{"a": "stopped", "b": "leader"})
}

func TestLeadReturningReleasesTheLockAndEndsRun(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	a := start(t, url, "a", 50*time.Millisecond, &active, &maxActive)
	a.leadErr = errors.New("syncer gave up")
	recv(t, a.elected, "a elected")
	recv(t, a.leadCtx, "a's lead")
	b := start(t, url, "b", 50*time.Millisecond, &active, &maxActive)
	waitRoles(t, url, map[string]string{"a": "leader", "b": "standby"})
	close(a.leadStop)
	if err := recv(t, a.runErr, "a's Run to return"); err == nil || err.Error() != "syncer gave up" {
		t.Fatalf("Run = %v, want lead's error", err)
	}
	a.runErr <- nil
	recv(t, b.elected, "b elected")
	waitRoles(t, url, map[string]string{"a": "stopped", "b": "leader"})
}

// TestKilledLeaderProcessIsReplaced runs two electors as separate processes
// (this test binary re-executed), kill -9s the leader and times the
// takeover: the server releases a session lock the moment the backend sees
// its client's socket close.
func TestKilledLeaderProcessIsReplaced(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	type proc struct {
		cmd    *exec.Cmd
		events chan string
	}
	spawn := func(name string) *proc {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "LEADER_HELPER_URL="+url, "LEADER_HELPER_NAME="+name)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &proc{cmd: cmd, events: make(chan string, 100)}
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				p.events <- sc.Text()
			}
			close(p.events)
		}()
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return p
	}
	a := spawn("a")
	if ev := recv(t, a.events, "a's first event"); ev != "elected" {
		t.Fatalf("a: %q, want elected", ev)
	}
	b := spawn("b")
	waitRoles(t, url, map[string]string{"a": "leader", "b": "standby"})
	killed := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if ev := recv(t, b.events, "b's first event"); ev != "elected" {
		t.Fatalf("b: %q, want elected", ev)
	}
	took := time.Since(killed)
	t.Logf("kill -9 of the leader: standby led after %v (heartbeat interval %v)", took, helperInterval)
	if took > 10*time.Second {
		t.Fatalf("takeover took %v, want under 10 s", took)
	}
	waitRoles(t, url, map[string]string{"a": "leader", "b": "leader"}) // a's row is stale, not stopped: it was killed
}

const helperInterval = 500 * time.Millisecond

// helperProcess is an elector in its own process; it prints "elected" when
// it leads and runs until killed.
func helperProcess() int {
	url, name := os.Getenv("LEADER_HELPER_URL"), os.Getenv("LEADER_HELPER_NAME")
	var mu sync.Mutex
	e := leader.New(leader.Options{
		Connect:           func(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, url) },
		Instance:          name,
		HeartbeatInterval: helperInterval,
		Hooks: leader.Hooks{Elected: func() {
			mu.Lock()
			fmt.Println("elected")
			mu.Unlock()
		}},
	})
	err := e.Run(context.Background(), func(ctx context.Context) error { <-ctx.Done(); return nil })
	fmt.Fprintln(os.Stderr, "helper:", err)
	return 1
}

// TestLeaderRowIsWrittenBeforeLeadStarts: the moment lead runs, the
// instance's row already says leader (status must never see a leader at
// work whose row says standby or is missing).
func TestLeaderRowIsWrittenBeforeLeadStarts(t *testing.T) {
	t.Parallel()
	url := migratedDB(t)
	var active, maxActive atomic.Int32
	a := start(t, url, "a", time.Hour, &active, &maxActive)
	recv(t, a.elected, "election")
	recv(t, a.leadCtx, "lead to start")
	// With an hour between heartbeats, only the election's write can have
	// put the row there.
	if got := roles(t, url); got["a"] != leader.RoleLeader {
		t.Fatalf("syncd.daemons when lead started = %v, want a: leader", got)
	}
}

// TestDefaultInstanceIsUniquePerProcess: two daemons on one host without
// -instance get two rows.
func TestDefaultInstanceIsUniquePerProcess(t *testing.T) {
	a, b := leader.DefaultInstance("pi", 100), leader.DefaultInstance("pi", 101)
	if a == b || !strings.HasPrefix(a, "pi") {
		t.Fatalf("DefaultInstance: %q and %q", a, b)
	}
}
