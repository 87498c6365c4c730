package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

// world is a database with the shiftbot schema, an emulator with one
// spreadsheet and a config that mirrors the example tables into it.
type world struct {
	t       *testing.T
	ctx     context.Context
	url     string
	pool    *pgxpool.Pool
	emu     *sheetsemu.Server
	srv     struct{ URL string } // the emulator's base URL (testworld's Endpoint)
	id      string
	cfgPath string
	status  statusCounter // responses by HTTP status, as the daemon saw them
	// startedAt marks the start of a measured workload.
	startedAt time.Time
	tw        *testworld.World
}

// statusCounter counts the emulator's responses by status code.
type statusCounter struct {
	mu sync.Mutex
	n  map[int]int
}

func (c *statusCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: rw, code: 200}
		h.ServeHTTP(rec, r)
		c.mu.Lock()
		if c.n == nil {
			c.n = map[int]int{}
		}
		c.n[rec.code]++
		c.mu.Unlock()
	})
}

func (c *statusCounter) count(code int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[code]
}

type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.code = code
	r.ResponseWriter.WriteHeader(code)
}

func newWorld(t *testing.T, emu sheetsemu.Options) *world {
	t.Helper()
	schema, err := os.ReadFile("../../deploy/examples/shiftbot/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: context.Background()}
	w.tw = testworld.New(t, testworld.Options{Schema: string(schema), Emulator: emu, Wrap: w.status.wrap, Title: "shiftbot"})
	w.url, w.pool, w.emu, w.id, w.srv.URL = w.tw.URL, w.tw.Pool, w.tw.Emu, w.tw.ID, w.tw.Endpoint
	pgtest.Exec(t, w.url, `INSERT INTO employee_settings (employee_id, name) SELECT g, 'employee ' || g FROM generate_series(1, 20) g`)
	src, err := os.ReadFile("../../deploy/examples/shiftbot/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.NewReplacer(
		"${DATABASE_URL}", w.url,
		"${SYNCD_SPREADSHEET_ID}", w.id,
		"${SYNCD_CREDENTIALS_FILE:-}", "",
		"${SYNCD_SHEETS_ENDPOINT:-}", w.srv.URL,
		"listen: 127.0.0.1:9187", "listen: 127.0.0.1:0",
		`schedule: "@every 5m"`, `schedule: "@every 1h"`,
	).Replace(string(src))
	cfg += "log:\n  format: console\n  level: warn\n"
	w.cfgPath = filepath.Join(t.TempDir(), "syncd.yml")
	if err := os.WriteFile(w.cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "migrate", "-config", w.cfgPath); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	return w
}

// startDaemon runs `syncd run` in-process until the returned stop is called;
// stop returns the exit code.
func (w *world) startDaemon() (stop func() int) {
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() { done <- NewMain(&out, &errOut).Run(ctx, []string{"run", "-config", w.cfgPath}) }()
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		code := <-done
		if code != 0 {
			w.t.Logf("syncd run output:\n%s%s", out.String(), errOut.String())
		}
		return code
	}
	w.t.Cleanup(func() { stop() })
	return stop
}

// mirrors resolves the world's config.
func (w *world) mirrors() []syncd.Mirror {
	w.t.Helper()
	return w.tw.Mirrors(w.cfgPath)
}

// client is a Sheets client on the emulator for checking, with its own
// (unlimited) quota so checks never slow the daemon down.
func (w *world) client() *sheets.Client {
	w.t.Helper()
	return w.tw.Client(testworld.CheckerUser)
}

// mirrored waits until the outbox is empty and every named mirror's tab
// equals its table.
func (w *world) mirrored(timeout time.Duration, names ...string) {
	w.t.Helper()
	var ms []syncd.Mirror
	for _, m := range w.mirrors() {
		if slices.Contains(names, m.Name) {
			ms = append(ms, m)
		}
	}
	w.tw.Mirrored(timeout, ms...)
}

