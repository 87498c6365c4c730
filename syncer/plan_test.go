package syncer

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// textCodec is the smallest codec that round-trips: every value is a string
// cell. The real codec is tested in package sheets.
type textCodec struct{}

func (textCodec) Encode(_ syncd.Column, v syncd.Value, _ *time.Location) (syncd.Cell, bool) {
	if !v.Valid {
		return syncd.Cell{}, false
	}
	return syncd.StringCell(v.Text), false
}

func (textCodec) Decode(_ syncd.Column, c syncd.Cell, _ *time.Location) (syncd.Value, error) {
	switch c.Type {
	case syncd.CellEmpty:
		return syncd.Null, nil
	case syncd.CellString:
		return syncd.Text(c.String), nil
	case syncd.CellNumber:
		return syncd.Text(strconv.FormatFloat(c.Number, 'f', -1, 64)), nil
	}
	return syncd.Null, fmt.Errorf("not text")
}

func (textCodec) Format(syncd.Column) syncd.NumberFormat { return syncd.NumberFormat{} }

var testMirror = &mirror{&syncd.Mirror{Name: "m", Sheet: "M", Table: "public.t",
	Columns: []syncd.Column{{Name: "id", Kind: syncd.KindInt}, {Name: "v", Kind: syncd.KindText}}, Key: []int{0}}}

func keyCol(keys ...string) [][][]syncd.Cell {
	col := make([][]syncd.Cell, len(keys))
	for i, k := range keys {
		if k != "" {
			col[i] = []syncd.Cell{syncd.StringCell(k)}
		}
	}
	return [][][]syncd.Cell{col}
}

// k is the key of a one-column text key.
func k(s string) string { return encodeKey([]syncd.Value{syncd.Text(s)}) }

func row(key, v string) dbRow {
	return dbRow{Key: k(key), Values: []syncd.Value{syncd.Text(key), syncd.Text(v)}}
}

func TestIndexKeysFindsRowsDuplicatesAndBlanks(t *testing.T) {
	tk := testMirror.indexKeys(keyCol("1", "2", "", "1", "3"), textCodec{}, time.UTC)
	want := map[string][]int{k("1"): {1, 4}, k("2"): {2}, k("3"): {5}}
	if !reflect.DeepEqual(tk.rows, want) || !reflect.DeepEqual(tk.unkeyed, []int{3}) || tk.last != 5 {
		t.Fatalf("indexKeys = %+v", tk)
	}
}

func TestPlanChangesOrdersWritesDeletesAppends(t *testing.T) {
	tk := testMirror.indexKeys(keyCol("1", "2", "3", "2", "5"), textCodec{}, time.UTC)
	rows := []dbRow{row("2", "b"), row("3", "c"), {Key: k("5")}, row("9", "new"), {Key: k("7")}}
	ops, st := testMirror.planChanges(42, tk, rows, textCodec{}, time.UTC, nil)
	want := []syncd.Op{
		syncd.WriteRows{SheetID: 42, Row: 2, Rows: [][]syncd.Cell{{syncd.StringCell("2"), syncd.StringCell("b")}, {syncd.StringCell("3"), syncd.StringCell("c")}}},
		syncd.DeleteRows{SheetID: 42, Start: 4, End: 6}, // key 5 (row 5) and the duplicate of 2 (row 4), merged
		syncd.AppendRows{SheetID: 42, Rows: [][]syncd.Cell{{syncd.StringCell("9"), syncd.StringCell("new")}}, Formats: []syncd.NumberFormat{{}, {}}, FromRow: 4}, // 5 rows, 2 deleted
	}
	if !reflect.DeepEqual(ops, want) {
		t.Fatalf("ops:\n got %#v\nwant %#v", ops, want)
	}
	if st != (planStats{Written: 2, Appended: 1, Deleted: 2}) {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDeleteOpsGoBottomUpAndMergeRuns(t *testing.T) {
	got := deleteOps(1, []int{3, 10, 4, 9, 4, 1})
	want := []syncd.Op{syncd.DeleteRows{SheetID: 1, Start: 9, End: 11}, syncd.DeleteRows{SheetID: 1, Start: 3, End: 5}, syncd.DeleteRows{SheetID: 1, Start: 1, End: 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deleteOps = %v, want %v", got, want)
	}
}

func TestNewSheetIDAvoidsTakenIDs(t *testing.T) {
	first := newSheetID(syncd.SpreadsheetInfo{}, "shifts")
	again := newSheetID(syncd.SpreadsheetInfo{Tabs: []syncd.TabInfo{{SheetID: first}}}, "shifts")
	if first <= 0 || again == first || again <= 0 {
		t.Fatalf("ids %d then %d", first, again)
	}
	if newSheetID(syncd.SpreadsheetInfo{}, "shifts") != first {
		t.Fatal("sheet id not stable for a name")
	}
}
