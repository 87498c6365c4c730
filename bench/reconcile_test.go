package bench

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// BenchmarkReconcile100k runs `syncd reconcile` as its own process on a
// 100,000 × 10 tab that equals its table (no drift) and with 1 % drift,
// and reports the wall time, the process's peak RSS and the write calls it
// made (CONTRACT.md §8: ≤ 10 s, ≤ 150 MB, and 0 writes without drift).
//
//	go test ./bench -run '^$' -bench Reconcile100k -benchtime 3x
func BenchmarkReconcile100k(b *testing.B) {
	const rows = 100000
	w := newWorld(b, emulator0())
	if _, err := w.Pool.Exec(w.Ctx, wideRows, rows); err != nil {
		b.Fatal(err)
	}
	s := w.syncer(b)
	w.drain(b, s) // first mirror: creates the tab and appends every row
	bin := testworld.SyncdBinary(b)
	run := func(b *testing.B) (drift int, writes int64, rss int64, took time.Duration) {
		before := w.Emu.Stats()[w.ID]
		var out, errOut bytes.Buffer
		cmd := exec.Command(bin, "reconcile", "-config", w.cfgPath, "-json")
		cmd.Stdout, cmd.Stderr = &out, &errOut
		start := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		hwm := watchPeakRSS(cmd.Process.Pid)
		if err := cmd.Wait(); err != nil {
			b.Fatalf("syncd reconcile: %v\n%s", err, errOut.String())
		}
		took = time.Since(start)
		rss = hwm()
		var rep struct{ Drift int }
		if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
			b.Fatalf("report: %v\n%s", err, out.String())
		}
		after := w.Emu.Stats()[w.ID]
		return rep.Drift, after.Writes - before.Writes, rss, took
	}
	b.Run("no-drift", func(b *testing.B) {
		var total time.Duration
		var peak int64
		for i := 0; i < b.N; i++ {
			drift, writes, rss, took := run(b)
			if drift != 0 || writes != 0 {
				b.Fatalf("no-drift reconcile found drift %d and made %d write calls", drift, writes)
			}
			total += took
			peak = max(peak, rss)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/pass")
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
		b.ReportMetric(0, "ns/op")
	})
	b.Run("1pct-drift", func(b *testing.B) {
		var total time.Duration
		var peak, writes int64
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			// 1 % drift made behind syncd's back: triggers disabled, as a
			// pg_restore --disable-triggers would.
			if _, err := w.Pool.Exec(w.Ctx, `ALTER TABLE wide DISABLE TRIGGER USER;
				UPDATE wide SET note = 'drift ' || now() WHERE id % 100 = 0;
				ALTER TABLE wide ENABLE TRIGGER USER`); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			drift, wr, rss, took := run(b)
			if drift != rows/100 {
				b.Fatalf("1%% drift reconcile repaired %d rows, want %d", drift, rows/100)
			}
			total += took
			peak = max(peak, rss)
			writes += wr
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/pass")
		b.ReportMetric(float64(peak)/1024, "peak-RSS-MB")
		b.ReportMetric(float64(writes)/float64(b.N), "writes/pass")
		b.ReportMetric(0, "ns/op")
	})
}
