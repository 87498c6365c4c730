package main

import (
	"maps"
	"slices"

	"github.com/prometheus/client_golang/prometheus"
)

// parkedCollector exposes syncd_mirror_parked: 1 per mirror the leading
// syncer parked because its batches fail on their own (a duplicate key, a
// write the API refuses); it is retried alone with backoff, the others go
// on. The error is not a label: it changes between retries, and /readyz
// and `syncd status` say it.
type parkedCollector struct {
	m      *metrics
	parked *prometheus.Desc
}

func newParkedCollector(m *metrics) *parkedCollector {
	return &parkedCollector{m: m, parked: prometheus.NewDesc("syncd_mirror_parked",
		"1 for a mirror parked because its batches fail on their own; /readyz says why.", []string{"mirror"}, nil)}
}

// Describe implements prometheus.Collector.
func (c *parkedCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.parked }

// Collect implements prometheus.Collector.
func (c *parkedCollector) Collect(ch chan<- prometheus.Metric) {
	parked := c.m.parked()
	for _, name := range slices.Sorted(maps.Keys(parked)) {
		ch <- prometheus.MustNewConstMetric(c.parked, prometheus.GaugeValue, 1, name)
	}
}
