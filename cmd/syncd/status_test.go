package main

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
)

// migratedExampleDB is exampleDB with syncd's schema applied (no triggers:
// status reads only syncd's tables, and rows are inserted by hand).
func migratedExampleDB(t *testing.T) (cfgPath, url string) {
	t.Helper()
	cfgPath, url = exampleDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := migrations.ApplySchema(ctx, conn); err != nil {
		t.Fatal(err)
	}
	return cfgPath, url
}

// healthyState is a daemon that just heartbeated as leader, with a
// standby, and a successful batch for shifts.
const healthyState = `
	INSERT INTO syncd.daemons (instance, pid, host, role, version, started_at, heartbeat_at)
	VALUES ('pi4', 4242, 'pi4', 'leader', 'v1', now() - interval '3 hours', now()),
	       ('pi4-b', 4343, 'pi4', 'standby', 'v1', now() - interval '3 hours', now());
	INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status, rows_written, api_calls)
	VALUES ('shifts', 'pg_to_sheet', 'change', now() - interval '3 seconds', now() - interval '2 seconds', 'ok', 5, 2);
	INSERT INTO syncd.mirrors (name, last_reconcile_at, rows_in_table, rows_in_tab, drift)
	VALUES ('shifts', now() - interval '4 minutes', 120, 120, 1);`

// statusJSON runs `syncd status -json` and decodes its output.
func statusJSON(t *testing.T, cfg string) (int, map[string]any, string) {
	t.Helper()
	code, out, stderr := runCmd(t, "status", "-json", "-config", cfg)
	var doc map[string]any
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status -json printed no JSON (exit %d): %v\n%s\n%s", code, err, out, stderr)
	}
	for _, k := range []string{"healthy", "daemon", "mirrors"} {
		if _, ok := doc[k]; !ok {
			t.Fatalf("status -json lacks %q:\n%s", k, out)
		}
	}
	daemon := doc["daemon"].(map[string]any)
	for _, k := range []string{"state", "leader_pid"} {
		if _, ok := daemon[k]; !ok {
			t.Fatalf("status -json lacks daemon.%s:\n%s", k, out)
		}
	}
	for _, m := range doc["mirrors"].([]any) {
		for _, k := range []string{"name", "pending_changes", "oldest_pending_seconds", "last_batch_at", "last_status", "last_error", "open_conflicts"} {
			if _, ok := m.(map[string]any)[k]; !ok {
				t.Fatalf("status -json: a mirror lacks %q:\n%s", k, out)
			}
		}
	}
	return code, doc, out
}

func mirrorOf(t *testing.T, doc map[string]any, name string) map[string]any {
	t.Helper()
	for _, m := range doc["mirrors"].([]any) {
		if mm := m.(map[string]any); mm["name"] == name {
			return mm
		}
	}
	t.Fatalf("no mirror %q in the status", name)
	return nil
}

func TestStatusHealthy(t *testing.T) {
	cfg, url := migratedExampleDB(t)
	pgtest.Exec(t, url, healthyState)
	code, doc, out := statusJSON(t, cfg)
	if code != 0 || doc["healthy"] != true {
		t.Fatalf("exit %d, healthy=%v, want 0 and true:\n%s", code, doc["healthy"], out)
	}
	d := doc["daemon"].(map[string]any)
	if d["state"] != "running" || d["leader_pid"] != float64(4242) || d["standbys"] != float64(1) {
		t.Fatalf("daemon = %v, want running, leader_pid 4242, 1 standby", d)
	}
	s := mirrorOf(t, doc, "shifts")
	if s["last_status"] != "ok" || s["last_error"] != nil || s["last_batch_at"] == nil || s["pending_changes"] != float64(0) ||
		s["rows_in_table"] != float64(120) || s["drift_at_last_reconcile"] != float64(1) {
		t.Fatalf("shifts = %v", s)
	}
	if doc["quota_used_last_minute"] != float64(2) {
		t.Fatalf("quota_used_last_minute = %v, want 2", doc["quota_used_last_minute"])
	}
	if mirrorOf(t, doc, "monthly")["last_batch_at"] != nil {
		t.Fatal("monthly has a last batch, but none was logged")
	}

	code, text, _ := runCmd(t, "status", "-config", cfg)
	if code != 0 || !strings.HasPrefix(text, "syncd status: HEALTHY") || strings.Contains(text, "problems:") ||
		!strings.Contains(text, "leader pi4 (pid 4242 on pi4)") {
		t.Fatalf("table: exit %d\n%s", code, text)
	}
}

