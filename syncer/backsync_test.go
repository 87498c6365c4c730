package syncer_test

import (
	"fmt"
	"testing"

	"github.com/syncd/syncd"
)

// The way back (issue 14): edits typed into editable cells reach the right
// row, once, and a settled sheet costs nothing.

const ledgerSchema = `
CREATE TABLE ledger (
	id     text PRIMARY KEY,
	amount numeric,
	note   text,
	memo   text
);`

const ledgerMirror = `  - name: ledger
    table: public.ledger
    sheet: Ledger
    editable: [amount, note, memo]
`

// typeInto types v into the cell at a1 as a person would: RAW keeps text as
// text, USER_ENTERED parses numbers and formulas.
func (b *bundle) typeInto(a1 string, v any, userEntered bool) {
	b.t.Helper()
	opt := "RAW"
	if userEntered {
		opt = "USER_ENTERED"
	}
	if _, err := b.rawService().Spreadsheets.Values.Update(b.id, a1, valueRange([][]any{{v}})).ValueInputOption(opt).Do(); err != nil {
		b.t.Fatalf("type %v into %s: %v", v, a1, err)
	}
}

// rowOfKey returns the 1-based tab row whose first cell is the text key.
func (b *bundle) rowOfKey(title, key string) int {
	b.t.Helper()
	for r, row := range b.tab(title) {
		if r > 0 && len(row) > 0 && cellKeyText(row[0]) == key {
			return r + 1
		}
	}
	b.t.Fatalf("key %q not in tab %q", key, title)
	return 0
}

// cellKeyText is what a text key cell shows: an empty cell is the empty
// string, an error cell its text.
func cellKeyText(c syncd.Cell) string { return c.String }

// queryText returns one text value (NULL as "<null>").
func (b *bundle) queryText(sql string, args ...any) string {
	b.t.Helper()
	var s *string
	if err := b.pool.QueryRow(b.ctx, sql, args...).Scan(&s); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
	if s == nil {
		return "<null>"
	}
	return *s
}

// settled checks that a further pass finds and writes nothing, and records
// no new conflict.
func (b *bundle) settled() {
	b.t.Helper()
	conflicts := len(b.conflicts())
	before := b.emu.Stats()[b.id]
	rep, _ := b.reconcileOnce()
	after := b.emu.Stats()[b.id]
	for _, m := range rep.Mirrors {
		if m.Drift() != 0 || len(m.Conflicts) != 0 {
			b.t.Fatalf("a further pass of %s found drift %d, %d conflict(s): %v", m.Mirror, m.Drift(), len(m.Conflicts), m.Lines)
		}
	}
	if w := after.Writes - before.Writes; w != 0 {
		b.t.Fatalf("a further pass made %d write call(s), want 0", w)
	}
	if n := len(b.conflicts()); n != conflicts {
		b.t.Fatalf("a further pass recorded %d new conflict(s)", n-conflicts)
	}
}

// TestTwoEditsInOneRow: an accountant changes note and memo (and amount) of
// the same row. Every reconcile failed with "ON CONFLICT DO UPDATE command
// cannot affect row a second time"; now all edits of the row are imported
// in one pass.
func TestTwoEditsInOneRow(t *testing.T) {
	b := setup(t, ledgerSchema, ledgerMirror)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm'), ('b', 2, 'n', 'm')`)
	b.reconcileOnce()
	r := b.rowOfKey("Ledger", "a")
	b.typeInto(fmt.Sprintf("Ledger!C%d", r), "new note", false)
	b.typeInto(fmt.Sprintf("Ledger!D%d", r), "new memo", false)
	b.typeInto(fmt.Sprintf("Ledger!B%d", r), 7.5, true)
	rep, _ := b.reconcileOnce()
	if got := rep.Mirrors[0].EditsImported; got != 3 {
		t.Fatalf("imported %d edits, want 3: %v", got, rep.Mirrors[0].Lines)
	}
	if got := b.queryText(`SELECT concat_ws('|', amount, note, memo) FROM ledger WHERE id = 'a'`); got != "7.5|new note|new memo" {
		t.Fatalf("row a = %q", got)
	}
	b.assertMirrored("ledger")
	b.settled()
}

