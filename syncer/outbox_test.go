package syncer_test

import (
	"strings"
	"testing"

	"github.com/syncd/syncd/syncer"
)

// TestStatementMarkerMeansTheWholeTable pins what an S entry (a statement
// on a table the capture triggers treat as depends_on-only) means to both
// readers of the outbox. It names no row, so a mirror of that table must
// reread it whole: reconcile leaves the mirror to the change stream, and
// the next batch then really does rewrite the tab from the table (here it
// repairs a cell the marker never named). Before the outbox had one reader
// the batch only counted the marker, so reconcile waited for a resync that
// never came.
func TestStatementMarkerMeansTheWholeTable(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, name) SELECT g, 'item ' || g FROM generate_series(1, 5) g`)
	b.drain()
	srv := b.rawService()
	if _, err := srv.Spreadsheets.Values.Update(b.id, "Items!B3", valueRange([][]any{{"vandal"}})).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	// A marker queued while the table was only a depends_on source (the
	// config changed since).
	b.exec(`INSERT INTO syncd.changes (tbl, op) VALUES ('public.items'::regclass, 'S')`)

	rep, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Mirrors) != 1 || len(rep.Mirrors[0].Lines) != 1 || !strings.Contains(rep.Mirrors[0].Lines[0], "full resync queued") {
		t.Fatalf("reconcile with an S marker queued: %+v, want the mirror left to the change stream's full resync", rep.Mirrors)
	}
	b.drain()
	if n := b.outboxLen(); n != 0 {
		t.Fatalf("%d outbox entries left", n)
	}
	b.assertMirrored("items")
}

// TestStatementOnDependencyRefreshesQueryMirror: a write to a table only a
// query depends on is captured as one S marker per statement, and that
// marker refreshes the query's tab.
func TestStatementOnDependencyRefreshesQueryMirror(t *testing.T) {
	b := setup(t, itemsSchema+`CREATE TABLE rates (id int PRIMARY KEY, factor numeric);`, `  - name: priced
    query: SELECT r.id, r.factor * 2 AS doubled FROM rates r
    sheet: Priced
    key: [id]
    depends_on: [public.rates]
`)
	b.exec(`INSERT INTO rates VALUES (1, 1.5), (2, 2)`)
	var ops string
	if err := b.pool.QueryRow(b.ctx, `SELECT string_agg(op::text, '' ORDER BY id) FROM syncd.changes`).Scan(&ops); err != nil {
		t.Fatal(err)
	}
	if ops != "S" {
		t.Fatalf("outbox ops %q after one statement on a depends_on table, want one S marker", ops)
	}
	b.drain()
	b.assertMirrored("priced")
	b.exec(`UPDATE rates SET factor = 3 WHERE id = 2`)
	b.drain()
	b.assertMirrored("priced")
	if n := b.outboxLen(); n != 0 {
		t.Fatalf("%d outbox entries left", n)
	}
}
