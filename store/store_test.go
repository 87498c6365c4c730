package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// migrated returns a pool on a fresh database with schema syncd and a
// captured table items (key id) and a depends_on-only table rates.
func migrated(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, url := pgtest.NewPool(t)
	pgtest.Exec(t, url, `CREATE TABLE items (id int PRIMARY KEY, name text); CREATE TABLE rates (r int)`)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := migrations.ApplySchema(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	mirrors := []syncd.Mirror{
		{Name: "items", Table: "public.items", Columns: []syncd.Column{{Name: "id"}, {Name: "name"}}, Key: []int{0}},
		{Name: "report", Query: "SELECT 1", DependsOn: []string{"public.rates"}},
	}
	if _, err := migrations.InstallCapture(ctx, conn.Conn(), migrations.CaptureTables(mirrors)); err != nil {
		t.Fatal(err)
	}
	return pool
}

func exec(t *testing.T, q catalog.Querier, sql string, args ...any) {
	t.Helper()
	if _, err := q.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// TestTriggersWriteTheOpsTheReaderKnows: what the generated capture triggers
// write is read back as the store's op codes, with keys for rows and none
// for markers.
func TestTriggersWriteTheOpsTheReaderKnows(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	exec(t, pool, `INSERT INTO items VALUES (1, 'a'), (2, 'b')`)
	exec(t, pool, `UPDATE items SET name = 'c' WHERE id = 1`)
	exec(t, pool, `DELETE FROM items WHERE id = 2`)
	exec(t, pool, `TRUNCATE items`)
	exec(t, pool, `INSERT INTO rates VALUES (1)`)
	changes, err := store.ReadChanges(ctx, pool, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ops string
	for _, c := range changes {
		ops += string(rune(c.Op))
		if c.Op.Marker() != (c.Key == "") {
			t.Errorf("entry %+v: a marker has no key and a row entry has one", c)
		}
	}
	if ops != "IIUDTS" {
		t.Fatalf("ops %q, want IIUDTS", ops)
	}
	first, err := store.ReadChanges(ctx, pool, 2)
	if err != nil || len(first) != 2 || first[1].ID != changes[1].ID {
		t.Fatalf("limit 2 read %+v, %v; want the first two entries", first, err)
	}
	b, err := store.ReadBacklog(ctx, pool, nil)
	if err != nil || b.Count != 6 || b.Oldest == nil || b.Lag() < 0 {
		t.Fatalf("backlog of every table = %+v, %v; want 6 entries", b, err)
	}
	if b, err = store.ReadBacklog(ctx, pool, []string{"public.rates", "public.dropped"}); err != nil || b.Count != 1 {
		t.Fatalf("backlog of rates = %+v, %v; want 1 entry", b, err)
	}
	if b, err = store.ReadBacklog(ctx, pool, []string{}); err != nil || b.Count != 0 || b.Lag() != 0 {
		t.Fatalf("backlog of no table = %+v, %v; want none", b, err)
	}
	if err := store.DeleteChanges(ctx, pool, store.NewOutbox(first, nil).IDs()); err != nil {
		t.Fatal(err)
	}
	if rest, _ := store.ReadChanges(ctx, pool, 0); len(rest) != 4 {
		t.Fatalf("%d entries left after deleting 2 of 6", len(rest))
	}
}

// TestDeleteOwnChangesKeepsOtherTransactions: reconcile drops only the
// entries its own transaction wrote: at the top level, and in the
// savepoints whose ids it names (a released savepoint's entries carry the
// subtransaction's id, which pg_current_xact_id() never returns).
func TestDeleteOwnChangesKeepsOtherTransactions(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	exec(t, pool, `INSERT INTO items VALUES (1, 'a')`)
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error {
		exec(t, tx, `INSERT INTO items VALUES (2, 'b')`)
		exec(t, tx, `SAVEPOINT s`)
		var xid string
		if err := tx.QueryRow(ctx, `INSERT INTO items VALUES (3, 'c') RETURNING xmin::text`).Scan(&xid); err != nil {
			return err
		}
		exec(t, tx, `RELEASE SAVEPOINT s`)
		return store.DeleteOwnChanges(ctx, tx, "public.items", []string{xid})
	})
	if err != nil {
		t.Fatal(err)
	}
	changes, _ := store.ReadChanges(ctx, pool, 0)
	if len(changes) != 1 || changes[0].Key != `{"id": 1}` {
		t.Fatalf("outbox %+v, want only the other transaction's entry", changes)
	}
}

// TestInsertLedgerRecordsReadsAndDrops: the ledger of typed rows inserted
// returns a mirror's entries oldest first and forgets them by id.
func TestInsertLedgerRecordsReadsAndDrops(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	for _, r := range [][3]string{{"items", "fp1", "[1]"}, {"other", "fp1", "[9]"}, {"items", "fp1", "[2]"}} {
		if err := store.RecordInsert(ctx, pool, r[0], r[1], r[2]); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := store.ReadInserts(ctx, pool, "items")
	if err != nil || len(recs) != 2 || recs[0].Key != "[1]" || recs[1].Key != "[2]" || recs[0].Fingerprint != "fp1" {
		t.Fatalf("ReadInserts = %+v, %v; want keys [1] and [2] of mirror items", recs, err)
	}
	if err := store.DropInserts(ctx, pool, []int64{recs[0].ID}); err != nil {
		t.Fatal(err)
	}
	if recs, _ := store.ReadInserts(ctx, pool, "items"); len(recs) != 1 || recs[0].Key != "[2]" {
		t.Fatalf("after the drop: %+v, want only [2]", recs)
	}
}

// TestSyncLogRowsTakeTheDatabaseClockWhenTimesAreZero: an import's open row
// has no finish until FinishLog; a row with explicit times keeps them.
func TestSyncLogRowsTakeTheDatabaseClockWhenTimesAreZero(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	id, err := store.InsertLog(ctx, pool, store.LogEntry{Mirror: "import", Direction: store.FromSheet, Kind: store.KindImport,
		Status: store.StatusOK, APICalls: 2, Open: true})
	if err != nil {
		t.Fatal(err)
	}
	var finished *time.Time
	if err := pool.QueryRow(ctx, `SELECT finished_at FROM syncd.sync_log WHERE id = $1`, id).Scan(&finished); err != nil || finished != nil {
		t.Fatalf("open row finished at %v (%v), want NULL", finished, err)
	}
	if err := store.FinishLog(ctx, pool, id, 3, 1, 0, []byte(`{"mode": "execute"}`)); err != nil {
		t.Fatal(err)
	}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	drift := 4
	if _, err := store.InsertLog(ctx, pool, store.LogEntry{Mirror: "items", Direction: store.ToSheet, Kind: store.KindReconcile,
		Status: store.StatusOK, StartedAt: started, FinishedAt: started.Add(time.Second), Drift: &drift}); err != nil {
		t.Fatal(err)
	}
	run, err := store.ReadLastRun(ctx, pool, "items")
	if err != nil || run == nil || !run.StartedAt.Equal(started) || !run.Finished.Equal(started.Add(time.Second)) || *run.Kind != "reconcile" {
		t.Fatalf("last run %+v, %v; want the reconcile row as written", run, err)
	}
	var rows, deleted int
	var details string
	if err := pool.QueryRow(ctx, `SELECT rows_written, rows_deleted, details->>'mode' FROM syncd.sync_log WHERE id = $1 AND finished_at IS NOT NULL`, id).
		Scan(&rows, &deleted, &details); err != nil || rows != 3 || deleted != 1 || details != "execute" {
		t.Fatalf("finished import row: %d %d %q %v", rows, deleted, details, err)
	}
	if run, err := store.ReadLastRun(ctx, pool, "nobody"); run != nil || err != nil {
		t.Fatalf("last run of a mirror never run = %+v, %v; want nil, nil", run, err)
	}
}

func TestSchemaVersion(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewPool(t)
	if v, exists, err := store.SchemaVersion(ctx, pool); v != 0 || exists || err != nil {
		t.Fatalf("unmigrated: %d %v %v", v, exists, err)
	}
	pool = migrated(t)
	if v, exists, err := store.SchemaVersion(ctx, pool); v != migrations.Latest() || !exists || err != nil {
		t.Fatalf("migrated: %d %v %v, want %d", v, exists, err, migrations.Latest())
	}
}

func TestRowStatesMergeAndDelete(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	a, b := "a", "b"
	if err := store.WriteRowStates(ctx, pool, "items", []store.StateUpdate{
		{Key: "1", Cells: store.RowState{"x": &a, "y": nil}}, {Key: "2", Cells: store.RowState{"x": &b}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteRowStates(ctx, pool, "items", []store.StateUpdate{{Key: "1", Cells: store.RowState{"y": &b}}, {Key: "2"}}); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadRowStates(ctx, pool, "items", nil)
	if err != nil || len(got) != 1 || *got["1"]["x"] != "a" || *got["1"]["y"] != "b" {
		t.Fatalf("states %v, %v; want key 1 merged, key 2 gone", got, err)
	}
	if got, err := store.ReadRowStates(ctx, pool, "items", []string{"2"}); err != nil || len(got) != 0 {
		t.Fatalf("states of key 2: %v, %v", got, err)
	}
}

// TestRowStatesFoldPerKey: several updates of one key in one call (a row
// with several edited cells) are applied in order, in one statement.
func TestRowStatesFoldPerKey(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	a, b, c := "a", "b", "c"
	if err := store.WriteRowStates(ctx, pool, "items", []store.StateUpdate{
		{Key: `["1"]`, Cells: store.RowState{"x": &a}}, {Key: `["1"]`, Cells: store.RowState{"y": &b}},
		{Key: `["2"]`, Cells: store.RowState{"x": &a}}, {Key: `["2"]`}, {Key: `["2"]`, Cells: store.RowState{"y": &c}}}); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadRowStates(ctx, pool, "items", nil)
	if err != nil || len(got) != 2 || *got[`["1"]`]["x"] != "a" || *got[`["1"]`]["y"] != "b" ||
		len(got[`["2"]`]) != 1 || *got[`["2"]`]["y"] != "c" {
		t.Fatalf("states %v, %v", got, err)
	}
}

// TestMigrationConvertsRowKeys: row_state keys stored by round 1 (texts
// joined with U+001F) become JSON arrays (migrations/004).
func TestMigrationConvertsRowKeys(t *testing.T) {
	ctx := context.Background()
	pool, _ := pgtest.NewPool(t)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA syncd"); err != nil {
		t.Fatal(err)
	}
	m, err := migrate.NewMigrator(ctx, conn.Conn(), store.VersionTable)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.LoadMigrations(migrations.FS()); err != nil {
		t.Fatal(err)
	}
	if err := m.MigrateTo(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `INSERT INTO syncd.row_state (mirror, row_key, cells) VALUES
		('m', '7', '{}'), ('m', '', '{}'), ('m', 'p' || chr(31) || '2024-01-02', '{}'), ('m', 'a"b\c', '{}')`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.ApplySchema(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadRowStates(ctx, pool, "m", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`["7"]`, `[""]`, `["p","2024-01-02"]`, `["a\"b\\c"]`} {
		if _, ok := got[k]; !ok {
			t.Errorf("no row state %s after the migration; have %v", k, got)
		}
	}
}
