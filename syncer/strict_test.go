package syncer_test

import (
	"testing"

	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// Issue 12: the emulator refuses what Google refuses. These run real
// Postgres, the strict emulator and the real client, and damage the tab
// through the API as a person would.

// person acts on the spreadsheet through the plain API client.
type person struct {
	b   *bundle
	svc *sheetsapi.Service
}

func (b *bundle) person() *person { return &person{b: b, svc: b.rawService()} }

// do sends requests as one batchUpdate and returns the API's error.
func (p *person) do(reqs ...*sheetsapi.Request) error {
	_, err := p.svc.Spreadsheets.BatchUpdate(p.b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do()
	return err
}

func (p *person) must(reqs ...*sheetsapi.Request) {
	p.b.t.Helper()
	if err := p.do(reqs...); err != nil {
		p.b.t.Fatal(err)
	}
}

// tab returns the mirror tab's properties as the API reports them.
func (p *person) tab(title string) syncd.TabInfo {
	p.b.t.Helper()
	info, err := p.b.sheet.Info(p.b.ctx)
	if err != nil {
		p.b.t.Fatal(err)
	}
	for _, t := range info.Tabs {
		if t.Title == title || title == "" && t.Index == 0 {
			return t
		}
	}
	p.b.t.Fatalf("no tab %q in %+v", title, info.Tabs)
	return syncd.TabInfo{}
}

func deleteDim(sheetID int64, dim string, start, end int) *sheetsapi.Request {
	return &sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: &sheetsapi.DimensionRange{
		SheetId: sheetID, Dimension: dim, StartIndex: int64(start), EndIndex: int64(end), ForceSendFields: []string{"SheetId", "StartIndex"}}}}
}

func insertDim(sheetID int64, dim string, start, end int) *sheetsapi.Request {
	return &sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{Range: &sheetsapi.DimensionRange{
		SheetId: sheetID, Dimension: dim, StartIndex: int64(start), EndIndex: int64(end), ForceSendFields: []string{"SheetId", "StartIndex"}}}}
}

// shrinkToData deletes the grid's blank rows below the data, so that the
// grid holds exactly the header and the data rows: deleting every data
// row is then what Google refuses.
func (p *person) shrinkToData(title string) {
	p.b.t.Helper()
	t := p.tab(title)
	if n := len(p.b.tab(title)); t.RowCount > n {
		p.must(deleteDim(t.SheetID, "ROWS", n, t.RowCount))
	}
}

// syncLogErrors returns the errors sync_log recorded.
func (b *bundle) syncLogErrors() []string {
	b.t.Helper()
	return b.texts(`SELECT coalesce(error, '') FROM syncd.sync_log WHERE status = 'error' ORDER BY id`)
}

// texts returns the one text column of a query's rows, in its order.
func (b *bundle) texts(sql string) []string {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, sql)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			b.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// drainWithin drains until the outbox is empty, allowing at most max
// batches (failed ones included), and fails the test otherwise.
func (b *bundle) drainWithin(max int) (batches int) {
	b.t.Helper()
	for i := 0; i < max; i++ {
		n, err := b.syncer.Drain(b.ctx)
		if err != nil {
			b.t.Logf("batch %d failed: %v", i+1, err)
			continue
		}
		if n == 0 {
			return i
		}
	}
	b.t.Fatalf("the outbox is not empty after %d batches (%d left); sync_log errors: %v", max, b.outboxLen(), b.syncLogErrors())
	return max
}

func TestStrictSheetEmptyTabKeepsItsFrozenHeader(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	p := b.person()
	b.exec(`INSERT INTO items (id, name) SELECT g, 'n' || g FROM generate_series(1, 5) g`)
	b.drain()
	p.shrinkToData("Items")
	if got := p.tab("Items"); got.RowCount != 6 || got.FrozenRows != 1 {
		t.Fatalf("grid %+v, want 6 rows with the header frozen", got)
	}
	b.exec(`DELETE FROM items`)
	if n := b.drainWithin(2); n != 1 {
		t.Fatalf("emptying took %d batches, want 1", n)
	}
	b.assertMirrored("items")
	if got := p.tab("Items"); got.FrozenRows != 1 || got.RowCount < 2 {
		t.Fatalf("grid after emptying %+v, want the header frozen above a row", got)
	}
	b.exec(`INSERT INTO items (id, name) VALUES (7, 'seven'), (8, 'eight')`)
	b.drainWithin(2)
	b.assertMirrored("items")
	if grid := b.tab("Items"); len(grid) != 3 || grid[1][0] != syncd.NumberCell(7) {
		t.Fatalf("new rows did not land below the header: %v", grid)
	}

	p.shrinkToData("Items")
	b.exec(`TRUNCATE items`)
	b.drainWithin(2)
	b.assertMirrored("items")
	b.exec(`INSERT INTO items (id, name) VALUES (9, 'nine')`)
	b.drainWithin(2)
	b.assertMirrored("items")
	if errs := b.syncLogErrors(); len(errs) != 0 {
		t.Fatalf("sync_log recorded errors: %v", errs)
	}
}

