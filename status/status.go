// Package status is the read model of `syncd status`: the daemons sharing a
// database, each mirror's backlog, last batch, reconcile and open
// conflicts, and each spreadsheet's cells, judged into a [Health] with the
// problems that explain it. It reads only what the engine recorded in
// syncd's tables (through package store) and what the catalog says, never
// the engine itself, so it works when no daemon runs and a test of it needs
// nothing of package syncer.
package status

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// Health is the verdict of `syncd status`; its exit code follows it.
type Health string

// The health levels, from best to worst.
const (
	// Healthy: a leader heartbeats, no mirror lags, failed or has conflicts.
	Healthy Health = "healthy"
	// Degraded: the daemon runs but a mirror lags, its last batch failed,
	// or people's edits wait in syncd.conflicts.
	Degraded Health = "degraded"
	// Down: no daemon leads (stopped, crashed, hung), or the database
	// cannot be read.
	Down Health = "down"
	// Unknown: a mirror's state could not be read (the database is
	// unreachable, or reading stopped at an earlier error). Its figures
	// are zero because they are not known, not because they are zero.
	Unknown Health = "unknown"
)

// Daemon states derived from syncd.daemons.
const (
	// DaemonRunning: a leader wrote a heartbeat within StaleAfter.
	DaemonRunning = "running"
	// DaemonStale: some instance has not said it stopped, but no leader
	// heartbeat is fresh (crashed, killed, hung, or only standbys left).
	DaemonStale = "stale"
	// DaemonStopped: every instance recorded a clean exit, or none ever ran.
	DaemonStopped = "stopped"
	// DaemonUnknown: the database could not be read.
	DaemonUnknown = "unknown"
)

// Default thresholds of [Thresholds].
const (
	DefaultMaxLag     = 60 * time.Second
	DefaultStaleAfter = 30 * time.Second
	// instanceHorizon hides instances silent for longer than this: a
	// daemon retired a month ago is history, not status.
	instanceHorizon = 24 * time.Hour
)

// Thresholds decide when facts become problems. Zero values mean the
// defaults.
type Thresholds struct {
	// MaxLag is the age of the oldest pending change above which a mirror
	// is degraded. Zero means DefaultMaxLag.
	MaxLag time.Duration
	// StaleAfter is how old the leader's heartbeat may be before the
	// daemon counts as not running; it should be several heartbeat
	// intervals. Zero means DefaultStaleAfter.
	StaleAfter time.Duration
}

// Status is what `syncd status` shows: read from the database alone, so it
// works when the daemon is down. Its JSON form is a contract (CONTRACT.md §3):
// healthy, daemon.state, daemon.leader_pid and, per mirror, name,
// pending_changes, oldest_pending_seconds, last_batch_at, last_status,
// last_error, open_conflicts.
type Status struct {
	// Healthy is Health == Healthy.
	Healthy bool   `json:"healthy"`
	Health  Health `json:"health"`
	// Problems explain Health, worst first; empty when healthy.
	Problems []string `json:"problems"`
	// CheckedAt is the reference time of every age (the database's clock
	// unless the caller passed one).
	CheckedAt time.Time `json:"checked_at"`
	// Error is set when the database could not be read; everything else
	// is then what was known before the failure.
	Error  string       `json:"error,omitempty"`
	Daemon DaemonStatus `json:"daemon"`
	// QuotaUsedLastMinute is the Sheets API calls of batches that finished
	// in the last 60 s (each batch counted once, however many mirrors it
	// served), against the per-minute quota.
	QuotaUsedLastMinute int            `json:"quota_used_last_minute"`
	Mirrors             []MirrorStatus `json:"mirrors"`
	// Spreadsheets lists every spreadsheet the mirrors are in, with its
	// cells against Google's limit (see ReadSpreadsheets).
	Spreadsheets []SpreadsheetStatus `json:"spreadsheets"`
}

// DaemonStatus describes the daemons sharing the database.
type DaemonStatus struct {
	// State is DaemonRunning, DaemonStale, DaemonStopped or DaemonUnknown.
	State string `json:"state"`
	// LeaderInstance and LeaderPID name the freshest leader (nil when no
	// instance ever led within the horizon).
	LeaderInstance *string `json:"leader_instance"`
	LeaderPID      *int    `json:"leader_pid"`
	LeaderHost     *string `json:"leader_host"`
	// LastHeartbeat is the newest heartbeat of any instance.
	LastHeartbeat *time.Time `json:"last_heartbeat"`
	// Standbys counts instances with a fresh standby heartbeat.
	Standbys int `json:"standbys"`
	// Instances lists every instance heard from in the last 24 h, the
	// leader first.
	Instances []Instance `json:"instances"`
}

