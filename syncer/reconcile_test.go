package syncer_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/syncer"
)

// reconcileOnce does what `syncd reconcile` does: mirror pending changes,
// then one pass. It returns the pass's report and the API calls of both.
func (b *bundle) reconcileOnce() (syncer.ReconcileReport, int) {
	b.t.Helper()
	before := b.syncer.Stats().APICalls
	b.drain()
	rep, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{})
	if err != nil {
		b.t.Fatalf("reconcile: %v", err)
	}
	return rep, b.syncer.Stats().APICalls - before + rep.APICalls
}

type conflictRow struct{ key, column, sheet, reason string }

func (b *bundle) conflicts() []conflictRow {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT coalesce(row_key->>'id', ''), coalesce(column_name, ''), coalesce(sheet_value, ''), reason
		FROM syncd.conflicts ORDER BY id`)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []conflictRow
	for rows.Next() {
		var c conflictRow
		if err := rows.Scan(&c.key, &c.column, &c.sheet, &c.reason); err != nil {
			b.t.Fatal(err)
		}
		out = append(out, c)
	}
	return out
}

// TestReconcileRepairsVandalism plays the scenario: people sort the
// tab, delete rows, insert a blank row and a row with a new key, change a
// non-editable cell, an editable cell, an editable cell whose row Postgres
// also changed, and rename the tab. One reconcile must make the tab equal the
// table, carry the legitimate edit back, keep every other typed value in
// syncd.conflicts, and a second reconcile must find nothing to do.
func TestReconcileRepairsVandalism(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, name, price, comment) SELECT g, 'item ' || g, g * 1.5, 'c' || g FROM generate_series(1, 20) g`)
	b.drain()
	b.assertMirrored("items")
	srv := b.rawService()
	info, err := srv.Spreadsheets.Get(b.id).Do()
	if err != nil {
		t.Fatal(err)
	}
	var sheetID int64 = -1
	for _, s := range info.Sheets {
		if s.Properties.Title == "Items" {
			sheetID = s.Properties.SheetId
		}
	}
	if sheetID < 0 {
		t.Fatal("no Items tab")
	}
	batch := func(reqs ...*sheetsapi.Request) {
		t.Helper()
		if _, err := srv.Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do(); err != nil {
			t.Fatal(err)
		}
	}
	// Sort the data rows by name, descending ("item 9" first).
	batch(&sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{
		Range:     &sheetsapi.GridRange{SheetId: sheetID, StartRowIndex: 1, EndRowIndex: 21, ForceSendFields: []string{"SheetId"}},
		SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: 1, SortOrder: "DESCENDING", ForceSendFields: []string{"DimensionIndex"}}},
	}})
	grid := b.tab("Items")
	rowOf := func(id int) int { // 1-based sheet row of a key
		for r, row := range grid {
			if len(row) > 0 && row[0] == syncd.NumberCell(float64(id)) {
				return r + 1
			}
		}
		t.Fatalf("key %d not in the tab", id)
		return 0
	}
	// Delete three rows (keys 3, 4 and 5 wherever the sort put them).
	var del []int
	for _, id := range []int{3, 4, 5} {
		del = append(del, rowOf(id))
	}
	sort.Sort(sort.Reverse(sort.IntSlice(del)))
	for _, r := range del {
		batch(&sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: &sheetsapi.DimensionRange{
			SheetId: sheetID, Dimension: "ROWS", StartIndex: int64(r - 1), EndIndex: int64(r), ForceSendFields: []string{"SheetId"}}}})
	}
	grid = b.tab("Items")
	// A row with a key Postgres lacks, and a blank row in the middle.
	if _, err := srv.Spreadsheets.Values.Append(b.id, "Items!A1", valueRange([][]any{{999, "intruder"}})).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	batch(&sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{Range: &sheetsapi.DimensionRange{
		SheetId: sheetID, Dimension: "ROWS", StartIndex: 5, EndIndex: 6, ForceSendFields: []string{"SheetId"}}}})
	grid = b.tab("Items")
	set := func(a1 string, v any) {
		t.Helper()
		if _, err := srv.Spreadsheets.Values.Update(b.id, a1, valueRange([][]any{{v}})).ValueInputOption("RAW").Do(); err != nil {
			t.Fatal(err)
		}
	}
	set(fmt.Sprintf("Items!B%d", rowOf(7)), "vandalised name")   // not editable
	set(fmt.Sprintf("Items!K%d", rowOf(8)), "accountant's note") // editable, Postgres unchanged
	set(fmt.Sprintf("Items!K%d", rowOf(9)), "sheet says this")   // editable, Postgres changes it too
	b.exec(`UPDATE items SET comment = 'database says this' WHERE id = 9`)
	batch(&sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
		Properties: &sheetsapi.SheetProperties{SheetId: sheetID, Title: "Renamed by someone", ForceSendFields: []string{"SheetId"}},
		Fields:     "title"}})

	rep, calls := b.reconcileOnce()
	t.Logf("first reconcile: drift %d, %d API calls: %+v", rep.Drift(), calls, rep.Mirrors[0])
	b.assertMirrored("items")
	var comment8 string
	if err := b.pool.QueryRow(b.ctx, `SELECT comment FROM items WHERE id = 8`).Scan(&comment8); err != nil {
		t.Fatal(err)
	}
	if comment8 != "accountant's note" {
		t.Errorf("editable edit not carried back: comment of 8 = %q", comment8)
	}
	got := map[string]bool{}
	for _, c := range b.conflicts() {
		got[strings.Join([]string{c.key, c.column, c.sheet, c.reason}, "|")] = true
	}
	for _, want := range []string{
		"9|comment|sheet says this|both_changed",
		"7|name|vandalised name|not_editable",
		"999||{\"id\":\"999\",\"name\":\"intruder\"}|sheet_only_row",
	} {
		if !got[want] {
			t.Errorf("conflict %q not recorded; have %v", want, got)
		}
	}
	d := rep.Mirrors[0]
	if info, err := b.sheet.Info(b.ctx); err != nil {
		t.Fatal(err)
	} else if tab, ok := info.Tab("Items"); !ok || tab.SheetID != sheetID || len(info.Tabs) != 3 {
		t.Errorf("tabs after reconcile: %+v, want tab %d renamed back to Items and no new tab but syncd's kept rows", info.Tabs, sheetID)
	} else if kept, ok := info.Tab("syncd kept rows: items"); !ok || !kept.Hidden {
		// The pass wrote rows by index: what they held is kept, hidden
		// from people (keep.go).
		t.Errorf("tabs after reconcile: %+v, want syncd's hidden kept-rows tab", info.Tabs)
	}
	if d.Appended != 3 || d.Removed != 2 || d.EditsImported != 1 {
		t.Errorf("drift found: appended %d (want 3), removed %d (want 2: blank + intruder), edits %d (want 1)",
			d.Appended, d.Removed, d.EditsImported)
	}

	before := b.emu.Stats()[b.id]
	rep, _ = b.reconcileOnce()
	after := b.emu.Stats()[b.id]
	if rep.Drift() != 0 {
		t.Errorf("second reconcile found drift %d: %+v", rep.Drift(), rep.Mirrors[0].Lines)
	}
	if w := after.Writes - before.Writes; w != 0 {
		t.Errorf("second reconcile made %d write calls, want 0", w)
	}
}

