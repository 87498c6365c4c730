//go:build bench

package bench

import (
	"encoding/gob"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// suite sizes; SYNCD_BENCH_QUICK=1 shrinks them for a smoke run.
type suite struct {
	Tx, Copy, Recon, Runs, CopyRuns, CaptureRounds, CaptureSecs int
	NaiveGrace, NaiveCopy, NaiveRecon, Idle                     time.Duration
	// Scenario 6: Edits typed over EditWindow; EditCron is the cron-only
	// pass's reconcile schedule.
	Edits                int
	EditWindow, EditCron time.Duration
}

func suiteSizes() suite {
	s := suite{Tx: 10000, Copy: 100000, Recon: 100000, Runs: 3, CopyRuns: 2, CaptureRounds: 5, CaptureSecs: 3,
		NaiveGrace: 10 * time.Second, NaiveCopy: 30 * time.Second, NaiveRecon: 30 * time.Second, Idle: time.Minute,
		Edits: 200, EditWindow: time.Minute, EditCron: 5 * time.Minute}
	if os.Getenv("SYNCD_BENCH_QUICK") == "1" {
		s = suite{Tx: 1000, Copy: 10000, Recon: 10000, Runs: 1, CopyRuns: 1, CaptureRounds: 1, CaptureSecs: 2,
			NaiveGrace: 2 * time.Second, NaiveCopy: 5 * time.Second, NaiveRecon: 5 * time.Second, Idle: 5 * time.Second,
			Edits: 40, EditWindow: 12 * time.Second, EditCron: 30 * time.Second}
	}
	if n, err := strconv.Atoi(os.Getenv("SYNCD_BENCH_RUNS")); err == nil && n > 0 {
		s.Runs, s.CopyRuns = n, n
	}
	return s
}

// TestWriteBenchmarksMD runs the whole suite (issue 8, CONTRACT.md §8) and
// writes docs/BENCHMARKS.md, or the file SYNCD_BENCH_OUT names. It exists
// only under the bench build tag, so `go test ./...` never runs it, and it
// fails (never skips) when anything cannot run:
//
//	go test -tags bench -run TestWriteBenchmarksMD -timeout 30m -v ./bench
func TestWriteBenchmarksMD(t *testing.T) {
	out := os.Getenv("SYNCD_BENCH_OUT")
	if out == "" {
		out = "../docs/BENCHMARKS.md"
	}
	var r report
	if from := os.Getenv("SYNCD_BENCH_FROM"); from != "" {
		f, err := os.Open(from)
		if err != nil {
			t.Fatal(err)
		}
		err = gob.NewDecoder(f).Decode(&r.results)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
	} else {
		r.results = measureAll(t, suiteSizes())
		saved := filepath.Join(os.TempDir(), "syncd-bench-results.gob")
		f, err := os.Create(saved)
		if err != nil {
			t.Fatal(err)
		}
		if err := gob.NewEncoder(f).Encode(r.results); err != nil {
			t.Fatal(err)
		}
		f.Close()
		t.Logf("measurements saved to %s (SYNCD_BENCH_FROM re-renders them)", saved)
	}
	md := r.markdown()
	if err := os.WriteFile(out, []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s\n%s", out, md)
}

// measureAll runs every scenario.
func measureAll(t *testing.T, sz suite) results {
	r := results{Sz: sz, Date: time.Now()}
	bins := buildBinaries(t)
	arm64 := exec.Command("go", "build", "-o", filepath.Join(t.TempDir(), "syncd-arm64"), "../cmd/syncd")
	arm64.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	if out, err := arm64.CombinedOutput(); err != nil {
		t.Errorf("linux/arm64 build: %v\n%s", err, out)
	} else {
		r.Arm64 = true
	}
	r.TxS = txSyncd(t, bins, sz.Tx, sz.Runs)
	r.TxN = txNaive(t, bins, sz.Tx, sz.NaiveGrace)
	data := copyData(sz.Copy)
	r.CopyS = copySyncd(t, bins, data, sz.Copy, sz.CopyRuns)
	r.CopyN = copyNaive(t, bins, data, sz.Copy, sz.NaiveCopy)
	r.RecCleanS, r.RecDriftS = reconcileSyncd(t, bins, sz.Recon, sz.Runs)
	r.RecCleanN, r.RecDriftN = reconcileNaive(t, bins, sz.Recon, sz.Runs, sz.NaiveRecon)
	r.Capture = runCapture(t, sz.CaptureRounds, sz.CaptureSecs)
	r.IdleS, r.IdleN = runIdle(t, bins, sz.Idle)
	r.Edits = runEdits(t, bins, sz)
	r.Took = time.Since(r.Date)
	return r
}

// results are every scenario's measurements; the test saves them (gob:
// it keeps the +Inf of "never") so that the page can be re-rendered
// without re-measuring (SYNCD_BENCH_FROM).
type results struct {
	Sz                   suite
	TxS                  []txResult
	TxN                  txResult
	CopyS                []copyResult
	CopyN                copyResult
	RecCleanS, RecDriftS []reconResult
	RecCleanN            []reconResult
	RecDriftN            reconResult
	Capture              captureResult
	IdleS, IdleN         idleResult
	Edits                editsResult
	Arm64                bool
	Took                 time.Duration
	Date                 time.Time
}

// report renders results as markdown.
type report struct {
	results
	b strings.Builder
}

// med is the median of f over xs.
func med[T any](xs []T, f func(T) float64) float64 {
	v := make([]float64, len(xs))
	for i, x := range xs {
		v[i] = f(x)
	}
	return median(v)
}

func secs(s float64) string {
	switch {
	case math.IsInf(s, 1):
		return "never (cut off)"
	case s >= 3600:
		return fmt.Sprintf("%.1f h", s/3600)
	case s >= 120:
		return fmt.Sprintf("%.1f min", s/60)
	case s >= 10:
		return fmt.Sprintf("%.0f s", s)
	}
	return fmt.Sprintf("%.2f s", s)
}

func num(f float64) string {
	if f == math.Trunc(f) {
		return commas(int64(f))
	}
	return fmt.Sprintf("%.1f", f)
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// ratio renders naive / syncd ("×12" means naive is 12 times as much).
func ratio(naive, syncd float64) string {
	if syncd == 0 || math.IsNaN(naive) || math.IsNaN(syncd) {
		return "—"
	}
	x := naive / syncd
	if x >= 10 {
		return fmt.Sprintf("×%s", commas(int64(math.Round(x))))
	}
	return fmt.Sprintf("×%.2f", x)
}

func (r *report) row(cells ...string) {
	r.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

func (r *report) p(format string, args ...any) { fmt.Fprintf(&r.b, format+"\n", args...) }

// naiveRate is the naive mirror's sustained rows per second under the
// quota: one write call per row, 60 write calls a minute.
const naiveRate = 1.0

// rest extrapolates the time the naive mirror still needed for the rows
// it had not written when it was cut off.
func rest(observed float64, done, total int) float64 {
	return observed + float64(total-done)/naiveRate
}

func (r *report) markdown() string {
	sz := r.Sz
	r.p("# syncd benchmarks")
	r.p("")
	r.p("Written by `make bench` (bench/report_test.go, `TestWriteBenchmarksMD`); do not edit by hand, re-run it.")
	r.p("`SYNCD_BENCH_QUICK=1 SYNCD_BENCH_OUT=/tmp/b.md make bench` is a one-minute smoke run at a tenth of the sizes; each full run saves its measurements " +
		"and `SYNCD_BENCH_FROM=<saved file> make bench` re-renders this page from them without measuring again.")
	r.p("")
	r.p("- Date: %s (suite started; it took %s)", r.Date.UTC().Format("2006-01-02 15:04 MST"), r.Took.Round(time.Second))
	r.p("- Machine: %d cores (`nproc`), %s, %s, Go %s, PostgreSQL %s", runtime.NumCPU(), cpuModel(), memTotal(), strings.TrimPrefix(runtime.Version(), "go"), r.Capture.PG)
	r.p("- The machine is shared with other engineers' test runs: figures are medians of %d runs where stated, and ratios matter more than absolute values.", sz.Runs)
	r.p("- Sheets side: the in-process emulator (sheetsemu) with 100 ms latency on every request and a quota of 60 writes and 60 reads per minute per user; a fresh database and emulator per run. Set-up and checking traffic uses another quota user and is not counted.")
	r.p("- **syncd** is `syncd run` (or `syncd reconcile`), the built binary as its own process, default quota settings (60/min), reconcile schedule 1 h so that no scheduled pass falls in a measurement.")
	r.p("- **naive** is bench/naivemirror (bench/internal/naive), written for the comparison the way the legacy bot and typical integrations work: a row-level trigger `pg_notify('naive', row_to_json(NEW))`, one Sheets call per changed row through the real Go client (`values.append`; `values.update` per row in reconcile), retry on 429 with exponential backoff 1–32 s, no batching. Under 60 writes a minute it sustains at most 1 row/s, so its runs are cut off and the rest is **extrapolated at 1 row/s**, marked *extrapolated*.")
	r.p("- Commit → visible: commit time is the client's clock when COMMIT returned; visible is when the emulator's response to the write carrying the row's key was ready (a wrapper around the emulator's handler records it). Both clocks are the benchmark process's.")
	r.p("")
	r.p("## Results")
	r.p("")
	r.row("scenario", "metric", "syncd", "naive", "naive / syncd")
	r.row("---", "---", "---:", "---:", "---:")
	r.transactions()
	r.copyRows()
	r.reconcileRows()
	r.captureRows()
	r.idleRows()
	r.p("")
	r.sheetEdits("measured in the same suite run")
	r.targets()
	return r.b.String()
}

func (r *report) transactions() {
	s, n, N := r.TxS, r.TxN, r.Sz.Tx
	sc := fmt.Sprintf("1. %s one-row transactions, %d clients, %d/s", commas(int64(N)), txClients, txRate)
	r.row(sc, "commit rate achieved", num(math.Round(med(s, func(x txResult) float64 { return x.Rate })))+"/s", num(math.Round(n.Rate))+"/s", "")
	calls := med(s, func(x txResult) float64 { return float64(x.API.Calls()) })
	r.row(sc, "API calls accepted (until mirrored)", num(calls),
		fmt.Sprintf("%s in %s (%s of %s rows); ≥ %s needed (*extrapolated*: one per row)", num(float64(n.API.Calls())), secs(n.Observed), commas(int64(n.Visible)), commas(int64(N)), commas(int64(N))),
		ratio(float64(N), calls))
	r.row(sc, "429 responses seen", num(med(s, func(x txResult) float64 { return float64(x.API.Quota429) })), num(float64(n.API.Quota429)), "")
	r.row(sc, "batches; most calls in one batch", fmt.Sprintf("%s; %s", num(med(s, func(x txResult) float64 { return float64(x.Batches) })),
		num(med(s, func(x txResult) float64 { return float64(x.MaxBatchCalls) }))), "one call per row", "")
	p50 := med(s, func(x txResult) float64 { return x.P50 })
	p99 := med(s, func(x txResult) float64 { return x.P99 })
	r.row(sc, "commit → visible p50", secs(p50), latency(n.P50, n), ratioInf(n.P50, p50, n.Observed))
	r.row(sc, "commit → visible p99", secs(p99), latency(n.P99, n), ratioInf(n.P99, p99, n.Observed))
	full := med(s, func(x txResult) float64 { return x.Mirrored })
	est := rest(n.Observed, n.Visible, N)
	r.row(sc, "first commit → fully mirrored", secs(full), fmt.Sprintf("not after %s; ≈ %s *extrapolated*", secs(n.Observed), secs(est)), ratio(est, full))
	r.row(sc, "longest pause between writes while rows pending", secs(med(s, func(x txResult) float64 { return x.MaxGap })), secs(n.MaxGap), "")
}

// latency renders a naive percentile: rows not visible at cut-off count
// as later than it.
func latency(v float64, n txResult) string {
	if math.IsInf(v, 1) {
		return fmt.Sprintf("> %s (not visible at cut-off)", secs(n.Observed))
	}
	return secs(v)
}

// ratioInf is ratio for a naive latency that may be "later than the
// cut-off": then the ratio is at least cut-off / syncd.
func ratioInf(naive, syncd, cutoff float64) string {
	if math.IsInf(naive, 1) {
		return "> " + ratio(cutoff, syncd)
	}
	return ratio(naive, syncd)
}

func (r *report) copyRows() {
	s, n, N := r.CopyS, r.CopyN, r.Sz.Copy
	sc := fmt.Sprintf("2. COPY of %s rows × 10 columns (median of %d)", commas(int64(N)), r.Sz.CopyRuns)
	cp := med(s, func(x copyResult) float64 { return x.CopySeconds })
	r.row(sc, "COPY statement incl. commit (with each one's trigger)", secs(cp), secs(n.CopySeconds), ratio(n.CopySeconds, cp))
	full := med(s, func(x copyResult) float64 { return x.Mirrored })
	est := rest(n.Observed, n.Visible, N)
	r.row(sc, "COPY start → fully mirrored", secs(full), fmt.Sprintf("%s rows after %s; ≈ %s *extrapolated*", commas(int64(n.Visible)), secs(n.Observed), secs(est)), ratio(est, full))
	emu := med(s, func(x copyResult) float64 {
		return x.API.HandlerSeconds - 0.1*float64(x.API.Calls()+x.API.Quota429+x.API.Failed)
	})
	r.row(sc, "… of which the emulator's own work (in the benchmark process; handler time minus its 100 ms latency)", secs(emu), "", "")
	calls := med(s, func(x copyResult) float64 { return float64(x.API.Calls()) })
	r.row(sc, "API calls accepted", num(calls), fmt.Sprintf("%s in %s; ≥ %s needed", num(float64(n.API.Calls())), secs(n.Observed), commas(int64(N))), ratio(float64(N), calls))
	r.row(sc, "429 responses seen", num(med(s, func(x copyResult) float64 { return float64(x.API.Quota429) })), num(float64(n.API.Quota429)), "")
	r.row(sc, "batches; most calls in one batch", fmt.Sprintf("%s; %s", num(med(s, func(x copyResult) float64 { return float64(x.Batches) })),
		num(med(s, func(x copyResult) float64 { return float64(x.MaxBatchCalls) }))), "one call per row", "")
	mb := med(s, func(x copyResult) float64 { return float64(x.API.MaxBody) })
	r.row(sc, "largest request body", kb(mb), kb(float64(n.API.MaxBody)), "")
}

func kb(b float64) string {
	if b >= 1<<20 {
		return fmt.Sprintf("%.2f MB", b/(1<<20))
	}
	return fmt.Sprintf("%.1f kB", b/1024)
}

func (r *report) reconcileRows() {
	N := r.Sz.Recon
	for _, v := range []struct {
		name string
		s    []reconResult
		n    []reconResult
	}{{"no drift", r.RecCleanS, r.RecCleanN}, {"1 % drift", r.RecDriftS, []reconResult{r.RecDriftN}}} {
		sc := fmt.Sprintf("3. reconcile of %s × 10, %s", commas(int64(N)), v.name)
		st := med(v.s, func(x reconResult) float64 { return x.Seconds })
		nt := med(v.n, func(x reconResult) float64 { return x.Seconds })
		nCell := secs(nt)
		if d := v.n[0]; d.Written < d.Drift {
			// Cut off: the time to read and compare, plus the rows left at
			// one write a second.
			nt = d.Seconds + float64(d.Drift-d.Written)/naiveRate
			nCell = fmt.Sprintf("%s of %s rows repaired in %s; ≈ %s *extrapolated*", commas(int64(d.Written)), commas(int64(d.Drift)), secs(d.Seconds), secs(nt))
		}
		r.row(sc, "time (process start → exit)", secs(st), nCell, ratio(nt, st))
		sr := med(v.s, func(x reconResult) float64 { return x.RSSMB })
		nr := med(v.n, func(x reconResult) float64 { return x.RSSMB })
		r.row(sc, "peak RSS", fmt.Sprintf("%.0f MB", sr), fmt.Sprintf("%.0f MB", nr), ratio(nr, sr))
		sc2 := med(v.s, func(x reconResult) float64 { return float64(x.API.Calls()) })
		r.row(sc, "API calls accepted (writes)", fmt.Sprintf("%s (%s)", num(sc2), num(med(v.s, func(x reconResult) float64 { return float64(x.API.Writes) }))),
			fmt.Sprintf("%s (%s)", num(med(v.n, func(x reconResult) float64 { return float64(x.API.Calls()) })), num(med(v.n, func(x reconResult) float64 { return float64(x.API.Writes) }))), "")
		r.row(sc, "429 responses seen", num(med(v.s, func(x reconResult) float64 { return float64(x.API.Quota429) })), num(med(v.n, func(x reconResult) float64 { return float64(x.API.Quota429) })), "")
	}
}

func (r *report) captureRows() {
	c := r.Capture.TPS
	sc := fmt.Sprintf("4. capture overhead: pgbench single-row INSERTs, 4 clients, fsync on, median of %d interleaved %d s bursts", r.Sz.CaptureRounds, r.Sz.CaptureSecs)
	plain := median(c["plain"])
	r.row(sc, "tps without any trigger", num(math.Round(plain)), num(math.Round(plain)), "")
	sy, ar, nv := pctOfPlain(c, "syncd"), pctOfPlain(c, "syncd-armed"), pctOfPlain(c, "naive")
	r.row(sc, "tps with capture (syncd: doorbell unarmed, daemon busy), % of plain (median of per-round ratios)", fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(c["syncd"]))), sy),
		fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(c["naive"]))), nv), ratio(nv, sy))
	r.row(sc, "tps with capture, doorbell armed (daemon waiting: NOTIFY every txn)", fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(c["syncd-armed"]))), ar),
		fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(c["naive"]))), nv), ratio(nv, ar))
	r.row(sc, "round 1's generated per-table trigger (names columns: DDL breaks writes), same rounds", fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(c["syncd-round1"]))), pctOfPlain(c, "syncd-round1")), "", "")
	u := r.Capture.UpdateTPS
	su := strings.Replace(sc, "single-row INSERTs", "single-row UPDATEs of one mirrored column", 1)
	r.row(su, "tps without any trigger", num(math.Round(median(u["plain"]))), num(math.Round(median(u["plain"]))), "")
	r.row(su, "tps with capture (doorbell unarmed), % of plain", fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(u["syncd"]))), pctOfPlain(u, "syncd")), "", "")
	r.row(su, "round 1's generated per-table trigger, same rounds", fmt.Sprintf("%s (%.0f %%)", num(math.Round(median(u["syncd-round1"]))), pctOfPlain(u, "syncd-round1")), "", "")
}

