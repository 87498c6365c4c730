package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/status"
)

// statusTimeout bounds the whole status command: an operator (or a
// monitoring probe) must get an answer even when the network hangs.
const statusTimeout = 15 * time.Second

func (m *Main) status(ctx context.Context, args []string) error {
	fs := m.flags("status", "", "Show the daemons and every mirror from the database alone (works when the daemon is down):\n"+
		"leader and standbys, pending changes and the age of the oldest, the last batch, rows at the last\n"+
		"reconcile, open conflicts and Sheets quota used. Problems are listed first.\n"+
		"Exit 0 healthy, 1 degraded (lag, failed batch, open conflicts), 2 down or database unreachable.")
	cfgPath := configFlag(fs)
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	maxLag := fs.Duration("max-lag", status.DefaultMaxLag, "a mirror whose oldest pending change is older than this is degraded")
	staleAfter := fs.Duration("stale-after", status.DefaultStaleAfter, "a leader silent for longer than this counts as down")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()

	st := status.Status{Health: status.Down, Problems: []string{}, Mirrors: []status.MirrorStatus{},
		Daemon: status.DaemonStatus{State: status.DaemonUnknown, Instances: []status.Instance{}}}
	cfg, err := config.Open(*cfgPath)
	if err != nil {
		return m.printStatus(st, fmt.Errorf("config: %w", err), *asJSON)
	}
	mirrors := statusMirrors(cfg)
	for _, mr := range mirrors {
		st.Mirrors = append(st.Mirrors, status.MirrorStatus{Name: mr.Name, Table: mr.Table, Sheet: mr.Sheet, Health: status.Unknown, Problems: []string{}})
	}
	conn, err := connect(ctx, cfg.Postgres.URL)
	if err != nil {
		return m.printStatus(st, fmt.Errorf("database unreachable: %w", err), *asJSON)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	got, err := status.Read(ctx, conn, mirrors, time.Time{}, status.Thresholds{MaxLag: *maxLag, StaleAfter: *staleAfter})
	if got.Mirrors == nil {
		got.Mirrors = st.Mirrors
	}
	if err == nil {
		got.Spreadsheets, err = status.ReadSpreadsheets(ctx, conn, mirrors)
	}
	return m.printStatus(got, err, *asJSON)
}

// statusMirrors builds the mirrors status needs straight from the config,
// without resolving them against the catalog: a dropped table or a broken
// query must not hide the status of every other mirror.
func statusMirrors(cfg *config.Config) []syncd.Mirror {
	out := make([]syncd.Mirror, 0, len(cfg.Mirrors))
	for _, c := range cfg.Mirrors {
		id := c.SpreadsheetID
		if id == "" {
			id = cfg.Sheets.SpreadsheetID
		}
		out = append(out, syncd.Mirror{Name: c.Name, Sheet: c.Sheet, Table: c.Table, Query: c.Query, DependsOn: c.DependsOn,
			SpreadsheetID: id})
	}
	return out
}

// printStatus prints st (err makes it down) and returns the exit code of
// its health: nil when healthy, else an error that exits 1 (degraded) or 2
// (down) and carries err for Run to print.
func (m *Main) printStatus(st status.Status, err error, asJSON bool) error {
	if err != nil {
		st.Health, st.Healthy = status.Down, false
		st.Error = err.Error()
		if len(st.Problems) == 0 || !strings.Contains(st.Problems[0], err.Error()) {
			st.Problems = append([]string{err.Error()}, st.Problems...)
		}
	}
	if st.CheckedAt.IsZero() {
		st.CheckedAt = time.Now().UTC()
	}
	// Problems first, so the line that matters is at the top.
	sort.SliceStable(st.Mirrors, func(i, j int) bool { return rank(st.Mirrors[i].Health) > rank(st.Mirrors[j].Health) })
	if asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if jerr := enc.Encode(st); jerr != nil {
			err = errors.Join(err, fmt.Errorf("write status: %w", jerr))
		}
	} else {
		writeStatusTable(m.Stdout, st, err != nil)
	}
	code := healthCode(st.Health)
	switch {
	case err != nil:
		return withCode(code, err)
	case code != exitOK:
		return exitCode(code) // the verdict printed says why
	}
	return nil
}

// healthCode is status's exit code for h.
func healthCode(h status.Health) int {
	switch h {
	case status.Healthy:
		return exitOK
	case status.Degraded:
		return exitFailed
	}
	return exitUnready
}

func rank(h status.Health) int {
	switch h {
	case status.Down, status.Unknown:
		return 2
	case status.Degraded:
		return 1
	}
	return 0
}

// writeStatusTable prints the status for people: the verdict, the
// problems, the daemons, then one aligned line per mirror. unknown means
// the database could not be read, so numbers are shown as "?".
func writeStatusTable(w io.Writer, st status.Status, unknown bool) {
	now := st.CheckedAt
	ago := func(t *time.Time) string {
		if t == nil {
			return "never"
		}
		return status.Age(now.Sub(*t)) + " ago"
	}
	fmt.Fprintf(w, "syncd status: %s   (at %s)\n", strings.ToUpper(string(st.Health)), now.UTC().Format("2006-01-02 15:04:05 MST"))
	if len(st.Problems) > 0 {
		fmt.Fprintln(w, "\nproblems:")
		for _, p := range st.Problems {
			fmt.Fprintf(w, "  ! %s\n", p)
		}
	}
	writeDaemons(w, st.Daemon, ago)
	if !unknown {
		fmt.Fprintf(w, "\nSheets API calls in the last minute: %d\n", st.QuotaUsedLastMinute)
	}
	writeSpreadsheets(w, st.Spreadsheets, ago)
	fmt.Fprintln(w)
	writeMirrors(w, st.Mirrors, unknown, ago)
}

