package syncer_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"
)

// Issue 20: a batch makes no Sheets read when the spreadsheet's Drive
// version shows nothing happened since syncd's own last write; any doubt
// reads. Every step checks the tab against the table, so a batch planned
// on positions the tab no longer has would show.

// drainReads drains the outbox and returns the Sheets reads it cost.
func (b *bundle) drainReads() int64 {
	b.t.Helper()
	before := b.sheetReads()
	b.drain()
	return b.sheetReads() - before
}

// step runs sql, drains, and checks the reads the batch made and the tab.
func (b *bundle) step(what, sql string, wantReads int64) {
	b.t.Helper()
	b.exec(sql)
	if got := b.drainReads(); got != wantReads {
		b.t.Fatalf("%s: the batch made %d Sheets reads, want %d", what, got, wantReads)
	}
	b.assertMirrored("notes")
}

// TestBatchSkipsTheKeyReadWhenNothingForeignHappened: updates, deletes
// and inserts after syncd's own write read nothing; a row syncd appended
// (its position unknown) and any change a person made are read.
func TestBatchSkipsTheKeyReadWhenNothingForeignHappened(t *testing.T) {
	b := setup(t, notesSchema, notesMirror)
	b.polling()
	b.exec(`INSERT INTO notes (title, price) SELECT 't' || g, g FROM generate_series(1, 6) g`)
	b.drain()
	b.poll() // the change poll accounts for the tab syncd created
	b.step("the first update after the tab was created", `UPDATE notes SET price = 10 WHERE id = 2`, 1)
	b.step("an update", `UPDATE notes SET price = 11 WHERE id = 3`, 0)
	b.step("a delete", `DELETE FROM notes WHERE id = 1`, 0)
	b.step("an update below the deleted row", `UPDATE notes SET price = 12 WHERE id = 6`, 0)
	b.step("an insert", `INSERT INTO notes (title, price) VALUES ('new', 7)`, 0)
	b.step("an update of another row", `UPDATE notes SET price = 9 WHERE id = 5`, 0)
	b.step("an update of the row syncd appended two batches ago", `UPDATE notes SET price = 13 WHERE title = 'new'`, 1)
	b.step("an update after that read", `UPDATE notes SET price = 14 WHERE id = 4`, 0)

	// A person's edit: the version moved, the batch reads.
	b.typeInto(fmt.Sprintf("Notes!D%d", b.rowOfKey2("Notes", "t5")), "typed", false)
	b.exec(`UPDATE notes SET price = 15 WHERE id = 2`)
	if got := b.drainReads(); got == 0 {
		t.Fatal("a batch after a person's edit made no read")
	}
	if !b.poll() {
		t.Fatal("no sheet pass after a person's edit")
	}
	b.assertMirrored("notes")

	// A person's sort moves every row: read, and the write lands on the
	// row that holds the key now.
	b.step("an update that writes the cache again", `UPDATE notes SET price = 16 WHERE id = 3`, 1)
	tab := b.person().tab("Notes")
	b.person().must(&sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{
		Range:     &sheetsapi.GridRange{SheetId: tab.SheetID, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
		SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: 4, SortOrder: "DESCENDING", ForceSendFields: []string{"DimensionIndex"}}},
	}})
	b.exec(`UPDATE notes SET price = 17 WHERE id = 4`)
	if got := b.drainReads(); got == 0 {
		t.Fatal("a batch after a person's sort made no read")
	}
	b.assertMirrored("notes")
}

// TestAppendedRowsBelowAPersonsCellAreRead: a cell a person typed below
// the table, in a column syncd does not read (a tab that takes nothing
// back: no pass removes it), pushes syncd's appended rows down ("after the
// last row with data"); the key cache cannot know where they landed, so
// the batch that writes one reads, and writes it where it is.
func TestAppendedRowsBelowAPersonsCellAreRead(t *testing.T) {
	b := setup(t, notesSchema, "  - name: notes\n    table: public.notes\n    sheet: Notes\n")
	b.polling()
	b.exec(`INSERT INTO notes (title, price) SELECT 't' || g, g FROM generate_series(1, 3) g`)
	b.drain()
	b.poll()
	b.typeInto("Notes!F12", "a person's note", false)
	b.poll() // accounts for the version: nothing of this tab takes edits back
	// The person's note is no row of the table: check each table row's
	// price in the tab instead of the whole tab.
	step := func(what, sql string, wantReads int64) {
		t.Helper()
		b.exec(sql)
		if got := b.drainReads(); got != wantReads {
			t.Fatalf("%s: the batch made %d Sheets reads, want %d", what, got, wantReads)
		}
		b.pricesShown()
	}
	step("an update after the person's note", `UPDATE notes SET price = 10 WHERE id = 2`, 1)
	step("an insert", `INSERT INTO notes (title, price) VALUES ('new', 7)`, 0)
	if r := b.rowOfKey2("Notes", "new"); r != 13 {
		t.Fatalf("the appended row is row %d, want 13 (below the person's note)", r)
	}
	step("an update of the appended row", `UPDATE notes SET price = 13 WHERE title = 'new'`, 1)
	step("an update of another row", `UPDATE notes SET price = 14 WHERE id = 1`, 0)
}