func TestReconcileLeavesPeoplesSortAloneUnlessOrderBy(t *testing.T) {
	for _, orderBy := range []bool{false, true} {
		t.Run(fmt.Sprintf("order_by=%v", orderBy), func(t *testing.T) {
			mirror := itemsMirror
			if orderBy {
				mirror += "    order_by: [name]\n"
			}
			b := setup(t, itemsSchema, mirror)
			b.exec(`INSERT INTO items (id, name) SELECT g, 'n' || lpad(g::text, 2, '0') FROM generate_series(1, 12) g`)
			b.drain()
			info, err := b.sheet.Info(b.ctx)
			if err != nil {
				t.Fatal(err)
			}
			tab, _ := info.Tab("Items")
			// A person sorts by id, descending.
			if _, err := b.rawService().Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{{
				SortRange: &sheetsapi.SortRangeRequest{
					Range:     &sheetsapi.GridRange{SheetId: tab.SheetID, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
					SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: 0, SortOrder: "DESCENDING", ForceSendFields: []string{"DimensionIndex"}}},
				}}}}).Do(); err != nil {
				t.Fatal(err)
			}
			rep, _ := b.reconcileOnce()
			first := b.tab("Items")[1][1].String
			if orderBy {
				if !rep.Mirrors[0].Sorted || first != "n01" {
					t.Fatalf("order_by: sorted=%v, first row name %q, want the tab sorted by name again", rep.Mirrors[0].Sorted, first)
				}
			} else if rep.Drift() != 0 || first != "n12" {
				t.Fatalf("no order_by: drift %d, first row name %q, want the person's sort (n12 first) kept", rep.Drift(), first)
			}
			b.assertMirrored("items")
			if rep, _ := b.reconcileOnce(); rep.Drift() != 0 {
				t.Fatalf("second reconcile found drift %d: %v", rep.Drift(), rep.Mirrors[0].Lines)
			}
		})
	}
}
