package chaos

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testworld"
)

// TestChaosLeavesTabEqualToTableWithEveryChangeAccounted is issue 8's chaos
// suite on one workload: 10,000 changes (inserts, multi-row inserts and
// updates, deletes, key updates) from four writers, while
//   - the daemon is killed with SIGKILL 20 times at random moments and
//     restarted each time (as systemd's Restart=always would),
//   - the listener's backend is terminated (pg_terminate_backend),
//   - PostgreSQL is restarted,
//   - the emulator answers 10 % 503, 5 % 429, resets 4 % of connections
//     (half of them after applying the request) and adds 0–60 ms latency.
//
// After quiescence and one `syncd reconcile`: the tab equals the table
// cell for cell, no key appears twice, and sync_log accounts for every
// outbox entry the workload produced.
func TestChaosLeavesTabEqualToTableWithEveryChangeAccounted(t *testing.T) {
	target, kills := 10000, 20
	if testing.Short() {
		target, kills = 2000, 5
	}
	began := time.Now()
	w := newWorld(t)
	f := newFaults(8)
	endpoint := w.Serve(f.wrap(w.Emu))
	cfg := w.writeConfig("chaos", endpoint)
	if code, out := testworld.RunSyncd(t, "migrate", "-config", cfg); code != 0 {
		t.Fatalf("syncd migrate: exit %d\n%s", code, out)
	}
	pgtest.Exec(t, w.URL, countProduced)
	f.on.Store(true)

	sup := &supervisor{w: w, cfg: cfg, instance: "chaos", killed: map[*testworld.Proc]bool{}, done: make(chan struct{})}
	go sup.run()
	t.Cleanup(sup.abort)
	wl := &workload{pool: w.Pool, writers: 4, target: int64(target), pace: 80 * time.Millisecond}
	ctx, cancel := context.WithCancel(w.Ctx)
	defer cancel()
	wlDone := make(chan error, 1)
	go func() { wlDone <- wl.run(ctx, 8) }()

	// Kill at random moments: each time the daemon leads again, let it work
	// for a random 0.2–2.5 s (mid-batch, mid-reconcile, idle: whatever it is
	// doing), then SIGKILL it. The server-side faults fire at the first
	// kill after the workload passes 40 % and 70 % of its changes.
	rng := rand.New(rand.NewPCG(8, 20))
	terminated, restarted := false, false
	inWindow := 0
	for i := 0; i < kills; i++ {
		sup.waitLeading(t)
		made := wl.made.Load()
		if !terminated && (made >= int64(target)*4/10 || i == kills-2) {
			w.terminateListener(t)
			terminated = true
			sup.waitLeading(t)
		}
		if !restarted && (made >= int64(target)*7/10 || i == kills-1) {
			if err := pgtest.Cluster(t).Restart(w.Ctx, true); err != nil {
				t.Fatal(err)
			}
			restarted = true
			sup.waitLeading(t)
		}
		if i%3 == 2 && wl.made.Load() < int64(target) {
			// Every third kill lands in the window that matters most:
			// the batch is in the sheet, its outbox entries are not yet
			// deleted. The next daemon must rewrite it, not duplicate it.
			if w.killAfterNextWrite(t, f, sup) {
				inWindow++
			}
			continue
		}
		time.Sleep(time.Duration(200+rng.IntN(2300)) * time.Millisecond) // a random kill moment, not a readiness wait
		sup.kill9()
	}
	if err := <-wlDone; err != nil {
		t.Fatalf("workload: %v", err)
	}
	workloadEnded := time.Since(began)

	// Quiescence: the last daemon drains everything, faults still on.
	testworld.Eventually(t, 3*time.Minute, "the outbox drained", func() (bool, string) {
		n, err := w.Pending()
		if err != nil {
			return false, err.Error()
		}
		return n == 0, fmt.Sprintf("%d changes pending; daemon log:\n%s", n, sup.current().Log.Tail(2000))
	})
	sup.stop(t)
	m := w.mirror(cfg)
	check := w.Checker()
	// The change path alone, through every kill and fault, must already
	// have left the tab right; the reconcile below is the contract's safety
	// net, so a difference here is a bug it would hide.
	if diff, err := w.Diff(m); err != nil || diff != "" {
		t.Errorf("after quiescence, before the reconcile, the tab differs from the table: %s %v", diff, err)
	}
	if code, out := testworld.RunSyncd(t, "reconcile", "-config", cfg); code != 0 {
		t.Fatalf("syncd reconcile (emulator faults still on): exit %d\n%s", code, out)
	}
	f.on.Store(false)

	if diff, err := w.Diff(m); err != nil || diff != "" {
		t.Fatalf("after the reconcile the tab differs from the table: %s %v", diff, err)
	}
	rows, dups := w.duplicateKeys(t, check)
	if len(dups) > 0 {
		t.Errorf("keys repeated in the tab: %v", dups)
	}
	produced, accounted, batches, failed := w.accounting(t)
	if produced < int64(target) {
		t.Errorf("the workload produced %d outbox entries, want ≥ %d", produced, target)
	}
	// At-least-once accounting: an outbox entry leaves syncd.changes only
	// in the transaction that logs its batch as ok, so each entry is
	// counted at least once. It may be counted twice: a SIGKILLed
	// daemon's COMMIT already sent can land after its successor read the
	// same entries, and the successor (whose DELETE then finds nothing)
	// writes the same rows again, idempotently, and logs them again.
	if accounted < produced {
		t.Errorf("sync_log accounts for %d changes in %d ok batches, the workload produced %d: some were never mirrored", accounted, batches, produced)
	}
	var drift int
	w.Pool.QueryRow(w.Ctx, `SELECT coalesce(drift, -1) FROM syncd.sync_log WHERE kind = 'reconcile' AND mirror = 'items' ORDER BY id DESC LIMIT 1`).Scan(&drift)
	t.Logf("%d of the kills hit a daemon whose batch was in the sheet but not yet committed", inWindow)
	t.Logf("%d kills survived (%d exits the daemon made on its own, restarted); %d changes produced (writers counted %d, %d statements retried), %d accounted in %d ok batches (%d failed batches retried); %d rows checked cell for cell; final reconcile drift %d",
		sup.kills.Load(), len(sup.selfExits), produced, wl.made.Load(), wl.failed.Load(), accounted, batches, failed, rows, drift)
	t.Logf("emulator faults injected: %s", f)
	t.Logf("workload ended after %v, all checks after %v", workloadEnded.Round(time.Second), time.Since(began).Round(time.Second))
	for _, e := range sup.selfExits {
		t.Logf("the daemon exited on its own: %s", e)
	}
	if sup.kills.Load() != int64(kills) {
		t.Errorf("%d kills, want %d", sup.kills.Load(), kills)
	}
}

