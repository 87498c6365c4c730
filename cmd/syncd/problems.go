package main

import (
	"fmt"
	"io"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/syncd/syncd/syncer"
)

// problems returns the mirrors the leading syncer stopped (a table
// dropped, a config that no longer matches its table) or warns about (a
// table followed under a new name, triggers it could not refresh); nil
// when this daemon does not lead.
func (m *metrics) problems() []syncer.MirrorProblem {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncer == nil {
		return nil
	}
	return m.syncer.Problems()
}

// writeProblems prints each problem on a line for /readyz and reports
// whether a mirror is stopped.
func writeProblems(w io.Writer, ps []syncer.MirrorProblem) (stopped bool) {
	for _, p := range ps {
		kind := "warning"
		if p.Stopped {
			kind, stopped = "stopped", true
		}
		fmt.Fprintf(w, "mirror %s %s: %s\n", p.Mirror, kind, p.Message)
	}
	return stopped
}

// problemCollector exposes syncd_mirror_stopped and syncd_mirror_warning
// (1 per mirror, the cause and fix in the "problem" label).
type problemCollector struct {
	m                *metrics
	stopped, warning *prometheus.Desc
}

func newProblemCollector(m *metrics) *problemCollector {
	return &problemCollector{m: m,
		stopped: prometheus.NewDesc("syncd_mirror_stopped", "1 for a mirror stopped by a schema change; the label says why and the fix.", []string{"mirror", "problem"}, nil),
		warning: prometheus.NewDesc("syncd_mirror_warning", "1 for a mirror that runs with a warning (e.g. its table was renamed).", []string{"mirror", "problem"}, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *problemCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.stopped
	ch <- c.warning
}

// Collect implements prometheus.Collector.
func (c *problemCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.m.problems() {
		d := c.warning
		if p.Stopped {
			d = c.stopped
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, 1, p.Mirror, p.Message)
	}
}