// pctOfPlain is variant's tps as a percentage of plain's, the median of
// the per-round ratios: bursts of one round ran back to back, so their
// ratio cancels most of the shared machine's drift.
func pctOfPlain(c map[string][]float64, variant string) float64 {
	var rs []float64
	for i, p := range c["plain"] {
		if i < len(c[variant]) && p > 0 {
			rs = append(rs, 100*c[variant][i]/p)
		}
	}
	return median(rs)
}

func (r *report) idleRows() {
	s, n := r.IdleS, r.IdleN
	sc := fmt.Sprintf("5. idle daemon, %s", secs(r.Sz.Idle.Seconds()))
	r.row(sc, "RSS (median of 1 s samples)", fmt.Sprintf("%.1f MB", s.RSSMB), fmt.Sprintf("%.1f MB", n.RSSMB), ratio(n.RSSMB, s.RSSMB))
	r.row(sc, "peak RSS (VmHWM, start-up included)", fmt.Sprintf("%.1f MB", s.HWMMB), fmt.Sprintf("%.1f MB", n.HWMMB), ratio(n.HWMMB, s.HWMMB))
	r.row(sc, "CPU (% of one core)", fmt.Sprintf("%.2f %%", s.CPUPercent), fmt.Sprintf("%.2f %%", n.CPUPercent), "")
	r.row(sc, "API calls", num(float64(s.API.Calls())), num(float64(n.API.Calls())), "")
}