// Instance is one row of syncd.daemons.
type Instance struct {
	Instance      string    `json:"instance"`
	PID           int       `json:"pid"`
	Host          string    `json:"host"`
	Role          string    `json:"role"`
	Version       string    `json:"version"`
	StartedAt     time.Time `json:"started_at"`
	HeartbeatAt   time.Time `json:"heartbeat_at"`
	HeartbeatSecs float64   `json:"heartbeat_age_seconds"`
	// Fresh is true when the heartbeat is younger than StaleAfter and the
	// role is not stopped.
	Fresh bool `json:"fresh"`
}

// MirrorStatus is one mirror's line of `syncd status`.
type MirrorStatus struct {
	Name   string `json:"name"`
	Table  string `json:"table,omitempty"`
	Sheet  string `json:"sheet"`
	Health Health `json:"health"`
	// Problems explain a non-healthy Health.
	Problems []string `json:"problems"`
	// PendingChanges counts outbox entries of the mirror's table (or of its
	// depends_on tables) not yet mirrored; OldestPendingSeconds is the age
	// of the oldest (0 when none).
	PendingChanges       int64   `json:"pending_changes"`
	OldestPendingSeconds float64 `json:"oldest_pending_seconds"`
	// The last batch in either direction (imports excluded). A batch that
	// failed before its mirrors were known (mirror '*') counts for all.
	LastBatchAt      *time.Time `json:"last_batch_at"`
	LastKind         *string    `json:"last_kind"`
	LastStatus       *string    `json:"last_status"`
	LastError        *string    `json:"last_error"`
	LastRows         int        `json:"last_rows"`
	LastAPICalls     int        `json:"last_api_calls"`
	LastDurationSecs float64    `json:"last_duration_seconds"`
	LastOKAt         *time.Time `json:"last_ok_at"`
	QuotaUsedLastMin int        `json:"quota_used_last_minute"`
	LastReconcileAt  *time.Time `json:"last_reconcile_at"`
	RowsInTable      *int64     `json:"rows_in_table"`
	RowsInTab        *int64     `json:"rows_in_tab"`
	DriftAtReconcile *int       `json:"drift_at_last_reconcile"`
	// InitialFill: the last reconcile was the mirror's first and only
	// filled the tab, so its drift is the first fill, not a repair.
	InitialFill       bool    `json:"initial_fill"`
	OpenConflicts     int64   `json:"open_conflicts"`
	OldestConflictAge float64 `json:"oldest_conflict_seconds"`
}

// ErrNotMigrated means schema syncd (or one of its tables) is missing.
var ErrNotMigrated = errors.New("schema syncd is not migrated (run: syncd migrate)")

// Read reads the status of the daemons and of mirrors from the
// database alone. now is the reference time for ages; the zero time means
// the database's clock, which is what heartbeats and outbox entries are
// stamped with, so a skewed local clock cannot fake staleness. Mirrors only
// need Name, Sheet and Table (or DependsOn): status works with mirrors built
// straight from the config, without resolving them against the catalog.
//
// On error the returned Status holds what was read so far, Health Down.
func Read(ctx context.Context, q catalog.Querier, mirrors []syncd.Mirror, now time.Time, th Thresholds) (Status, error) {
	if th.MaxLag <= 0 {
		th.MaxLag = DefaultMaxLag
	}
	if th.StaleAfter <= 0 {
		th.StaleAfter = DefaultStaleAfter
	}
	st := Status{Daemon: DaemonStatus{State: DaemonUnknown, Instances: []Instance{}}, Problems: []string{},
		Mirrors: make([]MirrorStatus, 0, len(mirrors))}
	for _, m := range mirrors {
		// Unknown until read: a failure below must not leave a mirror
		// that was never looked at saying healthy.
		st.Mirrors = append(st.Mirrors, MirrorStatus{Name: m.Name, Table: m.Table, Sheet: m.Sheet, Health: Unknown, Problems: []string{}})
	}
	fail := func(err error) (Status, error) {
		st.Health, st.Healthy = Down, false
		st.Error = err.Error()
		st.Problems = append([]string{"cannot read status: " + err.Error()}, st.Problems...)
		return st, err
	}
	migrated, dbNow, err := store.StatusReadable(ctx, q)
	if err != nil {
		return fail(err)
	}
	st.CheckedAt = dbNow
	if !now.IsZero() {
		st.CheckedAt = now
	}
	if !migrated {
		return fail(ErrNotMigrated)
	}
	if err := readDaemons(ctx, q, &st, th); err != nil {
		return fail(err)
	}
	quota, err := store.QuotaUsed(ctx, q, st.CheckedAt.Add(-time.Minute), st.CheckedAt)
	if err != nil {
		return fail(err)
	}
	st.QuotaUsedLastMinute = quota
	for i := range st.Mirrors {
		if err := readMirror(ctx, q, &st.Mirrors[i], mirrors[i], st.CheckedAt, th); err != nil {
			return fail(err)
		}
	}
	st.judge()
	return st, nil
}