func TestStatusLaggingIsDegraded(t *testing.T) {
	cfg, url := migratedExampleDB(t)
	pgtest.Exec(t, url, healthyState+`
		INSERT INTO syncd.changes (tbl, op, key, created_at) VALUES
		  ('public.shifts', 'I', '{"shift_id": 1}', now() - interval '2 hours'),
		  ('public.shifts', 'U', '{"shift_id": 2}', now() - interval '1 second');`)
	code, doc, out := statusJSON(t, cfg)
	if code != 1 || doc["healthy"] != false || doc["health"] != "degraded" {
		t.Fatalf("exit %d, health %v, want 1 and degraded:\n%s", code, doc["health"], out)
	}
	s := mirrorOf(t, doc, "shifts")
	if s["pending_changes"] != float64(2) || s["oldest_pending_seconds"].(float64) < 7200 {
		t.Fatalf("shifts pending = %v, oldest %v, want 2 and >= 7200", s["pending_changes"], s["oldest_pending_seconds"])
	}
	// The query mirror depends on public.shifts: the same changes wait for it.
	if m := mirrorOf(t, doc, "monthly"); m["pending_changes"] != float64(2) {
		t.Fatalf("monthly pending = %v, want 2 (depends_on public.shifts)", m["pending_changes"])
	}
	if e := mirrorOf(t, doc, "employees"); e["pending_changes"] != float64(0) || e["health"] != "healthy" {
		t.Fatalf("employees = %v, want nothing pending", e)
	}
	code, text, _ := runCmd(t, "status", "-config", cfg)
	if code != 1 || !strings.HasPrefix(text, "syncd status: DEGRADED") ||
		!strings.Contains(text, "! shifts: 2 changes pending, oldest 2h old") {
		t.Fatalf("table: exit %d\n%s", code, text)
	}
	// Problems first: the degraded mirrors come before the healthy ones.
	table := text[strings.Index(text, "MIRROR"):]
	if strings.Index(table, "employees") < strings.Index(table, "shifts") {
		t.Fatalf("a healthy mirror is listed before a degraded one:\n%s", table)
	}
}

func TestStatusFailedBatchIsDegraded(t *testing.T) {
	cfg, url := migratedExampleDB(t)
	pgtest.Exec(t, url, healthyState+`
		INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status, api_calls, error)
		VALUES ('shifts', 'pg_to_sheet', 'change', now() - interval '1 second', now(), 'error', 1, 'sheets: permission denied');`)
	code, doc, out := statusJSON(t, cfg)
	if code != 1 || doc["healthy"] != false {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	s := mirrorOf(t, doc, "shifts")
	if s["last_status"] != "error" || s["last_error"] != "sheets: permission denied" {
		t.Fatalf("shifts last_status %v, last_error %v", s["last_status"], s["last_error"])
	}
	if doc["quota_used_last_minute"] != float64(3) {
		t.Fatalf("quota_used_last_minute = %v, want 3 (2 + 1)", doc["quota_used_last_minute"])
	}
}

func TestStatusOpenConflictsAreDegraded(t *testing.T) {
	cfg, url := migratedExampleDB(t)
	pgtest.Exec(t, url, healthyState+`
		INSERT INTO syncd.conflicts (mirror, row_key, column_name, sheet_value, db_value) VALUES
		  ('shifts', '{"shift_id": 7}', 'comment', 'late', 'on time');
		INSERT INTO syncd.conflicts (mirror, row_key, column_name, sheet_value, db_value, resolved_at) VALUES
		  ('shifts', '{"shift_id": 8}', 'comment', 'x', 'y', now());`)
	code, doc, out := statusJSON(t, cfg)
	if code != 1 || mirrorOf(t, doc, "shifts")["open_conflicts"] != float64(1) {
		t.Fatalf("exit %d, want 1 and 1 open conflict:\n%s", code, out)
	}
}

func TestStatusDaemonDown(t *testing.T) {
	for _, tc := range []struct {
		name, sql, state string
	}{
		{"no daemon ever", "", "stopped"},
		{"stopped cleanly", `INSERT INTO syncd.daemons (instance, pid, host, role, heartbeat_at)
			VALUES ('pi4', 4242, 'pi4', 'stopped', now() - interval '5 minutes')`, "stopped"},
		{"killed leader", `INSERT INTO syncd.daemons (instance, pid, host, role, heartbeat_at)
			VALUES ('pi4', 4242, 'pi4', 'leader', now() - interval '10 minutes')`, "stale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, url := migratedExampleDB(t)
			if tc.sql != "" {
				pgtest.Exec(t, url, tc.sql)
			}
			code, doc, out := statusJSON(t, cfg)
			d := doc["daemon"].(map[string]any)
			if code != 2 || doc["healthy"] != false || doc["health"] != "down" || d["state"] != tc.state {
				t.Fatalf("exit %d, health %v, state %v; want 2, down, %s:\n%s", code, doc["health"], d["state"], tc.state, out)
			}
			if tc.state == "stale" && d["leader_pid"] != float64(4242) {
				t.Fatalf("leader_pid = %v, want the silent leader's 4242", d["leader_pid"])
			}
			code, text, _ := runCmd(t, "status", "-config", cfg)
			if code != 2 || !strings.HasPrefix(text, "syncd status: DOWN") || !strings.Contains(text, "! daemon: ") {
				t.Fatalf("table: exit %d\n%s", code, text)
			}
		})
	}
}

