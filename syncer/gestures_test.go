package syncer_test

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	sheetsapi "google.golang.org/api/sheets/v4"
)

// Absence from a tab is not intent (issue 19): ordinary gestures — a sort
// inside syncd's read → write window, an overtyped key, rows pasted over
// others, a row cut and pasted over another — change or delete no Postgres
// row that nobody typed or deleted.

const gestureSchema = `
CREATE TABLE g (id text PRIMARY KEY, label text, note text);
-- Every statement syncd runs on the table, row by row.
CREATE TABLE g_audit (op text, id text, label text, note text);
CREATE FUNCTION g_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' THEN
		INSERT INTO g_audit VALUES (TG_OP, OLD.id, OLD.label, OLD.note);
	ELSE
		INSERT INTO g_audit VALUES (TG_OP, NEW.id, NEW.label, NEW.note);
	END IF;
	RETURN NULL;
END $$;
`

const gestureMirror = `  - name: g
    table: public.g
    sheet: G
    editable: [note]
    sheet_inserts: true
    sheet_deletes: true
`

// gestureWorld is a tab of six records, settled, with the audit trigger
// armed only now (the application's own inserts are not syncd's).
func gestureWorld(t *testing.T) *bundle {
	b := setup(t, gestureSchema, gestureMirror)
	b.exec(`INSERT INTO g SELECT 'k' || i, 'label ' || i, 'note ' || i FROM generate_series(1, 6) i`)
	b.reconcileOnce()
	b.exec(`CREATE TRIGGER g_audit AFTER INSERT OR UPDATE OR DELETE ON g FOR EACH ROW EXECUTE FUNCTION g_audit()`)
	return b
}

// syncdStatements returns what reached the table since the trigger was
// armed, as "OP id".
func (b *bundle) syncdStatements() []string {
	b.t.Helper()
	out := b.texts(`SELECT op || ' ' || id FROM g_audit`)
	sort.Strings(out)
	return out
}

func (b *bundle) gTabID() int64 {
	b.t.Helper()
	return b.person().tab("G").SheetID
}

func rowsRange(sheetID int64, start, end int) *sheetsapi.GridRange {
	return &sheetsapi.GridRange{SheetId: sheetID, StartRowIndex: int64(start), EndRowIndex: int64(end),
		StartColumnIndex: 0, EndColumnIndex: 3, ForceSendFields: []string{"SheetId", "StartRowIndex", "StartColumnIndex"}}
}

// onceInWindow makes gesture happen once, inside the next write syncd
// sends: after syncd read the tab, before its write lands.
func (b *bundle) onceInWindow(gesture func()) {
	var done atomic.Bool
	b.emu.SetBeforeBatchUpdate(func(string) {
		if done.CompareAndSwap(false, true) {
			gesture()
		}
	})
	b.t.Cleanup(func() { b.emu.SetBeforeBatchUpdate(nil) })
}

func (b *bundle) settleAndCheck() {
	b.t.Helper()
	b.drain()
	b.reconcileOnce()
	b.reconcileOnce()
	b.assertMirrored("g")
}

// TestSortInsideTheWindowDeletesNothing: the application deletes one
// record and changes another; a person sorts the tab after the batch read
// the keys and before its write. The batch deletes and writes by
// position, so it removes the wrong row and writes a record's label over
// another's: the next passes must restore, not delete, and import nothing.
func TestSortInsideTheWindowDeletesNothing(t *testing.T) {
	b := gestureWorld(t)
	p := b.person()
	id := b.gTabID()
	b.exec(`DELETE FROM g WHERE id = 'k2'`)
	b.exec(`UPDATE g SET label = 'changed' WHERE id = 'k5'`)
	b.exec(`DELETE FROM g_audit`) // the application's own
	b.onceInWindow(func() {
		p.must(&sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{Range: rowsRange(id, 1, 7),
			SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: 1, SortOrder: "DESCENDING", ForceSendFields: []string{"DimensionIndex"}}}}})
	})
	b.settleAndCheck()
	if got := b.syncdStatements(); len(got) != 0 {
		t.Fatalf("syncd ran %v on the table; nobody typed or deleted anything", got)
	}
	if n := b.count(`SELECT count(*) FROM g`); n != 5 {
		t.Fatalf("%d rows in g, want 5", n)
	}
}

