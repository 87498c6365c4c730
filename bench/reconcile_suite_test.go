//go:build bench

package bench

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"
)

// reconResult is one reconcile pass of scenario 3.
type reconResult struct {
	Seconds float64
	RSSMB   float64 // peak resident set of the process
	API     apiCounts
	// Drift is the rows found different; Written those repaired before
	// the pass ended (the naive pass is cut off after a time limit).
	Drift, Written int
	// CompareSeconds (naive only) is reading tab and table and diffing.
	CompareSeconds float64
}

// measure runs cmd to its end and returns its stdout, wall time and peak
// RSS in MB.
func measure(t *testing.T, cmd *exec.Cmd) ([]byte, float64, float64) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	hwm := watchPeakRSS(cmd.Process.Pid)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd.Path, err, errOut.String())
	}
	return out.Bytes(), time.Since(start).Seconds(), float64(hwm()) / 1024
}

// driftSQL changes 1 % of the rows behind any mirror's back (triggers off,
// as a pg_restore --disable-triggers would).
const driftSQL = `ALTER TABLE wide DISABLE TRIGGER USER;
	UPDATE wide SET note = 'drift ' || clock_timestamp() WHERE id % 100 = 0;
	ALTER TABLE wide ENABLE TRIGGER USER`

// reconcileSyncd seeds a 100,000 × 10 tab through syncd, then runs `syncd
// reconcile` as its own process runs times without drift and runs times
// after making 1 % drift.
func reconcileSyncd(t *testing.T, bins binaries, rows, runs int) (clean, drift []reconResult) {
	t.Run("reconcile-syncd", func(t *testing.T) { clean, drift = reconcileSyncd1(t, bins, rows, runs) })
	return clean, drift
}

func reconcileSyncd1(t *testing.T, bins binaries, rows, runs int) (clean, drift []reconResult) {
	w := newWorld(t, quotaEmulator())
	if _, err := w.Pool.Exec(w.Ctx, wideRows, rows); err != nil {
		t.Fatal(err)
	}
	w.drain(t, w.syncer(t)) // first mirror, as set-up user
	pass := func() reconResult {
		w.rec.start(false)
		out, secs, rss := measure(t, exec.Command(bins.syncd, "reconcile", "-config", w.cfgPath, "-json"))
		var rep struct{ Drift int }
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("reconcile report: %v\n%s", err, out)
		}
		return reconResult{Seconds: secs, RSSMB: rss, API: w.rec.counts(), Drift: rep.Drift, Written: rep.Drift}
	}
	for i := range runs {
		r := pass()
		if r.Drift != 0 || r.API.Writes != 0 {
			t.Errorf("syncd no-drift reconcile %d: drift %d, %d writes", i, r.Drift, r.API.Writes)
		}
		t.Logf("reconcile syncd clean %d: %+v", i, r)
		clean = append(clean, r)
	}
	for i := range runs {
		if _, err := w.Pool.Exec(w.Ctx, driftSQL); err != nil {
			t.Fatal(err)
		}
		r := pass()
		if r.Drift != rows/100 {
			t.Errorf("syncd 1%% drift reconcile %d repaired %d rows, want %d", i, r.Drift, rows/100)
		}
		t.Logf("reconcile syncd drift %d: %+v", i, r)
		drift = append(drift, r)
	}
	return clean, drift
}

// reconcileNaive does the same with the naive mirror: its tab is seeded in
// its own format by the set-up user; the drift pass is cut off after
// limit and the report extrapolates the rest.
func reconcileNaive(t *testing.T, bins binaries, rows, runs int, limit time.Duration) (clean []reconResult, drift reconResult) {
	t.Run("reconcile-naive", func(t *testing.T) { clean, drift = reconcileNaive1(t, bins, rows, runs, limit) })
	return clean, drift
}

func reconcileNaive1(t *testing.T, bins binaries, rows, runs int, limit time.Duration) (clean []reconResult, drift reconResult) {
	w := naiveWorld(t, false)
	if _, err := w.Pool.Exec(w.Ctx, wideRows, rows); err != nil {
		t.Fatal(err)
	}
	m := w.naiveSetup(t)
	conn, err := w.Pool.Acquire(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	all, err := m.Rows(w.Ctx, conn.Conn())
	conn.Release()
	if err != nil {
		t.Fatal(err)
	}
	w.naiveAppend(t, m, all[1:]) // the header is there already
	pass := func(extra ...string) reconResult {
		w.rec.start(false)
		out, secs, rss := measure(t, exec.Command(bins.naive, naiveArgs(w, "reconcile", extra...)...))
		var rep struct {
			Drift, Written int
			CompareSeconds float64
		}
		if err := json.Unmarshal(out, &rep); err != nil {
			t.Fatalf("naive reconcile report: %v\n%s", err, out)
		}
		return reconResult{Seconds: secs, RSSMB: rss, API: w.rec.counts(), Drift: rep.Drift, Written: rep.Written, CompareSeconds: rep.CompareSeconds}
	}
	for i := range runs {
		r := pass()
		if r.Drift != 0 {
			t.Errorf("naive no-drift reconcile %d found drift %d", i, r.Drift)
		}
		t.Logf("reconcile naive clean %d: %+v", i, r)
		clean = append(clean, r)
	}
	if _, err := w.Pool.Exec(w.Ctx, driftSQL); err != nil {
		t.Fatal(err)
	}
	drift = pass("-max", limit.String())
	t.Logf("reconcile naive drift: %+v", drift)
	return clean, drift
}
