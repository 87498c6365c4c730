package writeback_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/writeback"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// notes is the mirror of the test table: a serial key, a varchar(20), a
// json and a point (neither has an equality operator), and a trigger that
// counts how often it fires (on a sequence, so it never blocks).
var notes = &syncd.Mirror{Name: "notes", Table: "public.notes", Key: []int{0}, Columns: []syncd.Column{
	{Name: "id", Type: "integer", Kind: syncd.KindInt},
	{Name: "note", Type: "character varying(20)", Kind: syncd.KindText},
	{Name: "doc", Type: "json", Kind: syncd.KindJSON},
	{Name: "pos", Type: "point", Kind: syncd.KindOther},
}}

func setup(t *testing.T) *pgxpool.Pool {
	t.Helper()
	ctx := context.Background()
	pool, url := pgtest.NewPool(t)
	pgtest.Exec(t, url, `
		CREATE TABLE notes (id serial PRIMARY KEY, note varchar(20), doc json, pos point);
		INSERT INTO notes (note, doc, pos) VALUES ('first', '{"a": 1}', '(1,2)');
		-- a sequence counts the firings: it never blocks another writer
		CREATE SEQUENCE fired;
		CREATE FUNCTION count_fire() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM nextval('fired'); RETURN NULL; END $$;
		CREATE TRIGGER count_fire AFTER INSERT OR UPDATE OR DELETE ON notes FOR EACH ROW EXECUTE FUNCTION count_fire();`)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := migrations.ApplySchema(ctx, conn.Conn()); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.InstallCapture(ctx, conn.Conn(), migrations.CaptureTables([]syncd.Mirror{*notes})); err != nil {
		t.Fatal(err)
	}
	return pool
}

// first is row 1 as the test table holds it after setup.
func first() []syncd.Value {
	return []syncd.Value{syncd.Text("1"), syncd.Text("first"), syncd.Text(`{"a": 1}`), syncd.Text("(1,2)")}
}

func inTx(t *testing.T, pool *pgxpool.Pool, fn func(pgx.Tx, *writeback.Door)) {
	t.Helper()
	ctx := context.Background()
	err := store.InTx(ctx, pool, func(tx pgx.Tx) error { fn(tx, writeback.New(tx)); return nil })
	if err != nil {
		t.Fatal(err)
	}
}

func scalar[T any](t *testing.T, q catalog.Querier, sql string) T {
	t.Helper()
	var v T
	if err := q.QueryRow(context.Background(), sql).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// TestEachStatementRunsOnce: an insert takes one sequence value and every
// statement fires the application's trigger once (round 2 tried each in a
// savepoint and then ran it again).
func TestEachStatementRunsOnce(t *testing.T) {
	ctx := context.Background()
	pool := setup(t)
	inTx(t, pool, func(tx pgx.Tx, d *writeback.Door) {
		row, err := d.Insert(ctx, notes, map[int]syncd.Value{1: syncd.Text("typed")})
		if err != nil || row[0].Text != "2" {
			t.Fatalf("Insert = %v, %v; want the row with id 2 (the sequence's next value)", row, err)
		}
		if _, err := d.Update(ctx, notes, first(), map[int]syncd.Value{1: syncd.Text("edited")}); err != nil {
			t.Fatal(err)
		}
		if ok, err := d.Delete(ctx, notes, row); !ok || err != nil {
			t.Fatalf("Delete = %v, %v", ok, err)
		}
	})
	if n := scalar[int](t, pool, `SELECT last_value FROM fired`); n != 3 {
		t.Errorf("the trigger fired %d times for three statements, want 3", n)
	}
	if next := scalar[int64](t, pool, `SELECT nextval('notes_id_seq')`); next != 3 {
		t.Errorf("next sequence value %d, want 3: the insert took more than one", next)
	}
}

// TestTooLongValueIsRefusedNotCut: a 40-character note for varchar(20) is
// refused with Postgres' "value too long", naming table.column, and the
// transaction goes on; an explicit cast to varchar(20) would store it cut.
func TestTooLongValueIsRefusedNotCut(t *testing.T) {
	ctx := context.Background()
	pool := setup(t)
	long := strings.Repeat("x", 40)
	inTx(t, pool, func(tx pgx.Tx, d *writeback.Door) {
		_, err := d.Update(ctx, notes, first(), map[int]syncd.Value{1: syncd.Text(long)})
		var refused *writeback.RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "public.notes.note: value too long for type character varying(20)") {
			t.Fatalf("Update of a 40-character note = %v, want a refusal naming public.notes.note", err)
		}
		_, err = d.Insert(ctx, notes, map[int]syncd.Value{1: syncd.Text(long)})
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), "value too long") {
			t.Fatalf("Insert of a 40-character note = %v, want a refusal", err)
		}
		if row, err := d.Update(ctx, notes, first(), map[int]syncd.Value{1: syncd.Text("fits")}); err != nil || row == nil {
			t.Fatalf("Update after a refusal = %v, %v: the transaction must go on", row, err)
		}
	})
	if got := scalar[string](t, pool, `SELECT string_agg(note, ',' ORDER BY id) FROM notes`); got != "fits" {
		t.Errorf("notes = %q, want only the value that fits", got)
	}
}

