package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/syncer"
)

// metrics exposes the daemon's counters in Prometheus form. The values are
// read from the syncer, the sheets client and the database at scrape time,
// so nothing has to be updated on the hot path.
type metrics struct {
	d   *daemon
	reg *prometheus.Registry

	mu     sync.Mutex
	syncer *syncer.Syncer
}

func (m *metrics) setSyncer(s *syncer.Syncer) {
	m.mu.Lock()
	m.syncer = s
	m.mu.Unlock()
}

func (m *metrics) stats() syncer.Stats {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncer == nil {
		return syncer.Stats{}
	}
	return m.syncer.Stats()
}

// parked returns the mirrors the syncer has parked and why (none before it
// runs).
func (m *metrics) parked() map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.syncer == nil {
		return nil
	}
	return m.syncer.Parked()
}

func newMetrics(d *daemon) *metrics {
	m := &metrics{d: d, reg: prometheus.NewRegistry()}
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	counter := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "syncd", Name: name, Help: help}, f))
	}
	gauge := func(name, help string, f func() float64) {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "syncd", Name: name, Help: help}, f))
	}
	counter("batches_total", "Batches mirrored to the sheet since this process started leading.", func() float64 { return float64(m.stats().Batches) })
	counter("batches_failed_total", "Batches that failed (and will be retried).", func() float64 { return float64(m.stats().FailedBatches) })
	counter("rows_written_total", "Rows written or appended to tabs.", func() float64 { return float64(m.stats().RowsWritten) })
	counter("rows_deleted_total", "Rows deleted from tabs.", func() float64 { return float64(m.stats().RowsDeleted) })
	counter("changes_total", "Outbox entries mirrored.", func() float64 { return float64(m.stats().Changes) })
	counter("sheets_read_requests_total", "Sheets API read requests sent (each attempt).", func() float64 { return float64(d.sheetStats().ReadCalls) })
	counter("sheets_write_requests_total", "Sheets API write requests sent (each attempt).", func() float64 { return float64(d.sheetStats().WriteCalls) })
	counter("sheets_rate_limited_total", "Sheets API 429 responses.", func() float64 { return float64(d.sheetStats().RateLimited) })
	counter("sheets_retries_total", "Sheets API attempts that followed a failed one.", func() float64 { return float64(d.sheetStats().Retries) })
	gauge("leader", "1 while this daemon holds the leader lock.", func() float64 {
		if d.elector != nil && d.elector.IsLeader() {
			return 1
		}
		return 0
	})
	m.reg.MustRegister(&outboxCollector{d: d,
		pending: prometheus.NewDesc("syncd_pending_changes", "Outbox entries waiting to be mirrored.", nil, nil),
		lag:     prometheus.NewDesc("syncd_lag_seconds", "Age of the oldest waiting outbox entry.", nil, nil),
		drift:   prometheus.NewDesc("syncd_reconcile_drift", "Repairs the last reconcile of a mirror needed.", []string{"mirror"}, nil),
		open:    prometheus.NewDesc("syncd_open_conflicts", "Conflicts not yet resolved.", []string{"mirror"}, nil),
	})
	m.reg.MustRegister(newProblemCollector(m))
	m.reg.MustRegister(newParkedCollector(m))
	return m
}

// outboxCollector reads the outbox and conflict figures from the database
// at scrape time.
type outboxCollector struct {
	d                         *daemon
	pending, lag, drift, open *prometheus.Desc
}

// Describe sends the descriptions of the figures Collect reports.
func (c *outboxCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.pending
	ch <- c.lag
	ch <- c.drift
	ch <- c.open
}

// Collect reads the outbox, drift and conflict figures from the database
// (3 s at most); an unreadable outbox is reported as an invalid metric.
func (c *outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	backlog, err := store.ReadBacklog(ctx, c.d.pool, nil)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(c.pending, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(backlog.Count))
	ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, backlog.Lag().Seconds())
	gauges, _ := store.MirrorGauges(ctx, c.d.pool) // best effort, as before: what was read is shown
	for _, g := range gauges {
		ch <- prometheus.MustNewConstMetric(c.drift, prometheus.GaugeValue, float64(g.Drift), g.Mirror)
		ch <- prometheus.MustNewConstMetric(c.open, prometheus.GaugeValue, float64(g.OpenConflict), g.Mirror)
	}
}

// handler serves /healthz (the process is alive), /readyz (the database
// answers, the leader election is connected and no mirror is parked for
// failing on its own; the body says the role, or names each parked mirror
// with its error) and /metrics.
func (d *daemon) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if err := d.pool.Ping(ctx); err != nil {
			http.Error(w, "database unreachable: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		if d.elector == nil || !d.elector.Connected() {
			http.Error(w, "leader election not connected", http.StatusServiceUnavailable)
			return
		}
		// A mirror stopped by a schema change is named with its cause and
		// fix, a parked one with its error; the others go on, but the
		// daemon is not all there.
		var lines strings.Builder
		stopped := writeProblems(&lines, d.metrics.problems())
		parked := d.metrics.parked()
		for _, n := range slices.Sorted(maps.Keys(parked)) {
			fmt.Fprintf(&lines, "mirror %s failing: %s\n", n, parked[n])
		}
		if stopped || len(parked) > 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "not ready: a mirror is stopped or failing; ", d.elector.Role(), "\n", lines.String())
			return
		}
		fmt.Fprint(w, "ready: ", d.elector.Role(), "\n", lines.String())
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{}))
	return mux
}
