//go:build bench

package bench

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"
)

// copyResult is one run of scenario 2.
type copyResult struct {
	N, Visible int
	// CopySeconds is the COPY statement, commit included.
	CopySeconds float64
	// Mirrored is COPY start → last row visible, seconds; +Inf when not
	// every row was visible when observation stopped (after Observed).
	Mirrored, Observed float64
	API                apiCounts
	// Batches and MaxBatchCalls as in txResult.
	Batches, MaxBatchCalls int
}

// copyData renders wideRows' n rows in COPY text format, so that the
// benchmark sends a real COPY and not n INSERTs.
func copyData(n int) []byte {
	var b bytes.Buffer
	day0 := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for g := 1; g <= n; g++ {
		status := "closed"
		if g%3 == 0 {
			status = "open"
		}
		note := fmt.Sprintf("note %d", g%97)
		if g%10 == 0 {
			note = `\N`
		}
		fmt.Fprintf(&b, "%d\trow %d\t%d.%02d\t%d\t%v\t%t\t%s\t%s\t%s\t%s\n",
			g, g, (g%100000)/100, (g%100000)%100, g%1000, float64(g)/7.0, g%2 == 0,
			day0.AddDate(0, 0, g%2000).Format("2006-01-02"),
			day0.Add(time.Duration(g)*time.Minute).Format("2006-01-02 15:04:05+00"), status, note)
	}
	return b.Bytes()
}

// runCopy COPYs data (n rows) into w's wide table and watches the emulator
// until every row is visible or limit (from the COPY's start) passes.
func runCopy(t *testing.T, w *world, data []byte, n int, limit time.Duration) copyResult {
	t.Helper()
	conn, err := w.Pool.Acquire(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	w.rec.start(true)
	start := time.Now()
	if _, err := conn.Conn().PgConn().CopyFrom(w.Ctx, bytes.NewReader(data), "COPY wide FROM STDIN"); err != nil {
		t.Fatal(err)
	}
	res := copyResult{N: n, CopySeconds: time.Since(start).Seconds(), Mirrored: math.Inf(1)}
	deadline := start.Add(limit)
	for {
		seen := w.rec.landed()
		res.Visible = len(seen)
		if res.Visible >= n {
			var last time.Time
			for _, at := range seen {
				if at.After(last) {
					last = at
				}
			}
			res.Mirrored = last.Sub(start).Seconds()
			break
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling an observable condition
	}
	res.Observed = time.Since(start).Seconds()
	res.API = w.rec.counts()
	return res
}

// copySyncd runs scenario 2 against `syncd run`, each run in a fresh
// database and emulator (a subtest, so that its world is freed after it).
func copySyncd(t *testing.T, bins binaries, data []byte, n, runs int) []copyResult {
	var out []copyResult
	for i := range runs {
		t.Run(fmt.Sprintf("copy-syncd-%d", i), func(t *testing.T) {
			w := newWorld(t, quotaEmulator())
			p := startSyncd(t, bins.syncd, w)
			r := runCopy(t, w, data, n, 10*time.Minute)
			stop(t, p)
			r.Batches, r.MaxBatchCalls = w.batchStats(t)
			if r.Visible != n {
				t.Errorf("only %d of %d rows visible after %.0f s", r.Visible, n, r.Observed)
			}
			t.Logf("%+v", r)
			out = append(out, r)
		})
	}
	return out
}

// copyNaive runs scenario 2 once against the naive mirror, observing for
// limit; the report extrapolates the rest.
func copyNaive(t *testing.T, bins binaries, data []byte, n int, limit time.Duration) (r copyResult) {
	t.Run("copy-naive", func(t *testing.T) {
		w := naiveWorld(t, true)
		p := startNaive(t, bins.naive, w)
		r = runCopy(t, w, data, n, limit)
		stop(t, p)
		t.Logf("%+v", r)
	})
	return r
}
