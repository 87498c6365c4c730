//go:build bench

package bench

import (
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// idleResult is scenario 5 for one process.
type idleResult struct {
	RSSMB, HWMMB float64 // median VmRSS while idle; peak VmHWM
	CPUPercent   float64 // of one core, over the window
	API          apiCounts
}

// runIdle starts syncd and the naive mirror, each on its own empty table
// and emulator, and once both wait for changes samples them together for
// window: VmRSS every second, VmHWM at the end, and CPU from utime+stime.
// Running both at once halves the wall time; idle processes barely
// compete.
func runIdle(t *testing.T, bins binaries, window time.Duration) (syncd, nv idleResult) {
	t.Run("idle", func(t *testing.T) { syncd, nv = runIdle1(t, bins, window) })
	return syncd, nv
}

func runIdle1(t *testing.T, bins binaries, window time.Duration) (syncd, nv idleResult) {
	ws, wn := newWorld(t, quotaEmulator()), naiveWorld(t, true)
	ps, pn := startSyncd(t, bins.syncd, ws), startNaive(t, bins.naive, wn)
	ws.rec.start(false)
	wn.rec.start(false)
	type probe struct {
		p    *testworld.Proc
		cpu0 float64
		rss  []float64
		res  *idleResult
	}
	probes := []*probe{{p: ps, res: &syncd}, {p: pn, res: &nv}}
	for _, pr := range probes {
		c, err := cpuSeconds(pr.p.Pid())
		if err != nil {
			t.Fatal(err)
		}
		pr.cpu0 = c
	}
	start := time.Now()
	tick := time.NewTicker(time.Second) // the sampling period
	for time.Since(start) < window {
		<-tick.C
		for _, pr := range probes {
			kb, err := procStatus(pr.p.Pid(), "VmRSS")
			if err != nil {
				t.Fatal(err)
			}
			pr.rss = append(pr.rss, float64(kb)/1024)
		}
	}
	tick.Stop()
	el := time.Since(start).Seconds()
	for _, pr := range probes {
		c, err := cpuSeconds(pr.p.Pid())
		if err != nil {
			t.Fatal(err)
		}
		hwm, err := procStatus(pr.p.Pid(), "VmHWM")
		if err != nil {
			t.Fatal(err)
		}
		pr.res.RSSMB, pr.res.HWMMB = median(pr.rss), float64(hwm)/1024
		pr.res.CPUPercent = 100 * (c - pr.cpu0) / el
	}
	syncd.API, nv.API = ws.rec.counts(), wn.rec.counts()
	stop(t, ps)
	stop(t, pn)
	t.Logf("idle: syncd %+v naive %+v", syncd, nv)
	return syncd, nv
}
