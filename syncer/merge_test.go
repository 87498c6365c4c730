package syncer

import (
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/store"
)

// TestMergeEveryOutcome walks the three-way merge of one cell through every
// outcome, for reconcile and for the change stream, with the real codec on
// an integer column: base 1 is what syncd last wrote.
func TestMergeEveryOutcome(t *testing.T) {
	col := syncd.Column{Name: "qty", Type: "integer", Kind: syncd.KindInt}
	one, two := syncd.Text("1"), syncd.Text("2")
	n := func(f float64) syncd.Cell { return syncd.NumberCell(f) }
	type want struct {
		result mergeResult
		reason string
		noBase bool
		value  syncd.Value
	}
	cases := []struct {
		name string
		by   mergePass
		in   mergeInput
		want want
	}{
		// Reconcile.
		{"neither changed", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: n(1), db: one},
			want{result: mergeSame}},
		{"sheet already shows the new database value", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: n(2), db: two},
			want{result: mergeSame}},
		{"only the database changed", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: n(1), db: two},
			want{result: mergeWrite}},
		{"only the sheet changed", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: n(2), db: one},
			want{result: mergeImport, value: two}},
		{"only the sheet changed: cleared", byReconcile, mergeInput{editable: true, base: one, known: true, db: one},
			want{result: mergeImport, value: syncd.Null}},
		{"only the sheet changed: bad value", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: syncd.StringCell("two"), db: one},
			want{result: mergeConflict, reason: store.ReasonBadValue}},
		{"both changed", byReconcile, mergeInput{editable: true, base: one, known: true, sheet: n(3), db: two},
			want{result: mergeConflict, reason: store.ReasonBothChanged}},
		{"no base recorded", byReconcile, mergeInput{editable: true, sheet: n(3), db: two},
			want{result: mergeConflict, reason: store.ReasonBothChanged, noBase: true}},
		{"no base recorded, sheet agrees", byReconcile, mergeInput{editable: true, sheet: n(2), db: two},
			want{result: mergeSame}},
		{"not editable, typed over", byReconcile, mergeInput{sheet: n(3), db: two},
			want{result: mergeConflict, reason: store.ReasonNotEditable}},
		{"not editable, cleared", byReconcile, mergeInput{db: two},
			want{result: mergeWrite}},
		{"not editable, unchanged", byReconcile, mergeInput{sheet: n(2), db: two},
			want{result: mergeSame}},
		// The change stream.
		{"stream: unimported edit is skipped", byStream, mergeInput{editable: true, base: one, known: true, sheet: n(3), db: one},
			want{result: mergeUnimported}},
		{"stream: unimported bad value is skipped too", byStream, mergeInput{editable: true, base: one, known: true, sheet: syncd.StringCell("x"), db: one},
			want{result: mergeUnimported}},
		{"stream: neither changed", byStream, mergeInput{editable: true, base: one, known: true, sheet: n(1), db: one},
			want{result: mergeSame}},
		{"stream: only the database changed", byStream, mergeInput{editable: true, base: one, known: true, sheet: n(1), db: two},
			want{result: mergeWrite}},
		{"stream: both changed", byStream, mergeInput{editable: true, base: one, known: true, sheet: n(3), db: two},
			want{result: mergeConflict, reason: store.ReasonBothChanged}},
		{"stream: both changed to the same value", byStream, mergeInput{editable: true, base: one, known: true, sheet: n(2), db: two},
			want{result: mergeWrite}},
		{"stream: empty cell is no edit", byStream, mergeInput{editable: true, base: one, known: true, db: two},
			want{result: mergeWrite}},
		{"stream: no base recorded", byStream, mergeInput{editable: true, sheet: n(3), db: two},
			want{result: mergeConflict, reason: store.ReasonBothChanged}},
		{"stream: not editable", byStream, mergeInput{sheet: n(3), db: two},
			want{result: mergeWrite}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := merge(col, tc.in, sheets.Codec{}, time.UTC, tc.by)
			got := want{result: out.result, reason: out.reason, noBase: out.noBase, value: out.value}
			if got != tc.want {
				t.Fatalf("merge = %+v, want %+v", got, tc.want)
			}
			if wantCell, _ := (sheets.Codec{}).Encode(col, tc.in.db, time.UTC); out.want != wantCell {
				t.Fatalf("want cell %+v, want the database value %+v", out.want, wantCell)
			}
			if (out.reason == store.ReasonBadValue) != (out.err != nil) {
				t.Fatalf("err %v with reason %q: only bad_value carries the codec's error", out.err, out.reason)
			}
		})
	}
}

// TestMergeDecidesByTheTypesEquality: a cell showing the database value in
// another form (a long numeric typed as a number, a formula's value in a
// text column) is the same value, not an edit.
func TestMergeDecidesByTheTypesEquality(t *testing.T) {
	num := syncd.Column{Name: "amount", Type: "numeric", Kind: syncd.KindNumeric, Scale: -1}
	txt := syncd.Column{Name: "note", Type: "text", Kind: syncd.KindText}
	long := syncd.Text("12345678901234567000") // a double's 17 digits, as Postgres holds it
	cases := []struct {
		name  string
		col   syncd.Column
		sheet syncd.Cell
		db    syncd.Value
		want  mergeResult
	}{
		{"long numeric typed as a number", num, syncd.NumberCell(12345678901234567890), long, mergeSame},
		{"numeric by value, not by text", num, syncd.StringCell("1.50"), syncd.Text("1.5"), mergeSame},
		{"numeric differs", num, syncd.NumberCell(12345678901234567890), syncd.Text("12345678901234567001"), mergeImport},
		{"a formula's number in a text column", txt, syncd.NumberCell(4), syncd.Text("4"), mergeSame},
		{"text is exact", txt, syncd.StringCell("4 "), syncd.Text("4"), mergeImport},
	}
	for _, tc := range cases {
		out := merge(tc.col, mergeInput{editable: true, base: tc.db, known: true, sheet: tc.sheet, db: tc.db}, sheets.Codec{}, time.UTC, byReconcile)
		if out.result != tc.want {
			t.Errorf("%s: merge = %v, want %v", tc.name, out.result, tc.want)
		}
	}
}