func TestStatusDatabaseUnreachable(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://syncd@127.0.0.1:1/nothing?connect_timeout=2")
	t.Setenv("SYNCD_SPREADSHEET_ID", "test-sheet")
	cfg := "../../deploy/examples/shiftbot/syncd.yml"
	code, doc, out := statusJSON(t, cfg)
	d := doc["daemon"].(map[string]any)
	if code != 2 || doc["healthy"] != false || d["state"] != "unknown" || d["leader_pid"] != nil {
		t.Fatalf("exit %d, daemon %v; want 2, unknown, no pid:\n%s", code, d, out)
	}
	if e, _ := doc["error"].(string); !strings.Contains(e, "database unreachable") {
		t.Fatalf("error = %q, want it to say the database is unreachable", e)
	}
	if len(doc["mirrors"].([]any)) != 7 {
		t.Fatalf("mirrors = %v, want the 7 configured ones listed", doc["mirrors"])
	}
	// Nothing was read, so no mirror may claim to be healthy.
	for _, m := range doc["mirrors"].([]any) {
		if h := m.(map[string]any)["health"]; h != "unknown" {
			t.Fatalf("mirror %v: health %v with the database unreachable, want unknown", m.(map[string]any)["name"], h)
		}
	}
	code, text, stderr := runCmd(t, "status", "-config", cfg)
	if code != 2 || !strings.HasPrefix(text, "syncd status: DOWN") || !strings.Contains(stderr, "database unreachable") ||
		strings.Contains(text, "healthy") || !regexp.MustCompile(`(?m)^shifts +unknown +\?`).MatchString(text) {
		t.Fatalf("table: exit %d\n%s\n%s", code, text, stderr)
	}
}

func TestStatusNotMigratedIsDown(t *testing.T) {
	cfg, _ := exampleDB(t)
	code, doc, out := statusJSON(t, cfg)
	if e, _ := doc["error"].(string); code != 2 || !strings.Contains(e, "syncd migrate") {
		t.Fatalf("exit %d, error %q; want 2 and a hint to migrate:\n%s", code, e, out)
	}
}

// TestStatusSaysInitialFillForTheFirstPass: the first reconcile of a mirror
// fills its tab (300 rows, the tab and its header: drift 301). That is not
// drift anything caused, so status says "initial fill"; a later pass's
// drift is shown as the number it is.
func TestStatusSaysInitialFillForTheFirstPass(t *testing.T) {
	cfg, url := migratedExampleDB(t)
	pgtest.Exec(t, url, strings.Replace(healthyState, "120, 120, 1);", "300, 300, 301);", 1)+`
		INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status, rows_written, api_calls, drift, details)
		VALUES ('shifts', 'pg_to_sheet', 'reconcile', now() - interval '5 minutes', now() - interval '4 minutes', 'ok', 300, 3, 301,
			'{"appended": 300, "rewritten": 0, "removed": 0, "tab_created": true, "header_fixed": true}');`)
	code, doc, out := statusJSON(t, cfg)
	if s := mirrorOf(t, doc, "shifts"); code != 0 || s["initial_fill"] != true || s["drift_at_last_reconcile"] != float64(301) {
		t.Fatalf("first pass: exit %d, shifts %v\n%s", code, s, out)
	}
	code, text, _ := runCmd(t, "status", "-config", cfg)
	if code != 0 || !strings.Contains(text, "initial fill") || strings.Contains(text, " 301 ") {
		t.Fatalf("table after the first pass: exit %d\n%s", code, text)
	}
	// A second pass that repaired two rows: that is drift.
	pgtest.Exec(t, url, `
		INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status, rows_written, api_calls, drift, details)
		VALUES ('shifts', 'pg_to_sheet', 'reconcile', now() - interval '2 minutes', now() - interval '1 minute', 'ok', 2, 2, 2,
			'{"appended": 0, "rewritten": 2, "removed": 0}');
		UPDATE syncd.mirrors SET drift = 2, last_reconcile_at = now() - interval '1 minute' WHERE name = 'shifts';`)
	_, doc, out = statusJSON(t, cfg)
	if s := mirrorOf(t, doc, "shifts"); s["initial_fill"] != false || s["drift_at_last_reconcile"] != float64(2) {
		t.Fatalf("second pass: shifts %v\n%s", s, out)
	}
	if _, text, _ = runCmd(t, "status", "-config", cfg); strings.Contains(text, "initial fill") {
		t.Fatalf("table after a repairing pass still says initial fill:\n%s", text)
	}
}
