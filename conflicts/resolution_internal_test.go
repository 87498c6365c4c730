package conflicts

import (
	"math"
	"testing"

	"github.com/syncd/syncd"
)

// TestParseResolutionReadsWhatPeopleType: the spellings people type, in
// any case and spacing, and nothing else.
func TestParseResolutionReadsWhatPeopleType(t *testing.T) {
	for text, want := range map[string]Resolution{"use sheet": UseSheet, "  Use   SHEET ": UseSheet, "sheet": UseSheet,
		"keep database": KeepDatabase, "DB": KeepDatabase, "use database": KeepDatabase} {
		if got, ok := ParseResolution(text); !ok || got != want {
			t.Errorf("ParseResolution(%q) = %v, %v; want %v", text, got, ok, want)
		}
	}
	for _, text := range []string{"", "yes", "use sheets", "keep"} {
		if got, ok := ParseResolution(text); ok {
			t.Errorf("ParseResolution(%q) = %v; want no resolution", text, got)
		}
	}
}

// TestConflictCellTextReadsBackAsTheCell: a conflict keeps a sheet value
// as Cell.Text; cellFromText gives the codec the cell it came from.
func TestConflictCellTextReadsBackAsTheCell(t *testing.T) {
	cases := []struct {
		kind syncd.ColumnKind
		cell syncd.Cell
	}{
		{syncd.KindDate, syncd.NumberCell(46024)},
		{syncd.KindNumeric, syncd.NumberCell(1.25)},
		{syncd.KindInt, syncd.NumberCell(math.MaxInt32)},
		{syncd.KindBool, syncd.BoolCell(true)},
		{syncd.KindBool, syncd.BoolCell(false)},
		{syncd.KindText, syncd.StringCell("42")},
		{syncd.KindDate, syncd.StringCell("next week")},
		{syncd.KindText, syncd.Cell{}},
	}
	for _, c := range cases {
		text := c.cell.Text()
		if got := cellFromText(syncd.Column{Kind: c.kind}, &text); got != c.cell {
			t.Errorf("%v cell %+v as text %q reads back as %+v", c.kind, c.cell, text, got)
		}
	}
}

// TestWriteFittedGrowsOnlyMissingColumns: the tab's rewrite adds the
// columns Google would refuse to write past, and no rows.
func TestWriteFittedGrowsOnlyMissingColumns(t *testing.T) {
	rows := [][]syncd.Cell{make([]syncd.Cell, 9), make([]syncd.Cell, 9), make([]syncd.Cell, 9)}
	ops, after := writeFitted(syncd.TabInfo{SheetID: 7, RowCount: 2, ColCount: 5}, rows)
	if len(ops) != 2 || ops[0] != (syncd.GrowGrid{SheetID: 7, Cols: 4}) || after.RowCount != 3 || after.ColCount != 9 {
		t.Fatalf("ops %v, tab after %+v; want GrowGrid of 4 columns then the write, a 3×9 grid", ops, after)
	}
	ops, after = writeFitted(syncd.TabInfo{SheetID: 7, RowCount: 10, ColCount: 9}, rows)
	if len(ops) != 1 || after.RowCount != 10 || after.ColCount != 9 {
		t.Fatalf("ops %v, tab after %+v; want the write alone on a 10×9 grid", ops, after)
	}
}
