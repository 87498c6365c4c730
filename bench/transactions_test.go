//go:build bench

package bench

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"
)

// Scenario 1 (issue 8): one-row transactions from 8 clients at 200
// commits/s, the rate CONTRACT.md §8 names for the latency target.
const (
	txClients = 8
	txRate    = 200 // commits per second, all clients together
)

// txResult is one run of scenario 1.
type txResult struct {
	N, Visible int
	Rate       float64 // commits per second achieved
	API        apiCounts
	// P50 and P99 are commit → visible in seconds; +Inf when that share
	// of rows was not visible when observation stopped.
	P50, P99 float64
	// Mirrored is first commit → last row visible, seconds; +Inf when not
	// every row was visible when observation stopped (after Observed).
	Mirrored, Observed float64
	// Batches and MaxBatchCalls are syncd's change batches (sync_log)
	// and the most API calls one of them made.
	Batches, MaxBatchCalls int
	// MaxGap is the longest pause between two successive accepted writes
	// while rows were pending, seconds.
	MaxGap float64
}

// runTransactions commits n one-row transactions into w's wide table from
// txClients clients paced at txRate, and watches the emulator until every
// row is visible or limit (from the first commit) passes. The commit time
// of a row is the client's clock when its COMMIT returned; it becomes
// visible when the emulator's response to the write carrying it is ready
// (recorder.landed): both clocks are this process's.
func runTransactions(t *testing.T, w *world, n int, limit time.Duration) txResult {
	t.Helper()
	w.rec.start(true)
	committed := make([]time.Time, n+1)
	ids := make(chan int64)
	var wg sync.WaitGroup
	errs := make(chan error, txClients)
	for range txClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ids {
				if _, err := w.Pool.Exec(w.Ctx, wideRow, id); err != nil {
					errs <- err
					return
				}
				committed[id] = time.Now()
			}
		}()
	}
	start := time.Now()
	// Pacing shapes the workload at txRate; it waits for nothing.
	pace := time.NewTicker(time.Second / txRate)
	for id := 1; id <= n; id++ {
		<-pace.C
		select {
		case ids <- int64(id):
		case err := <-errs:
			t.Fatal(err)
		}
	}
	pace.Stop()
	close(ids)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	res := txResult{N: n, Rate: float64(n) / time.Since(start).Seconds()}
	deadline := start.Add(limit)
	var seen map[int64]time.Time
	for {
		seen = w.rec.landed()
		if len(seen) >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond) // polling an observable condition
	}
	res.Observed = time.Since(start).Seconds()
	res.API = w.rec.counts()
	lat := make([]float64, 0, n)
	last := start
	for id := 1; id <= n; id++ {
		at, ok := seen[int64(id)]
		if !ok {
			lat = append(lat, math.Inf(1))
			continue
		}
		res.Visible++
		lat = append(lat, at.Sub(committed[id]).Seconds())
		if at.After(last) {
			last = at
		}
	}
	res.P50, res.P99 = percentile(lat, 50), percentile(lat, 99)
	res.Mirrored = math.Inf(1)
	if res.Visible == n {
		res.Mirrored = last.Sub(start).Seconds()
	}
	prev := start
	for _, at := range w.rec.writeTimes() {
		if at.After(last) {
			break
		}
		res.MaxGap = max(res.MaxGap, at.Sub(prev).Seconds())
		prev = at
	}
	return res
}

// txSyncd runs scenario 1 against `syncd run`, each run in a fresh
// database and emulator (a subtest, so that its world is freed after it).
func txSyncd(t *testing.T, bins binaries, n, runs int) []txResult {
	var out []txResult
	for i := range runs {
		t.Run(fmt.Sprintf("tx-syncd-%d", i), func(t *testing.T) {
			w := newWorld(t, quotaEmulator())
			p := startSyncd(t, bins.syncd, w)
			r := runTransactions(t, w, n, 5*time.Minute)
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

// txNaive runs scenario 1 once against the naive mirror, observing for the
// length of the workload plus grace: at one call per row under 60 calls a
// minute it cannot finish, and the report extrapolates.
func txNaive(t *testing.T, bins binaries, n int, grace time.Duration) (r txResult) {
	t.Run("tx-naive", func(t *testing.T) {
		w := naiveWorld(t, true)
		p := startNaive(t, bins.naive, w)
		r = runTransactions(t, w, n, time.Duration(n)*time.Second/txRate+grace)
		stop(t, p)
		t.Logf("%+v", r)
	})
	return r
}

// batchStats reads syncd's change batches from sync_log: how many, and the
// most API calls one made. One sync_log row per mirror per batch, and
// this world has one mirror.
func (w *world) batchStats(t testing.TB) (batches, maxCalls int) {
	t.Helper()
	if err := w.Pool.QueryRow(w.Ctx, `SELECT count(*), coalesce(max(api_calls), 0) FROM syncd.sync_log
		WHERE kind = 'change' AND status = 'ok'`).Scan(&batches, &maxCalls); err != nil {
		t.Fatal(err)
	}
	return batches, maxCalls
}
