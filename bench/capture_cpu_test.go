//go:build bench

package bench

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clusterCPU reads how much CPU a throwaway cluster's processes have used,
// from /proc (Linux): the postmaster's own time, the time of the children
// it has reaped (backends of finished pgbench runs), and the time of its
// live children (background processes, backends still running). The
// difference over a burst, per transaction, is what a variant costs the
// server, and unlike tps it hardly moves when other work shares the
// machine. Where /proc cannot tell, every sample is zero.
type clusterCPU struct{ postmaster int }

// newClusterCPU finds the postmaster of the cluster in dataDir.
func newClusterCPU(dataDir string) clusterCPU {
	b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
	if err != nil {
		return clusterCPU{}
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return clusterCPU{postmaster: pid}
}

// cpuSample is the cluster's CPU time so far and its live children.
type cpuSample struct {
	used     time.Duration
	children int
}

// sample reads the cluster's CPU time now.
func (c clusterCPU) sample() cpuSample {
	if c.postmaster == 0 {
		return cpuSample{}
	}
	f := statFields(c.postmaster)
	if len(f) < 15 {
		return cpuSample{}
	}
	s := cpuSample{used: ticks(f[11], f[12], f[13], f[14])} // utime, stime, cutime, cstime
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if f := statFields(pid); len(f) > 12 && f[1] == strconv.Itoa(c.postmaster) {
			s.used += ticks(f[11], f[12])
			s.children++
		}
	}
	return s
}

// since is the CPU time the cluster used after before. The backends of a
// pgbench run that just ended may still be exiting: it waits (up to a
// second) until the postmaster has reaped them, so their time is counted
// once, in its children's total.
func (c clusterCPU) since(before cpuSample) time.Duration {
	if c.postmaster == 0 {
		return 0
	}
	now := c.sample()
	for i := 0; i < 100 && now.children > before.children; i++ {
		time.Sleep(10 * time.Millisecond)
		now = c.sample()
	}
	return now.used - before.used
}

// statFields are the fields of /proc/<pid>/stat after the command name
// (which may hold spaces): f[0] is field 3 (state), f[1] the parent pid,
// f[11..14] utime, stime, cutime, cstime.
func statFields(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// ticks sums clock ticks; USER_HZ is 100 on every Linux architecture Go
// supports.
func ticks(fields ...string) time.Duration {
	var n int64
	for _, f := range fields {
		v, _ := strconv.ParseInt(f, 10, 64)
		n += v
	}
	return time.Duration(n) * (time.Second / 100)
}