// TestUpdateAndDeleteCompareEveryColumn: a statement applies only to the
// row as syncd showed it, every mirrored column included (json and point
// compared as text); a row changed meanwhile in another column is left.
func TestUpdateAndDeleteCompareEveryColumn(t *testing.T) {
	ctx := context.Background()
	pool := setup(t)
	stale := first()
	stale[3] = syncd.Text("(9,9)") // the application moved it since
	inTx(t, pool, func(tx pgx.Tx, d *writeback.Door) {
		if row, err := d.Update(ctx, notes, stale, map[int]syncd.Value{1: syncd.Text("edited")}); row != nil || err != nil {
			t.Errorf("Update of a changed row = %v, %v; want nothing applied", row, err)
		}
		if ok, err := d.Delete(ctx, notes, stale); ok || err != nil {
			t.Errorf("Delete of a changed row = %v, %v; want nothing deleted", ok, err)
		}
		row, err := d.Update(ctx, notes, first(), map[int]syncd.Value{1: syncd.Text("edited")})
		if err != nil || row == nil || row[1].Text != "edited" {
			t.Fatalf("Update of the row as seen = %v, %v", row, err)
		}
		if ok, err := d.Delete(ctx, notes, first()); ok || err != nil {
			t.Errorf("Delete guarded by the value before the edit = %v, %v; want nothing deleted", ok, err)
		}
		if ok, err := d.Delete(ctx, notes, row); !ok || err != nil {
			t.Errorf("Delete of the row as stored = %v, %v; want deleted", ok, err)
		}
	})
	if n := scalar[int](t, pool, `SELECT count(*) FROM notes`); n != 0 {
		t.Errorf("%d rows left, want 0", n)
	}
}

// TestDropOwnChangesDropsExactlyTheDoorsEntries: the outbox entries of the
// door's statements carry their savepoints' ids; DropOwnChanges removes
// all of them, and an entry another transaction committed meanwhile stays.
func TestDropOwnChangesDropsExactlyTheDoorsEntries(t *testing.T) {
	ctx := context.Background()
	pool := setup(t)
	if _, err := pool.Exec(ctx, `DELETE FROM syncd.changes`); err != nil {
		t.Fatal(err)
	}
	inTx(t, pool, func(tx pgx.Tx, d *writeback.Door) {
		row, err := d.Insert(ctx, notes, map[int]syncd.Value{1: syncd.Text("typed")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.Update(ctx, notes, first(), map[int]syncd.Value{1: syncd.Text("edited")}); err != nil {
			t.Fatal(err)
		}
		if ok, err := d.Delete(ctx, notes, row); !ok || err != nil {
			t.Fatalf("Delete = %v, %v", ok, err)
		}
		if _, err := pool.Exec(ctx, `INSERT INTO notes (note) VALUES ('someone else')`); err != nil {
			t.Fatal(err)
		}
		if n := scalar[int](t, tx, `SELECT count(*) FROM syncd.changes`); n != 4 {
			t.Fatalf("%d outbox entries before the drop, want 4 (3 of the door, 1 committed by another)", n)
		}
		if err := d.DropOwnChanges(ctx, notes.Table); err != nil {
			t.Fatal(err)
		}
	})
	if got := scalar[string](t, pool, `SELECT string_agg(op::text || ' ' || (key->>'id'), ',') FROM syncd.changes`); got != "I 3" {
		t.Errorf("outbox after the drop = %q, want only the other transaction's insert (I 3)", got)
	}
}