func TestStrictSheetColumnsDeletedByAPerson(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	p := b.person()
	b.exec(`INSERT INTO items (id, name, price, qty, comment) SELECT g, 'n' || g, g * 1.5, g, 'c' || g FROM generate_series(1, 20) g`)
	b.drain()
	id := p.tab("Items").SheetID

	// Columns C onwards deleted, then rows change.
	p.must(deleteDim(id, "COLUMNS", 2, p.tab("Items").ColCount))
	b.exec(`UPDATE items SET qty = qty + 100 WHERE id <= 3`)
	if n := b.drainWithin(3); n > 2 {
		t.Fatalf("took %d batches", n)
	}
	b.assertMirrored("items")

	// One column in the middle (D, qty) deleted: put back, not shifted.
	p.must(deleteDim(id, "COLUMNS", 3, 4))
	b.exec(`INSERT INTO items (id, name, qty, comment) VALUES (21, 'new', 5, 'x')`)
	b.drainWithin(3)
	b.assertMirrored("items")

	// Blank rows inserted above the header.
	p.must(insertDim(id, "ROWS", 0, 2))
	b.exec(`DELETE FROM items WHERE id = 5`)
	b.drainWithin(3)
	b.assertMirrored("items")
	if got := p.tab("Items"); got.FrozenRows != 1 {
		t.Fatalf("frozen rows %d after the repair, want 1", got.FrozenRows)
	}

	// The header cleared.
	if _, err := p.svc.Spreadsheets.Values.Clear(b.id, "Items!1:1", &sheetsapi.ClearValuesRequest{}).Do(); err != nil {
		t.Fatal(err)
	}
	b.exec(`UPDATE items SET name = 'renamed' WHERE id = 1`)
	b.drainWithin(3)
	b.assertMirrored("items")

	// The bottom rows deleted (the grid is now shorter than the cache
	// says), then everything deleted.
	t0 := p.tab("Items")
	p.must(deleteDim(id, "ROWS", 15, t0.RowCount))
	b.exec(`DELETE FROM items`)
	b.drainWithin(3)
	b.assertMirrored("items")
	if errs := b.syncLogErrors(); len(errs) != 0 {
		t.Fatalf("sync_log recorded errors: %v", errs)
	}
	// Nothing a person typed was imported from a shifted column.
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM syncd.conflicts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	t.Logf("conflicts recorded: %d", n)
}

// A person's columns inserted among the mirror's are neither read as the
// mirror's nor overwritten: the mirror's columns, found by their headers,
// move left of them, and the person's cells stay in their rows.
func TestStrictSheetPersonsColumnAmongTheMirrorsIsNeverOverwritten(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	p := b.person()
	b.exec(`INSERT INTO items (id, name) VALUES (1, 'a'), (2, 'b')`)
	b.drain()
	id := p.tab("Items").SheetID
	p.must(insertDim(id, "COLUMNS", 1, 2))
	if _, err := p.svc.Spreadsheets.Values.Update(b.id, "Items!B1:B2", valueRange([][]any{{"my notes"}, {"keep me"}})).
		ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	b.exec(`UPDATE items SET name = 'changed' WHERE id = 1`)
	b.drainWithin(3)
	b.assertMirrored("items")
	grid := b.tab("Items")
	ncols := len(b.mirrors[0].Columns)
	if len(grid[0]) <= ncols || grid[0][ncols] != syncd.StringCell("my notes") || grid[1][ncols] != syncd.StringCell("keep me") {
		t.Fatalf("the person's column is not right of the mirror's with its cells: %v / %v", grid[0], grid[1])
	}
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM syncd.conflicts`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("conflicts nobody typed: %d %v", n, err)
	}
}
