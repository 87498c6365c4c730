package status_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/status"
	"github.com/syncd/syncd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// migrated returns a pool on a fresh database with schema syncd and the
// table notes.
func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, url := pgtest.NewPool(t)
	pgtest.Exec(t, url, `CREATE TABLE notes (id int PRIMARY KEY, title text)`)
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := migrations.ApplySchema(context.Background(), conn.Conn()); err != nil {
		t.Fatal(err)
	}
	return pool
}

// Before syncd migrate, status is down and says to migrate.
func TestReadBeforeMigrateIsDownAndSaysMigrate(t *testing.T) {
	pool, _ := pgtest.NewPool(t)
	st, err := status.Read(context.Background(), pool, []syncd.Mirror{{Name: "notes", Table: "public.notes", Sheet: "Notes"}},
		time.Time{}, status.Thresholds{})
	if !errors.Is(err, status.ErrNotMigrated) || st.Health != status.Down || st.Healthy {
		t.Fatalf("status %s (healthy %v), error %v; want down with ErrNotMigrated", st.Health, st.Healthy, err)
	}
	if len(st.Mirrors) != 1 || st.Mirrors[0].Health != status.Unknown {
		t.Fatalf("mirrors %+v, want notes unknown", st.Mirrors)
	}
}

// Status reads what the engine recorded, from syncd's tables alone: a
// leading daemon, a pass that held a mass deletion back and its open
// conflicts, a failed batch, a spreadsheet's cells, and a mirror whose
// table is gone. No engine runs in this test.
func TestReadJudgesWhatTheEngineRecorded(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(store.Heartbeat(ctx, pool, store.Daemon{Instance: "a", PID: 7, Host: "h", Role: "leader", Version: "test", StartedAt: time.Now()}))
	drift := 0
	_, err := store.InsertLog(ctx, pool, store.LogEntry{Mirror: "notes", Direction: store.FromSheet, Kind: store.KindReconcile,
		Status: store.StatusOK, APICalls: 2, Drift: &drift,
		Details: []byte(`{"held_back": 3, "max_sheet_deletes": 2, "spreadsheet": "S1", "spreadsheet_cells": 1234}`)})
	must(err)
	var held []store.Conflict
	for _, k := range []string{"1", "2", "3"} {
		held = append(held, store.Conflict{Mirror: "notes", Key: map[string]string{"id": k}, SheetValue: k, Reason: store.ReasonHeldBack, Message: "held back"})
	}
	must(store.InsertConflicts(ctx, pool, held))
	_, err = store.InsertLog(ctx, pool, store.LogEntry{Mirror: "gone", Direction: store.ToSheet, Kind: store.KindChange,
		Status: store.StatusError, Error: "boom"})
	must(err)

	mirrors := []syncd.Mirror{
		{Name: "notes", Table: "public.notes", Sheet: "Notes", SpreadsheetID: "S1"},
		{Name: "gone", Table: "public.gone", Sheet: "Gone", SpreadsheetID: "S1"},
	}
	st, err := status.Read(ctx, pool, mirrors, time.Time{}, status.Thresholds{})
	must(err)
	if st.Daemon.State != status.DaemonRunning || st.Health != status.Degraded {
		t.Fatalf("daemon %s, health %s; want running and degraded (problems %q)", st.Daemon.State, st.Health, st.Problems)
	}
	problems := strings.Join(st.Problems, "\n")
	for _, want := range []string{`notes: mass deletion held back`, "3 rows", `tab "Notes"`, "max_sheet_deletes (2)",
		"3 delete_held_back conflicts", "notes: 3 conflicts open", "gone: table public.gone named in the config does not exist",
		"gone: last batch failed", "boom"} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
	if n := st.Mirrors[0]; n.OpenConflicts != 3 || n.LastKind == nil || *n.LastKind != string(store.KindReconcile) {
		t.Errorf("notes: %d open conflicts, last kind %v; want 3 and reconcile", n.OpenConflicts, n.LastKind)
	}

	sheets, err := status.ReadSpreadsheets(ctx, pool, mirrors)
	must(err)
	if len(sheets) != 1 || sheets[0].ID != "S1" || len(sheets[0].Mirrors) != 2 || sheets[0].Cells == nil || *sheets[0].Cells != 1234 ||
		sheets[0].Limit != syncd.CellLimit {
		t.Fatalf("spreadsheets %+v, want S1 with both mirrors and 1234 cells of %d", sheets, syncd.CellLimit)
	}
}