func (r *report) targets() {
	r.p("## CONTRACT.md §8 targets")
	r.p("")
	r.row("target", "measured (syncd, medians)", "met")
	r.row("---", "---", "---")
	ok := func(b bool) string {
		if b {
			return "yes"
		}
		return "**no**"
	}
	tx, cp := r.TxS, r.CopyS
	maxBatch := max(med(tx, func(x txResult) float64 { return float64(x.MaxBatchCalls) }), med(cp, func(x copyResult) float64 { return float64(x.MaxBatchCalls) }))
	r.row("≤ 2 Sheets API calls per batch", fmt.Sprintf("at most %s (sync_log.api_calls)", num(maxBatch)), ok(maxBatch <= 2))
	calls := med(tx, func(x txResult) float64 { return float64(x.API.Calls()) })
	q := med(tx, func(x txResult) float64 { return float64(x.API.Quota429) })
	r.row(fmt.Sprintf("%s single-row txns ≤ 150 calls, zero 429s", commas(int64(r.Sz.Tx))), fmt.Sprintf("%s calls, %s × 429", num(calls), num(q)), ok(calls <= 150 && q == 0))
	p50 := med(tx, func(x txResult) float64 { return x.P50 })
	p99 := med(tx, func(x txResult) float64 { return x.P99 })
	r.row("commit → visible p50 ≤ 1 s, p99 ≤ 2.5 s at 200/s", fmt.Sprintf("p50 %s, p99 %s", secs(p50), secs(p99)), ok(p50 <= 1 && p99 <= 2.5))
	full := med(cp, func(x copyResult) float64 { return x.Mirrored })
	mb := med(cp, func(x copyResult) float64 { return float64(x.API.MaxBody) })
	r.row(fmt.Sprintf("COPY of %s × 10 mirrored ≤ 30 s; requests ≤ 2 MB", commas(int64(r.Sz.Copy))), fmt.Sprintf("%s; largest %s", secs(full), kb(mb)), ok(full <= 30 && mb <= 2<<20))
	rt := max(med(r.RecCleanS, func(x reconResult) float64 { return x.Seconds }), med(r.RecDriftS, func(x reconResult) float64 { return x.Seconds }))
	rr := max(med(r.RecCleanS, func(x reconResult) float64 { return x.RSSMB }), med(r.RecDriftS, func(x reconResult) float64 { return x.RSSMB }))
	r.row(fmt.Sprintf("reconcile of %s × 10 ≤ 10 s, RSS ≤ 150 MB", commas(int64(r.Sz.Recon))), fmt.Sprintf("%s, %.0f MB (slower of no drift / 1 %% drift)", secs(rt), rr), ok(rt <= 10 && rr <= 150))
	r.row("idle RSS ≤ 30 MB", fmt.Sprintf("%.1f MB (peak %.1f MB)", r.IdleS.RSSMB, r.IdleS.HWMMB), ok(r.IdleS.RSSMB <= 30))
	ins, upd := pctOfPlain(r.Capture.TPS, "syncd"), pctOfPlain(r.Capture.UpdateTPS, "syncd")
	r.row("capture: single-row INSERT ≥ 95 %, UPDATE of one mirrored column ≥ 85 % of plain (issue 20)",
		fmt.Sprintf("INSERT %.0f %%, UPDATE %.0f %% (round 1's trigger: %.0f %%, %.0f %%; doorbell armed INSERT: %.0f %%)", ins, upd,
			pctOfPlain(r.Capture.TPS, "syncd-round1"), pctOfPlain(r.Capture.UpdateTPS, "syncd-round1"), pctOfPlain(r.Capture.TPS, "syncd-armed")),
		ok(ins >= 95 && upd >= 85))
	r.row("builds for linux/arm64 as well as amd64", "`GOOS=linux GOARCH=arm64 go build ./cmd/syncd`", ok(r.Arm64))
	r.p("")
	r.gaps()
}