// TestOvertypedKeyIsPutBack: a person types a new key over a record's
// key. That is an edit of a non-editable cell: reverted with a conflict,
// never a DELETE of the record plus an INSERT under the typed key.
func TestOvertypedKeyIsPutBack(t *testing.T) {
	b := gestureWorld(t)
	r := b.rowOfKey("G", "k3")
	b.typeInto(fmt.Sprintf("G!A%d", r), "typed", false)
	b.reconcileOnce()
	if got := b.syncdStatements(); len(got) != 0 {
		t.Fatalf("syncd ran %v on the table for an overtyped key", got)
	}
	var found bool
	for _, c := range b.conflicts() {
		found = found || c.key == "k3" && c.column == "id" && c.sheet == "typed" && c.reason == "not_editable"
	}
	if !found {
		t.Fatalf("no not_editable conflict keeps the typed key: %+v", b.conflicts())
	}
	b.settleAndCheck()
}

// TestPastedRowsDeleteNothing: a person copies two whole rows over two
// others. The overwritten records are restored, not deleted.
func TestPastedRowsDeleteNothing(t *testing.T) {
	b := gestureWorld(t)
	p := b.person()
	id := b.gTabID()
	p.must(&sheetsapi.Request{CopyPaste: &sheetsapi.CopyPasteRequest{Source: rowsRange(id, 1, 3), Destination: rowsRange(id, 4, 6), PasteType: "PASTE_NORMAL"}})
	b.settleAndCheck()
	if got := b.syncdStatements(); len(got) != 0 {
		t.Fatalf("syncd ran %v on the table for pasted rows", got)
	}
}

// TestCutRowOverAnotherDeletesNothing: a person cuts the last row and
// pastes it over another: the overwritten record is missing from the tab,
// but the grid lost no row, so it was not deleted.
func TestCutRowOverAnotherDeletesNothing(t *testing.T) {
	b := gestureWorld(t)
	p := b.person()
	id := b.gTabID()
	p.must(&sheetsapi.Request{CutPaste: &sheetsapi.CutPasteRequest{Source: rowsRange(id, 6, 7),
		Destination: &sheetsapi.GridCoordinate{SheetId: id, RowIndex: 2, ColumnIndex: 0, ForceSendFields: []string{"SheetId", "ColumnIndex"}}, PasteType: "PASTE_NORMAL"}})
	b.settleAndCheck()
	if got := b.syncdStatements(); len(got) != 0 {
		t.Fatalf("syncd ran %v on the table for a cut and paste", got)
	}
	var unclear int
	for _, c := range b.conflicts() {
		if c.reason == "delete_unclear" {
			unclear++
		}
	}
	if unclear != 1 {
		t.Fatalf("want one delete_unclear conflict for the overwritten record, got %+v", b.conflicts())
	}
}

// TestDeletedRowIsStillDeleted: a person deleting a row (the grid loses
// it) with nothing else going on is still a deletion.
func TestDeletedRowIsStillDeleted(t *testing.T) {
	b := gestureWorld(t)
	r := b.rowOfKey("G", "k4")
	b.deleteRows("G", r, r+1)
	b.reconcileOnce()
	if got := strings.Join(b.syncdStatements(), ","); got != "DELETE k4" {
		t.Fatalf("statements = %q, want DELETE k4", got)
	}
	b.settleAndCheck()
}

// TestRowTypedIntoAReportIsKept: a row a person types into a query tab is
// removed by the next refresh (a report takes nothing back), but kept in
// syncd.conflicts, never dropped silently.
func TestRowTypedIntoAReportIsKept(t *testing.T) {
	b := setup(t, gestureSchema, `  - name: report
    query: SELECT id, label FROM g
    sheet: Report
    key: [id]
    depends_on: [public.g]
`)
	b.exec(`INSERT INTO g SELECT 'k' || i, 'label ' || i, 'note ' || i FROM generate_series(1, 3) i`)
	b.drain()
	b.reconcileOnce()
	b.appendRow("Report", "zz", "typed by a person")
	b.exec(`UPDATE g SET label = 'changed' WHERE id = 'k1'`)
	b.drain()
	var kept bool
	for _, c := range b.conflicts() {
		kept = kept || c.key == "zz" && strings.Contains(c.sheet, "typed by a person") && c.reason == "sheet_only_row"
	}
	if !kept {
		t.Fatalf("the typed row is not in syncd.conflicts: %+v", b.conflicts())
	}
	b.assertMirrored("report")
}