// terminateListener ends the leader's LISTEN backend. The daemon may be
// between lead sessions, so the lookup is repeated until a backend was hit.
func (w *world) terminateListener(t *testing.T) {
	t.Helper()
	testworld.Eventually(t, time.Minute, "a listener backend to terminate", func() (bool, string) {
		tag, err := w.Pool.Exec(w.Ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND application_name = 'syncd listen'`)
		if err != nil {
			return false, err.Error()
		}
		return tag.RowsAffected() > 0, "no backend with application_name 'syncd listen'"
	})
}

// killAfterNextWrite kills the daemon right after the emulator applied its
// next batchUpdate, before the daemon hears back. It reports whether that
// happened; when no write came within 30 s it kills the daemon anyway.
func (w *world) killAfterNextWrite(t *testing.T, f *faults, sup *supervisor) bool {
	t.Helper()
	hit := make(chan struct{})
	kill := func() {
		sup.kill9()
		close(hit)
	}
	f.onWrite.Store(&kill)
	select {
	case <-hit:
		return true
	case <-time.After(30 * time.Second):
		if f.onWrite.Swap(nil) == nil {
			<-hit // the hook fired just now
			return true
		}
		sup.kill9()
		return false
	}
}

// duplicateKeys reads the key column of the tab and returns the number of
// data rows and the keys that appear more than once.
func (w *world) duplicateKeys(t *testing.T, check syncd.Spreadsheet) (int, []float64) {
	t.Helper()
	got, err := check.Read(w.Ctx, []syncd.Range{{Tab: "Items", EndCol: 1}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[float64]bool{}
	var dups []float64
	for _, row := range got[0][1:] {
		if len(row) == 0 || row[0].Type != syncd.CellNumber {
			t.Errorf("a tab row without a numeric key: %+v", row)
			continue
		}
		if seen[row[0].Number] {
			dups = append(dups, row[0].Number)
		}
		seen[row[0].Number] = true
	}
	return len(got[0]) - 1, dups
}

// accounting returns the outbox entries the workload produced (counted by
// the database) and what sync_log says was mirrored.
func (w *world) accounting(t *testing.T) (produced, accounted int64, batches, failed int) {
	t.Helper()
	if err := w.Pool.QueryRow(w.Ctx, `SELECT coalesce(sum(n), 0) FROM chaos_produced`).Scan(&produced); err != nil {
		t.Fatal(err)
	}
	if err := w.Pool.QueryRow(w.Ctx, `SELECT coalesce(sum(changes) FILTER (WHERE status = 'ok'), 0),
		count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'error')
		FROM syncd.sync_log WHERE mirror IN ('items', '*') AND kind = 'change'`).Scan(&accounted, &batches, &failed); err != nil {
		t.Fatal(err)
	}
	return produced, accounted, batches, failed
}

// supervisor keeps one `syncd run` going, as systemd's Restart=always
// does: it restarts the daemon whenever it exits, whether the test killed
// it or it exited by itself (which it records).
type supervisor struct {
	w             *world
	cfg, instance string

	mu        sync.Mutex
	cur       *testworld.Proc
	killed    map[*testworld.Proc]bool
	selfExits []string
	kills     atomic.Int64
	stopping  bool
	done      chan struct{}
}

func (s *supervisor) run() {
	defer close(s.done)
	for {
		// Starting under the lock: once stop or abort has set stopping, no
		// new daemon can appear behind their back.
		s.mu.Lock()
		if s.stopping {
			s.mu.Unlock()
			return
		}
		p := s.w.start(s.cfg, s.instance)
		s.cur = p
		s.mu.Unlock()
		<-p.Done()
		s.mu.Lock()
		if !s.killed[p] && !s.stopping {
			s.selfExits = append(s.selfExits, fmt.Sprintf("%v; log: %s", p.Err(), p.Log.Tail(1500)))
		}
		s.mu.Unlock()
		// systemd's RestartSec, shortened: a pause before the restart.
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *supervisor) current() *testworld.Proc {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// waitLeading waits until the current daemon process has written its
// heartbeat as leader.
func (s *supervisor) waitLeading(t *testing.T) {
	t.Helper()
	testworld.Eventually(t, 2*time.Minute, "the daemon to lead", func() (bool, string) {
		p := s.current()
		if p == nil || p.Exited() {
			return false, "no daemon running"
		}
		role, err := s.w.role(s.instance, p.Pid())
		if err != nil {
			return false, err.Error()
		}
		return role == "leader", fmt.Sprintf("role %q; log:\n%s", role, p.Log.Tail(1500))
	})
}

func (s *supervisor) kill9() {
	p := s.current()
	s.mu.Lock()
	s.killed[p] = true
	s.mu.Unlock()
	p.Kill9()
	s.kills.Add(1)
}

// stop ends the supervision and the daemon, with SIGTERM.
func (s *supervisor) stop(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	s.stopping = true
	p := s.cur
	s.mu.Unlock()
	if !p.Exited() {
		stop(t, p)
	}
	<-s.done
}

// abort ends the supervision and the daemon with SIGKILL (test clean-up,
// also after a failure).
func (s *supervisor) abort() {
	s.mu.Lock()
	s.stopping = true
	p := s.cur
	s.mu.Unlock()
	if p != nil {
		p.Kill9()
	}
	<-s.done
}