func readDaemons(ctx context.Context, q catalog.Querier, st *Status, th Thresholds) error {
	rows, err := store.RecentDaemons(ctx, q, st.CheckedAt.Add(-instanceHorizon))
	if err != nil {
		return err
	}
	insts := make([]Instance, len(rows))
	for i, r := range rows {
		insts[i] = Instance{Instance: r.Instance, PID: r.PID, Host: r.Host, Role: r.Role, Version: r.Version,
			StartedAt: r.StartedAt, HeartbeatAt: r.HeartbeatAt}
	}
	d := DaemonStatus{State: DaemonStopped, Instances: []Instance{}}
	var leader *Instance // a copy: insts is re-sorted below
	for i := range insts {
		in := &insts[i]
		age := st.CheckedAt.Sub(in.HeartbeatAt)
		in.HeartbeatSecs = roundSecs(age)
		in.Fresh = in.Role != "stopped" && age < th.StaleAfter
		if d.LastHeartbeat == nil {
			t := in.HeartbeatAt
			d.LastHeartbeat = &t
		}
		if in.Role == "leader" && leader == nil {
			l := *in // the freshest leader row; older ones are dead leaders
			leader = &l
		}
		if in.Role == "standby" && in.Fresh {
			d.Standbys++
		}
		if in.Role != "stopped" && d.State == DaemonStopped {
			d.State = DaemonStale
		}
	}
	if leader != nil {
		d.LeaderInstance, d.LeaderPID, d.LeaderHost = &leader.Instance, &leader.PID, &leader.Host
		if leader.Fresh {
			d.State = DaemonRunning
		}
	}
	// Leader first, then by freshness.
	sort.SliceStable(insts, func(i, j int) bool {
		return leader != nil && insts[i].Instance == leader.Instance && insts[j].Instance != leader.Instance
	})
	d.Instances = append(d.Instances, insts...)
	st.Daemon = d
	switch {
	case d.State == DaemonRunning:
	case d.LastHeartbeat == nil:
		st.Problems = append(st.Problems, "daemon: no syncd has run against this database in the last 24h (start it: systemctl start syncd)")
	case d.State == DaemonStopped:
		st.Problems = append(st.Problems, fmt.Sprintf("daemon: stopped %s ago (start it: systemctl start syncd)", Age(st.CheckedAt.Sub(*d.LastHeartbeat))))
	case leader != nil && d.Standbys > 0:
		st.Problems = append(st.Problems, fmt.Sprintf("daemon: leader %s silent for %s; %d standby waiting to take over", leader.Instance,
			Age(st.CheckedAt.Sub(leader.HeartbeatAt)), d.Standbys))
	case leader != nil:
		st.Problems = append(st.Problems, fmt.Sprintf("daemon: no heartbeat from leader %s (pid %d on %s) for %s (check: systemctl status syncd; journalctl -u syncd)",
			leader.Instance, leader.PID, leader.Host, Age(st.CheckedAt.Sub(leader.HeartbeatAt))))
	default:
		st.Problems = append(st.Problems, "daemon: no instance leads (standbys only, or they cannot take the lock)")
	}
	return nil
}