// gaps says, for each target missed, what the runs show its cause to be.
func (r *report) gaps() {
	tx, cp := r.TxS, r.CopyS
	var notes []string
	split := med(tx, func(x txResult) float64 { return float64(x.API.Writes - x.Batches) })
	splitCopy := med(cp, func(x copyResult) float64 { return float64(x.API.Writes - x.Batches) })
	maxBatch := max(med(tx, func(x txResult) float64 { return float64(x.MaxBatchCalls) }), med(cp, func(x copyResult) float64 { return float64(x.MaxBatchCalls) }))
	if maxBatch > 2 {
		notes = append(notes, fmt.Sprintf("**Calls per batch.** Batches of up to 10,000 changed rows (syncer's drain limit) are larger than the 2 MB request guideline, "+
			"so their write is split into several batchUpdate requests (writes beyond one per batch: %s in scenario 1, %s in scenario 2; largest request %s). "+
			"\"≤ 2 calls whatever the size\" and \"requests ≤ 2 MB\" cannot both hold for a batch over ≈ 2 MB of cells; syncd keeps the 2 MB limit. "+
			"A smaller drain limit (rows per batch) would keep every batch at 2 calls at the cost of more batches under load.",
			num(split), num(splitCopy), kb(med(cp, func(x copyResult) float64 { return float64(x.API.MaxBody) }))))
	}
	p50 := med(tx, func(x txResult) float64 { return x.P50 })
	p99 := med(tx, func(x txResult) float64 { return x.P99 })
	if p50 > 1 || p99 > 2.5 {
		notes = append(notes, fmt.Sprintf("**Commit → visible latency.** The call budget is not the problem (%s calls, %s × 429 for %s transactions). "+
			"syncd paces its calls at the quota's average rate (sheets.Limiter with pacing: one read and one write per second at 60/min) and waits for a read "+
			"and a write slot *before* it takes its database snapshot, so a row waits for the next batch (up to 1 s) plus the batch's database work and its "+
			"two calls (2 × 100 ms emulator latency). %s batches; the longest pause between two writes while rows were pending was %s (median of runs).",
			num(med(tx, func(x txResult) float64 { return float64(x.API.Calls()) })), num(med(tx, func(x txResult) float64 { return float64(x.API.Quota429) })), commas(int64(r.Sz.Tx)),
			num(med(tx, func(x txResult) float64 { return float64(x.Batches) })), secs(med(tx, func(x txResult) float64 { return x.MaxGap }))))
	}
	full := med(cp, func(x copyResult) float64 { return x.Mirrored })
	if full > 30 {
		emu := med(cp, func(x copyResult) float64 {
			return x.API.HandlerSeconds - 0.1*float64(x.API.Calls()+x.API.Quota429+x.API.Failed)
		})
		notes = append(notes, fmt.Sprintf("**COPY of %s rows.** %s to mirror, of which %s was the emulator's own work on the requests "+
			"(handler time minus its configured latency, in the benchmark process: it decodes and applies each 2 MB appendCells request cell by cell); "+
			"the daemon made %s calls in %s batches, no 429, and its own part was ≈ %s. Batches of 10,000 rows (syncer's drain limit) are split "+
			"into 2 MB writes; number formats are set only on the appended rows (AppendRows.FromRow), so a batch's cost does not grow with the tab.",
			commas(int64(r.Sz.Copy)), secs(full), secs(emu), num(med(cp, func(x copyResult) float64 { return float64(x.API.Calls()) })),
			num(med(cp, func(x copyResult) float64 { return float64(x.Batches) })), secs(full-emu)))
	}
	rt := max(med(r.RecCleanS, func(x reconResult) float64 { return x.Seconds }), med(r.RecDriftS, func(x reconResult) float64 { return x.Seconds }))
	if rt > 10 {
		emu := max(med(r.RecCleanS, func(x reconResult) float64 { return x.API.HandlerSeconds - 0.1*float64(x.API.Calls()) }),
			med(r.RecDriftS, func(x reconResult) float64 { return x.API.HandlerSeconds - 0.1*float64(x.API.Calls()) }))
		notes = append(notes, fmt.Sprintf("**Reconcile time.** %s, of which up to %s was the emulator's own work (rendering the 100,000-row tab, applying the repair).", secs(rt), secs(emu)))
	}
	if c, u := r.Capture.TPS, r.Capture.UpdateTPS; pctOfPlain(c, "syncd") < 95 || pctOfPlain(u, "syncd") < 85 {
		notes = append(notes, fmt.Sprintf("**Capture overhead.** With the doorbell unarmed (the state under load: the daemon disarms when woken and re-arms only "+
			"when idle) single-row INSERTs run at %.0f %% of plain and single-row UPDATEs at %.0f %%; round 1's generated trigger, which names the "+
			"columns and needs no jsonb, ran at %.0f %% and %.0f %% in the same rounds, and the server's CPU per transaction was %.0f / %.0f µs "+
			"(syncd / round 1, INSERT) and %.0f / %.0f µs (UPDATE) against %.0f and %.0f µs plain. Where syncd and round 1 cost the same, the gap to "+
			"plain is the outbox row itself and the trigger call, which round 1 paid too; tps ratios on a loaded machine are CPU-bound, on a quiet one "+
			"commit-bound (fsync) and close to 100 %%. Armed, every transaction sends NOTIFY, which serialises commits cluster-wide (%.0f %%): that only "+
			"happens while the daemon waits for work.",
			pctOfPlain(c, "syncd"), pctOfPlain(u, "syncd"), pctOfPlain(c, "syncd-round1"), pctOfPlain(u, "syncd-round1"),
			median(r.Capture.CPU["insert/syncd"]), median(r.Capture.CPU["insert/syncd-round1"]),
			median(r.Capture.CPU["update/syncd"]), median(r.Capture.CPU["update/syncd-round1"]),
			median(r.Capture.CPU["insert/plain"]), median(r.Capture.CPU["update/plain"]), pctOfPlain(c, "syncd-armed")))
	}
	if len(notes) == 0 {
		r.p("Every target is met.")
		return
	}
	r.p("### Gaps and their causes")
	r.p("")
	for _, n := range notes {
		r.p("- %s", n)
	}
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "unknown CPU"
}

func memTotal() string {
	kb, err := procStatusFile("/proc/meminfo", "MemTotal")
	if err != nil {
		return "unknown RAM"
	}
	return fmt.Sprintf("%.1f GB RAM", float64(kb)/(1<<20))
}