// pricesShown checks that every notes row shows its title and price in
// exactly one tab row, and no tab row shows a title the table lacks.
func (b *bundle) pricesShown() {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT title, price::float8 FROM notes`)
	if err != nil {
		b.t.Fatal(err)
	}
	want := map[string]float64{}
	for rows.Next() {
		var title string
		var price float64
		if err := rows.Scan(&title, &price); err != nil {
			b.t.Fatal(err)
		}
		want[title] = price
	}
	if rows.Err() != nil {
		b.t.Fatal(rows.Err())
	}
	seen := map[string]int{}
	for i, row := range b.tab("Notes") {
		if i == 0 || len(row) < 2 || row[1].String == "" {
			continue
		}
		title := row[1].String
		seen[title]++
		p, ok := want[title]
		if !ok || len(row) < 5 || row[4].Number != p {
			b.t.Fatalf("tab row %d shows %v, want the price of %q: %v", i+1, row, title, p)
		}
	}
	for title := range want {
		if seen[title] != 1 {
			b.t.Fatalf("%q shows in %d tab rows, want 1", title, seen[title])
		}
	}
}

// TestKeyCacheNeverMisplacesARow: random application writes, people's
// sorts and edits and change polls; after every batch the tab equals the
// table, whether the batch read its keys or the key cache answered (and
// it answered at least once).
func TestKeyCacheNeverMisplacesARow(t *testing.T) {
	seed := uint64(envInt(t, "SYNCD_SEED", 0))
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed %d (SYNCD_SEED reproduces)", seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1))
	b := setup(t, notesSchema, notesMirror)
	b.polling()
	b.exec(`INSERT INTO notes (title, price) SELECT 't' || g, g FROM generate_series(1, 8) g`)
	b.drain()
	b.poll()
	tab := b.person().tab("Notes")
	skipped, batches := 0, 0
	for i := 0; i < 60; i++ {
		var sql string
		switch r := rng.IntN(100); {
		case r < 40:
			sql = fmt.Sprintf(`UPDATE notes SET price = %d WHERE id = %d`, rng.IntN(1000), b.anyNote(rng))
		case r < 55:
			sql = fmt.Sprintf(`INSERT INTO notes (title, price) VALUES ('n%d', %d)`, i, rng.IntN(1000))
		case r < 65:
			sql = fmt.Sprintf(`DELETE FROM notes WHERE id = %d AND (SELECT count(*) FROM notes) > 3`, b.anyNote(rng))
		case r < 75:
			order := []string{"ASCENDING", "DESCENDING"}[rng.IntN(2)]
			t.Logf("step %d: sort", i)
			b.person().must(&sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{
				Range:     &sheetsapi.GridRange{SheetId: tab.SheetID, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
				SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: int64(rng.IntN(5)), SortOrder: order, ForceSendFields: []string{"DimensionIndex"}}},
			}})
			continue
		case r < 80:
			t.Logf("step %d: a person inserts a blank row", i)
			at := 1 + rng.IntN(len(b.tab("Notes"))-1)
			b.person().must(insertDim(tab.SheetID, "ROWS", at, at+1))
			b.poll()
			b.assertMirrored("notes")
			continue
		case r < 88:
			rows := b.tab("Notes")
			t.Logf("step %d: type and poll", i)
			b.typeInto(fmt.Sprintf("Notes!D%d", 2+rng.IntN(len(rows)-1)), fmt.Sprintf("typed %d", i), false)
			b.poll()
			b.assertMirrored("notes")
			continue
		default:
			t.Logf("step %d: poll (pass %v)", i, b.poll())
			continue
		}
		t.Logf("step %d: %s", i, sql)
		b.exec(sql)
		if b.drainReads() == 0 {
			t.Logf("step %d: no read", i)
			skipped++
		}
		batches++
		b.assertMirrored("notes")
	}
	t.Logf("%d batches, %d without a read", batches, skipped)
	// Whatever the steps left: once a batch has read and written (every
	// row: appended ones, not placed yet, make it read), the next one is
	// answered by the key cache.
	b.poll()
	b.exec(`UPDATE notes SET price = 1`)
	b.drain()
	b.step("a batch after a quiet one", fmt.Sprintf(`UPDATE notes SET price = 2 WHERE id = %d`, b.anyNote(rng)), 0)
}

// anyNote is the id of a notes row rng picks.
func (b *bundle) anyNote(rng *rand.Rand) int {
	b.t.Helper()
	rows, err := b.pool.Query(b.ctx, `SELECT id FROM notes ORDER BY id`)
	if err != nil {
		b.t.Fatal(err)
	}
	defer rows.Close()
	var ids []int
	for rows.Next() {
		var id int
		if err := rows.Scan(&id); err != nil {
			b.t.Fatal(err)
		}
		ids = append(ids, id)
	}
	return ids[rng.IntN(len(ids))]
}