func readMirror(ctx context.Context, q catalog.Querier, ms *MirrorStatus, m syncd.Mirror, now time.Time, th Thresholds) error {
	tables := m.DependsOn
	if m.Table != "" {
		tables = []string{m.Table}
	}
	// Never nil: a query mirror without depends_on waits on no table,
	// while a nil list would count every table's entries.
	tables = append([]string{}, tables...)
	backlog, err := store.ReadBacklog(ctx, q, tables)
	if err != nil {
		return fmt.Errorf("read pending changes of %s: %w", m.Name, err)
	}
	ms.PendingChanges = backlog.Count
	if backlog.Oldest != nil {
		ms.OldestPendingSeconds = roundSecs(now.Sub(*backlog.Oldest))
	}

	run, err := store.ReadLastRun(ctx, q, m.Name)
	if err != nil {
		return err
	}
	if run != nil {
		ms.LastBatchAt, ms.LastKind, ms.LastStatus, ms.LastError = run.At, run.Kind, run.Status, run.Error
		ms.LastRows, ms.LastAPICalls = run.Rows, run.APICalls
		if run.StartedAt != nil && run.Finished != nil {
			ms.LastDurationSecs = run.Finished.Sub(*run.StartedAt).Seconds()
		}
	}
	if ms.LastOKAt, ms.QuotaUsedLastMin, err = store.ReadMirrorLog(ctx, q, m.Name, now.Add(-time.Minute), now); err != nil {
		return err
	}

	rec, err := store.ReadReconcile(ctx, q, m.Name)
	if err != nil {
		return err
	}
	ms.LastReconcileAt, ms.RowsInTable, ms.RowsInTab, ms.DriftAtReconcile = rec.At, rec.RowsInTable, rec.RowsInTab, rec.Drift
	ms.InitialFill = rec.InitialFill && rec.Drift != nil

	var oldestConflict *time.Time
	if ms.OpenConflicts, oldestConflict, err = store.OpenConflicts(ctx, q, m.Name); err != nil {
		return err
	}
	if oldestConflict != nil {
		ms.OldestConflictAge = roundSecs(now.Sub(*oldestConflict))
	}

	lag := time.Duration(ms.OldestPendingSeconds * float64(time.Second))
	if ms.PendingChanges > 0 && lag > th.MaxLag {
		ms.Problems = append(ms.Problems, fmt.Sprintf("%s pending, oldest %s old (over %s)", plural(ms.PendingChanges, "change"), Age(lag), Age(th.MaxLag)))
	}
	if m.Table != "" {
		// The daemon follows a renamed table by its oid and stops the
		// mirror of a dropped one; status, from the database alone, says
		// the config no longer names a table either way.
		if ok, err := catalog.TableExists(ctx, q, m.Table); err != nil {
			return err
		} else if !ok {
			ms.Problems = append(ms.Problems, fmt.Sprintf("table %s named in the config does not exist: dropped (re-create it, or remove the mirror) "+
				"or renamed (a running daemon follows it; change the mirror's table: to its new name)", m.Table))
		}
	}
	if ms.LastStatus != nil && *ms.LastStatus == "error" {
		msg := "last batch failed"
		if ms.LastBatchAt != nil {
			msg += " " + Age(now.Sub(*ms.LastBatchAt)) + " ago"
		}
		if ms.LastError != nil {
			msg += ": " + *ms.LastError
		}
		ms.Problems = append(ms.Problems, msg)
	}
	clash, err := store.ReadTitleClash(ctx, q, m.Name)
	if err != nil {
		return err
	}
	if clash != "" {
		ms.Problems = append(ms.Problems, clash)
	}
	if err := heldBackProblem(ctx, q, ms, m, now); err != nil {
		return err
	}
	if ms.OpenConflicts > 0 {
		ms.Problems = append(ms.Problems, fmt.Sprintf("%s open (SELECT * FROM syncd.conflicts WHERE mirror = '%s' AND resolved_at IS NULL)", plural(ms.OpenConflicts, "conflict"), m.Name))
	}
	ms.Health = Healthy
	if len(ms.Problems) > 0 {
		ms.Health = Degraded
	}
	return nil
}

// judge sets the overall health from the daemon and the mirrors, and lists
// every problem, the daemon's first.
func (st *Status) judge() {
	st.Health = Healthy
	if st.Daemon.State != DaemonRunning {
		st.Health = Down
	}
	for _, m := range st.Mirrors {
		for _, p := range m.Problems {
			st.Problems = append(st.Problems, m.Name+": "+p)
		}
		if m.Health != Healthy && st.Health == Healthy {
			st.Health = Degraded
		}
	}
	st.Healthy = st.Health == Healthy
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func roundSecs(d time.Duration) float64 {
	return float64(d.Round(time.Millisecond)) / float64(time.Second)
}

// Age formats a duration the way people read ages: "3s", "4m", "2h",
// "3d", using the largest unit (truncated) and never a fraction. Durations
// under a second, and negative ones (clock skew), are shown as "0s".
func Age(d time.Duration) string {
	switch {
	case d < time.Minute:
		d = max(d, 0)
		return fmt.Sprintf("%ds", int(d/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d/time.Hour))
	default:
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
}
