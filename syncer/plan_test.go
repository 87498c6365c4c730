package syncer

import (
	"fmt"
	"reflect"
	"strconv"
	"testing"
	"time"
)

// textCodec is the smallest codec that round-trips: every value is a string
// cell. The real codec is tested in package sheets.
type textCodec struct{}

func (textCodec) Encode(_ Column, v Value, _ *time.Location) (Cell, bool) {
	if !v.Valid {
		return Cell{}, false
	}
	return StringCell(v.Text), false
}

func (textCodec) Decode(_ Column, c Cell, _ *time.Location) (Value, error) {
	switch c.Type {
	case CellEmpty:
		return Null, nil
	case CellString:
		return Text(c.String), nil
	case CellNumber:
		return Text(strconv.FormatFloat(c.Number, 'f', -1, 64)), nil
	}
	return Null, fmt.Errorf("not text")
}

func (textCodec) Format(Column) NumberFormat { return NumberFormat{} }

var testMirror = Mirror{Name: "m", Sheet: "M", Table: "public.t",
	Columns: []Column{{Name: "id", Kind: KindInt}, {Name: "v", Kind: KindText}}, Key: []int{0}}

func keyCol(keys ...string) [][][]Cell {
	col := make([][]Cell, len(keys))
	for i, k := range keys {
		if k != "" {
			col[i] = []Cell{StringCell(k)}
		}
	}
	return [][][]Cell{col}
}

func row(key, v string) dbRow { return dbRow{Key: key, Values: []Value{Text(key), Text(v)}} }

func TestIndexKeysFindsRowsDuplicatesAndBlanks(t *testing.T) {
	tk := testMirror.indexKeys(keyCol("1", "2", "", "1", "3"), textCodec{}, time.UTC)
	want := map[string][]int{"1": {1, 4}, "2": {2}, "3": {5}}
	if !reflect.DeepEqual(tk.rows, want) || !reflect.DeepEqual(tk.unkeyed, []int{3}) || tk.last != 5 {
		t.Fatalf("indexKeys = %+v", tk)
	}
}

func TestPlanChangesOrdersWritesDeletesAppends(t *testing.T) {
	tk := testMirror.indexKeys(keyCol("1", "2", "3", "2", "5"), textCodec{}, time.UTC)
	rows := []dbRow{row("2", "b"), row("3", "c"), {Key: "5"}, row("9", "new"), {Key: "7"}}
	ops, st := testMirror.planChanges(42, tk, rows, textCodec{}, time.UTC, nil)
	want := []Op{
		WriteRows{SheetID: 42, Row: 2, Rows: [][]Cell{{StringCell("2"), StringCell("b")}, {StringCell("3"), StringCell("c")}}},
		DeleteRows{SheetID: 42, Start: 4, End: 6}, // key 5 (row 5) and the duplicate of 2 (row 4), merged
		AppendRows{SheetID: 42, Rows: [][]Cell{{StringCell("9"), StringCell("new")}}, Formats: []NumberFormat{{}, {}}, FromRow: 4}, // 5 rows, 2 deleted
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
	want := []Op{DeleteRows{1, 9, 11}, DeleteRows{1, 3, 5}, DeleteRows{1, 1, 2}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("deleteOps = %v, want %v", got, want)
	}
}

func TestNewSheetIDAvoidsTakenIDs(t *testing.T) {
	first := newSheetID(SpreadsheetInfo{}, "shifts")
	again := newSheetID(SpreadsheetInfo{Tabs: []TabInfo{{SheetID: first}}}, "shifts")
	if first <= 0 || again == first || again <= 0 {
		t.Fatalf("ids %d then %d", first, again)
	}
	if newSheetID(SpreadsheetInfo{}, "shifts") != first {
		t.Fatal("sheet id not stable for a name")
	}
}