// writeSpreadsheets prints each spreadsheet's cells against Google's
// limit and the mirrors in it.
func writeSpreadsheets(w io.Writer, sheets []status.SpreadsheetStatus, ago func(*time.Time) string) {
	if len(sheets) == 0 {
		return
	}
	fmt.Fprintln(w, "\nspreadsheets:")
	for _, sp := range sheets {
		cells := "cells not known yet (no write recorded)"
		if sp.Cells != nil {
			cells = fmt.Sprintf("%s of %s cells (%.1f%%, %s)", thousands(*sp.Cells), thousands(sp.Limit),
				100*float64(*sp.Cells)/float64(sp.Limit), ago(sp.CellsAt))
		}
		fmt.Fprintf(w, "  %s  %s  mirrors: %s\n", sp.ID, cells, strings.Join(sp.Mirrors, ", "))
	}
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// writeDaemons prints the daemon line and, when any are known, a table of
// the instances.
func writeDaemons(w io.Writer, d status.DaemonStatus, ago func(*time.Time) string) {
	fmt.Fprintf(w, "\ndaemon: %s", d.State)
	if d.LeaderInstance != nil {
		fmt.Fprintf(w, ", leader %s (pid %d on %s)", *d.LeaderInstance, *d.LeaderPID, *d.LeaderHost)
	}
	if d.LastHeartbeat != nil {
		fmt.Fprintf(w, ", last heartbeat %s", ago(d.LastHeartbeat))
	}
	fmt.Fprintf(w, ", %d standby\n", d.Standbys)
	if len(d.Instances) == 0 {
		return
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  INSTANCE\tROLE\tPID\tHOST\tVERSION\tHEARTBEAT\tSTARTED")
	for _, in := range d.Instances {
		role := in.Role
		if !in.Fresh && in.Role != "stopped" {
			role += " (stale)"
		}
		hb, started := in.HeartbeatAt, in.StartedAt
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%s\t%s\t%s\n", in.Instance, role, in.PID, in.Host, dash(in.Version), ago(&hb), ago(&started))
	}
	tw.Flush()
}

// writeMirrors prints one aligned line per mirror ("?" for every figure
// when unknown, the whole status's or the mirror's own).
func writeMirrors(w io.Writer, mirrors []status.MirrorStatus, unknown bool, ago func(*time.Time) string) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "MIRROR\tHEALTH\tPENDING\tOLDEST\tLAST BATCH\tSTATUS\tROWS\tCALLS\tTOOK\tTABLE/TAB ROWS\tDRIFT\tRECONCILED\tCONFLICTS")
	for _, ms := range mirrors {
		if unknown || ms.Health == status.Unknown {
			fmt.Fprintf(tw, "%s\tunknown\t?\t?\t?\t?\t?\t?\t?\t?\t?\t?\t?\n", ms.Name)
			continue
		}
		fmt.Fprintln(tw, strings.Join(mirrorCells(ms, ago), "\t"))
	}
	tw.Flush()
}

// mirrorCells is a mirror's line of the status table, "-" where there is
// nothing to show yet.
func mirrorCells(ms status.MirrorStatus, ago func(*time.Time) string) []string {
	oldest := "-"
	if ms.PendingChanges > 0 {
		oldest = status.Age(time.Duration(ms.OldestPendingSeconds * float64(time.Second)))
	}
	status, rows, calls, took := "-", "-", "-", "-"
	if ms.LastStatus != nil {
		status = *ms.LastStatus
		if ms.LastKind != nil && *ms.LastKind != "change" {
			status += " (" + *ms.LastKind + ")"
		}
		rows, calls = strconv.Itoa(ms.LastRows), strconv.Itoa(ms.LastAPICalls)
		took = fmt.Sprintf("%.1fs", ms.LastDurationSecs)
	}
	counts, drift, reconciled := "-", "-", "-"
	if ms.LastReconcileAt != nil {
		reconciled = ago(ms.LastReconcileAt)
		counts = fmt.Sprintf("%s/%s", ptrInt(ms.RowsInTable), ptrInt(ms.RowsInTab))
		switch {
		case ms.InitialFill:
			drift = "initial fill" // the first pass filled the tab: nothing went wrong
		case ms.DriftAtReconcile != nil:
			drift = strconv.Itoa(*ms.DriftAtReconcile)
		}
	}
	return []string{ms.Name, string(ms.Health), strconv.FormatInt(ms.PendingChanges, 10), oldest, ago(ms.LastBatchAt),
		status, rows, calls, took, counts, drift, reconciled, strconv.FormatInt(ms.OpenConflicts, 10)}
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func ptrInt(p *int64) string {
	if p == nil {
		return "?"
	}
	return strconv.FormatInt(*p, 10)
}