// insertShifts inserts n shifts, one per transaction, retrying each until it
// commits (the server may be restarting).
func (w *world) insertShifts(from, n int, each func(i int)) {
	w.t.Helper()
	for i := from; i < from+n; i++ {
		for attempt := 0; ; attempt++ {
			_, err := w.pool.Exec(w.ctx, `INSERT INTO shifts (shift_id, shift_date, employee_id, total_sales, comment)
				VALUES ($1, DATE '2025-01-01' + $1 % 300, 1 + $1 % 20, ($1 * 37 % 100000) / 100.0, $2)`, i, fmt.Sprintf("shift %d", i))
			if err == nil {
				break
			}
			if attempt > 600 {
				w.t.Fatalf("insert shift %d: %v", i, err)
			}
			time.Sleep(50 * time.Millisecond) // the server is restarting: retry the write, not a readiness wait
		}
		if each != nil {
			each(i)
		}
	}
}

func TestRunMirrorsThroughListenerKillAndServerRestart(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{})
	stop := w.startDaemon()
	w.mirrored(30*time.Second, "employees") // first start: tabs created, employees written
	var once sync.Once
	w.insertShifts(1, 300, func(i int) {
		switch i {
		case 100:
			// Kill the listener's backend: the daemon must reconnect,
			// re-LISTEN and catch up.
			// The listener connects beside the first writes, with nothing
			// ordering the two: wait until there is one to kill.
			testworld.Eventually(t, 30*time.Second, "the listener's backend is terminated", func() (bool, string) {
				tag, err := w.pool.Exec(w.ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
					WHERE datname = current_database() AND application_name = 'syncd listen'`)
				if err != nil {
					t.Fatalf("terminate listener: %v", err)
				}
				return tag.RowsAffected() > 0, "no listener backend yet"
			})
		case 200:
			once.Do(func() {
				if err := pgtest.Cluster(t).Restart(w.ctx, true); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	w.mirrored(60*time.Second, "shifts", "employees", "monthly")
	var batches, changes int
	if err := w.pool.QueryRow(w.ctx, `SELECT count(*), coalesce(sum(changes), 0) FROM syncd.sync_log
		WHERE mirror = 'shifts' AND kind = 'change' AND status = 'ok'`).Scan(&batches, &changes); err != nil {
		t.Fatal(err)
	}
	if changes != 300 {
		t.Errorf("sync_log accounts for %d shift changes in %d batches, want 300", changes, batches)
	}
	if code := stop(); code != 0 {
		t.Fatalf("syncd run exited %d on cancellation, want 0", code)
	}
}

func TestRunUnderQuotaFaultsAndLatency(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{WriteQuota: 60, ReadQuota: 60, FailRate: 0.05, Latency: 100 * time.Millisecond, Seed: 7})
	stop := w.startDaemon()
	w.mirrored(time.Minute, "employees") // start-up: tabs created, first reconcile done
	before := w.emu.Stats()[w.id]
	batchesBefore := w.batches()
	w.startedAt = time.Now()
	// 2,000 single-row transactions at about 200/s, the rate CONTRACT.md §8
	// names; the pacing shapes the workload, it waits for nothing.
	pace := time.NewTicker(5 * time.Millisecond)
	defer pace.Stop()
	w.insertShifts(1, 2000, func(int) { <-pace.C })
	w.drained(3 * time.Minute)
	after := w.emu.Stats()[w.id] // before the checks below read the sheet too
	w.mirrored(time.Minute, "shifts", "monthly")
	if code := stop(); code != 0 {
		t.Fatalf("syncd run exited %d", code)
	}
	batches := w.batches() - batchesBefore
	calls := (after.Reads - before.Reads) + (after.Writes - before.Writes)
	t.Logf("2000 transactions: %d batches, %d API calls (%d reads, %d writes) accepted, %d rejected (%d × 429, %d × 503)",
		batches, calls, after.Reads-before.Reads, after.Writes-before.Writes, after.Rejected-before.Rejected, w.status.count(429), w.status.count(503))
	if n := w.status.count(429); n != 0 {
		t.Errorf("the daemon drew %d 429 responses under a 60/min quota, want 0", n)
	}
	// Every batch that succeeded made at most 2 calls (key read + write).
	// A batch whose write hit an injected 503 is redone from a fresh key
	// read (the write may have been applied), so each failure adds a read.
	var maxCalls, failed int
	if err := w.pool.QueryRow(w.ctx, `SELECT coalesce(max(api_calls) FILTER (WHERE status = 'ok' AND started_at > $1), 0),
		count(*) FILTER (WHERE status = 'error') FROM syncd.sync_log WHERE kind = 'change' AND mirror = 'shifts'`, w.startedAt).Scan(&maxCalls, &failed); err != nil {
		t.Fatal(err)
	}
	t.Logf("per batch: at most %d calls; %d failed batches redone; %.2f accepted calls per batch overall", maxCalls, failed, float64(calls)/float64(batches))
	if batches == 0 || maxCalls > 2 {
		t.Errorf("%d batches, the largest made %d API calls; want ≤ 2 per batch", batches, maxCalls)
	}
	if calls > int64(2*batches+failed) {
		t.Errorf("%d API calls for %d batches and %d redone ones, want ≤ %d", calls, batches, failed, 2*batches+failed)
	}
}

// drained waits until the outbox is empty: every batch has been written to
// the sheet (entries are deleted only after the write).
func (w *world) drained(timeout time.Duration) {
	w.t.Helper()
	testworld.Eventually(w.t, timeout, "outbox drained", func() (bool, string) {
		pending, err := w.tw.Pending()
		if err != nil {
			return false, err.Error()
		}
		return pending == 0, fmt.Sprintf("%d changes pending", pending)
	})
}

// batches counts the distinct change batches sync_log recorded.
func (w *world) batches() int {
	w.t.Helper()
	var n int
	if err := w.pool.QueryRow(w.ctx, `SELECT count(DISTINCT started_at) FROM syncd.sync_log WHERE kind = 'change' AND status = 'ok'`).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// TestTwoDaemonsOnOneHostAreTwoInstances starts two `syncd run` processes
// on one host and database without -instance: status must show one leader
// and one standby (exit 0) every time it is asked, right after both are up
// and right after a drain. With the host name as the default instance the
// two overwrote one row and status said "no instance leads".
func TestTwoDaemonsOnOneHostAreTwoInstances(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{})
	bin := syncdBinary(t)
	for range 2 {
		cmd := exec.Command(bin, "run", "-config", w.cfgPath)
		var logs lockedBuffer
		cmd.Stdout, cmd.Stderr = &logs, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("syncd run (pid %d) after SIGTERM: %v\n%s", cmd.Process.Pid, err, logs.String())
				}
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				t.Errorf("syncd run (pid %d) did not stop within 30s of SIGTERM\n%s", cmd.Process.Pid, logs.String())
			}
		})
	}
	oneLeaderOneStandby := func() (bool, string) {
		code, out, errOut := runCmd(t, "status", "-json", "-config", w.cfgPath)
		var st struct {
			Daemon struct {
				State     string `json:"state"`
				Standbys  int    `json:"standbys"`
				Instances []struct {
					Instance, Role string
					Fresh          bool
				} `json:"instances"`
			} `json:"daemon"`
		}
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			return false, fmt.Sprintf("exit %d: %v\n%s%s", code, err, out, errOut)
		}
		roles := map[string]int{}
		for _, in := range st.Daemon.Instances {
			if in.Fresh {
				roles[in.Role]++
			}
		}
		ok := code == 0 && st.Daemon.State == "running" && st.Daemon.Standbys == 1 && roles["leader"] == 1 && roles["standby"] == 1
		return ok, fmt.Sprintf("exit %d, fresh roles %v:\n%s", code, roles, out)
	}
	// Both up: each has written its row.
	testworld.Eventually(t, 60*time.Second, "a leader and a standby", oneLeaderOneStandby)
	w.mirrored(60*time.Second, "employees")
	check := func(when string) {
		t.Helper()
		for i := range 20 {
			if ok, why := oneLeaderOneStandby(); !ok {
				t.Fatalf("%s, status #%d: %s", when, i+1, why)
			}
		}
	}
	check("right after start")
	w.insertShifts(1, 50, nil)
	w.drained(60 * time.Second)
	check("right after a drain")
}
