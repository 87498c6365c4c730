package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/store"
)

// TestReconcileRefusesWhileADaemonLeads: a writing pass takes the leader
// lock, so while another session (a daemon) holds it reconcile refuses
// with exit 1 and writes nothing; a dry run still reports; an unknown
// -mirror is a usage error.
func TestReconcileRefusesWhileADaemonLeads(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	t.Setenv("SYNCD_SPREADSHEET_ID", e.emu.CreateSpreadsheet("shiftbot mirror"))
	ctx := context.Background()
	lead, err := pgx.Connect(ctx, e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer lead.Close(ctx)
	var got bool
	if err := lead.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", store.LeaderLock).Scan(&got); err != nil || !got {
		t.Fatalf("take the leader lock: %v, %v", got, err)
	}
	before := e.count(t, "SELECT count(*) FROM syncd.sync_log")
	code, _, stderr := runCmd(t, "reconcile", "-config", e.cfg)
	if code != 1 || strings.Count(stderr, "syncd reconcile: a syncd daemon leads this database") != 1 {
		t.Fatalf("reconcile while a daemon leads: exit %d, want 1 and the refusal once:\n%s", code, stderr)
	}
	if after := e.count(t, "SELECT count(*) FROM syncd.sync_log"); after != before {
		t.Fatalf("a refused reconcile logged %d passes", after-before)
	}
	if code, out, stderr := runCmd(t, "reconcile", "-config", e.cfg, "-dry-run"); code != 0 || !strings.Contains(out, "drift ") {
		t.Fatalf("dry run while a daemon leads: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := runCmd(t, "reconcile", "-config", e.cfg, "-mirror", "nope"); code != 2 || !strings.Contains(stderr, `no mirror named "nope"`) {
		t.Fatalf("unknown mirror: exit %d, want 2:\n%s", code, stderr)
	}
}
