package bench

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// watchPeakRSS samples a process's VmHWM (peak resident set, kB) every
// 20 ms until it exits and returns a func giving the last value seen. The
// rusage of a child is no use here: a child started from this (large) test
// process inherits its high-water mark across exec.
func watchPeakRSS(pid int) func() int64 {
	var last atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			kb, err := vmHWM(pid)
			if err != nil {
				return // the process is gone
			}
			last.Store(kb)
			time.Sleep(20 * time.Millisecond) // a sampling period, not a wait for readiness
		}
	}()
	return func() int64 {
		<-done
		return last.Load()
	}
}

func vmHWM(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb, nil
		}
	}
	return 0, fmt.Errorf("no VmHWM for pid %d", pid)
}