// TestKeysAreExact: keys that differ only after U+001F, the empty string,
// and text that looks like an error or a formula are all keys of their own.
// A note typed on row "x<US>y" was written to row "x"; ” and '#N/A' were
// read back as "no valid key" and removed and re-appended on every pass.
func TestKeysAreExact(t *testing.T) {
	b := setup(t, ledgerSchema, ledgerMirror)
	keys := []string{"x", "x\x1fy", "", "#N/A", "=x", "'x", " x"}
	for _, k := range keys {
		b.exec(`INSERT INTO ledger VALUES ($1, 1, 'n', 'm')`, k)
	}
	b.reconcileOnce()
	b.assertMirrored("ledger")
	b.settled()
	for i, k := range keys {
		b.typeInto(fmt.Sprintf("Ledger!C%d", b.rowOfKey("Ledger", k)), fmt.Sprintf("note %d", i), false)
	}
	rep, _ := b.reconcileOnce()
	if got := rep.Mirrors[0].EditsImported; got != len(keys) {
		t.Fatalf("imported %d edits, want %d: %v", got, len(keys), rep.Mirrors[0].Lines)
	}
	for i, k := range keys {
		if got, want := b.queryText(`SELECT note FROM ledger WHERE id = $1`, k), fmt.Sprintf("note %d", i); got != want {
			t.Errorf("note of key %q = %q, want %q", k, got, want)
		}
	}
	if c := b.conflicts(); len(c) != 0 {
		t.Errorf("conflicts: %v", c)
	}
	b.assertMirrored("ledger")
	b.settled()
}

// TestCompositeKeyWithUnitSeparator: a composite key whose text holds
// U+001F used to split into the wrong columns (a misleading bad_value:
// invalid input syntax for type date).
func TestCompositeKeyWithUnitSeparator(t *testing.T) {
	b := setup(t, `CREATE TABLE pairs (a text, d date, note text, PRIMARY KEY (a, d));`, `  - name: pairs
    table: public.pairs
    sheet: Pairs
    editable: [note]
`)
	b.exec(`INSERT INTO pairs VALUES ('p' || chr(31) || 'q', '2024-01-02', 'n'), ('p', '2024-01-02', 'n')`)
	b.reconcileOnce()
	b.typeInto(fmt.Sprintf("Pairs!C%d", b.rowOfKey("Pairs", "p\x1fq")), "typed", false)
	rep, _ := b.reconcileOnce()
	if got := rep.Mirrors[0].EditsImported; got != 1 || len(b.conflicts()) != 0 {
		t.Fatalf("imported %d edits (want 1), conflicts %v", got, b.conflicts())
	}
	if got := b.queryText(`SELECT string_agg(note, ',' ORDER BY a) FROM pairs`); got != "n,typed" {
		t.Fatalf("notes = %q, want n,typed", got)
	}
	b.settled()
}

// TestSettledSheetIsNotImportedAgain: a numeric with more than 15
// significant digits typed as a number, and formulas typed into editable
// cells, were "imported" on every pass (drift 2 for ever). They are
// imported once; after that the tab is settled.
func TestSettledSheetIsNotImportedAgain(t *testing.T) {
	b := setup(t, ledgerSchema+`CREATE TABLE money (id int PRIMARY KEY, amount numeric(30,4), note text);`,
		ledgerMirror+`  - name: money
    table: public.money
    sheet: Money
    editable: [amount, note]
`)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm'), ('b', 2, 'n', 'm')`)
	b.exec(`INSERT INTO money VALUES (1, 1, 'n'), (2, 2, 'n')`)
	b.reconcileOnce()
	ra, rb := b.rowOfKey("Ledger", "a"), b.rowOfKey("Ledger", "b")
	b.typeInto(fmt.Sprintf("Ledger!B%d", ra), "12345678901234567890.5", true) // a number, as a person types it
	b.typeInto(fmt.Sprintf("Ledger!C%d", ra), "=2+2", true)
	b.typeInto(fmt.Sprintf("Ledger!B%d", rb), "=1/3", true)
	b.typeInto(fmt.Sprintf("Ledger!D%d", rb), "=\"me\"&\"mo\"", true)
	b.typeInto("Money!B2", "1234567890123456.78", true)
	b.typeInto("Money!C2", "=A2*10", true)
	rep, _ := b.reconcileOnce()
	imported := 0
	for _, m := range rep.Mirrors {
		imported += m.EditsImported
	}
	if imported != 6 || len(b.conflicts()) != 0 {
		t.Fatalf("imported %d edits (want 6), conflicts %v: %v %v", imported, b.conflicts(), rep.Mirrors[0].Lines, rep.Mirrors[1].Lines)
	}
	t.Logf("ledger a: %s; b: %s; money 1: %s", b.queryText(`SELECT concat_ws('|', amount, note) FROM ledger WHERE id = 'a'`),
		b.queryText(`SELECT concat_ws('|', amount, memo) FROM ledger WHERE id = 'b'`),
		b.queryText(`SELECT concat_ws('|', amount, note) FROM money WHERE id = 1`))
	if got := b.queryText(`SELECT note FROM ledger WHERE id = 'a'`); got != "4" {
		t.Errorf("note of a = %q, want the formula's value 4", got)
	}
	b.settled()
	b.settled()
}
