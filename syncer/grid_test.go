package syncer

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/syncd/syncd"
)

func strRow(vals ...string) []syncd.Cell {
	out := make([]syncd.Cell, len(vals))
	for i, v := range vals {
		if v != "" {
			out[i] = syncd.StringCell(v)
		}
	}
	return out
}

func TestFitGrid(t *testing.T) {
	tab := syncd.TabInfo{SheetID: 9, RowCount: 4, ColCount: 3, FrozenRows: 1}
	cases := []struct {
		name       string
		tab        syncd.TabInfo
		ops        []syncd.Op
		grow       syncd.Op
		rows, cols int
	}{
		{"fits", tab, []syncd.Op{syncd.WriteRows{SheetID: 9, Row: 1, Rows: [][]syncd.Cell{strRow("a", "b", "c")}}}, nil, 4, 3},
		{"emptying keeps the header and one row", tab,
			[]syncd.Op{syncd.DeleteRows{SheetID: 9, Start: 1, End: 4}}, syncd.GrowGrid{SheetID: 9, Rows: 1}, 2, 3},
		{"two deletes that empty it", tab,
			[]syncd.Op{syncd.DeleteRows{SheetID: 9, Start: 3, End: 4}, syncd.DeleteRows{SheetID: 9, Start: 1, End: 3}}, syncd.GrowGrid{SheetID: 9, Rows: 1}, 2, 3},
		{"a blank row is left anyway", tab, []syncd.Op{syncd.DeleteRows{SheetID: 9, Start: 1, End: 3}}, nil, 2, 3},
		{"rows read beyond a stale count exist", syncd.TabInfo{SheetID: 9, RowCount: 2, ColCount: 3, FrozenRows: 1},
			[]syncd.Op{syncd.DeleteRows{SheetID: 9, Start: 1, End: 6}}, syncd.GrowGrid{SheetID: 9, Rows: 1}, 2, 3},
		{"three frozen rows", syncd.TabInfo{SheetID: 9, RowCount: 5, ColCount: 3, FrozenRows: 3},
			[]syncd.Op{syncd.DeleteRows{SheetID: 9, Start: 1, End: 5}}, syncd.GrowGrid{SheetID: 9, Rows: 3}, 4, 3},
		{"narrowed by a person", syncd.TabInfo{SheetID: 9, RowCount: 1000, ColCount: 2, FrozenRows: 1},
			[]syncd.Op{syncd.FormatColumns{SheetID: 9, Header: []string{"a", "b", "c", "d"}},
				syncd.AppendRows{SheetID: 9, Rows: [][]syncd.Cell{strRow("1", "2", "3", "4")}, FromRow: 1}},
			syncd.GrowGrid{SheetID: 9, Cols: 2}, 1000, 4},
		{"inserted columns count", syncd.TabInfo{SheetID: 9, RowCount: 10, ColCount: 2, FrozenRows: 1},
			[]syncd.Op{syncd.InsertColumns{SheetID: 9, At: 1, Count: 1}, syncd.WriteRows{SheetID: 9, Row: 1, Rows: [][]syncd.Cell{strRow("1", "2", "3", "4")}}},
			syncd.GrowGrid{SheetID: 9, Cols: 1}, 10, 4},
		{"appends past the grid", tab,
			[]syncd.Op{syncd.AppendRows{SheetID: 9, Rows: [][]syncd.Cell{strRow("1"), strRow("2"), strRow("3"), strRow("4")}, FromRow: 3}}, nil, 7, 3},
	}
	for _, c := range cases {
		grow, after := fitGrid(c.tab, c.ops)
		if !reflect.DeepEqual(grow, c.grow) {
			t.Errorf("%s: grow = %#v, want %#v", c.name, grow, c.grow)
		}
		if after.RowCount != c.rows || after.ColCount != c.cols {
			t.Errorf("%s: after = %d×%d, want %d×%d", c.name, after.RowCount, after.ColCount, c.rows, c.cols)
		}
	}
}

func TestPlanColumns(t *testing.T) {
	want := []string{"id", "name", "price", "qty"}
	cases := []struct {
		name    string
		head    []syncd.Cell
		inserts []int
		err     string
	}{
		{"intact", strRow("id", "name", "price", "qty", "notes"), nil, ""},
		{"C onwards deleted", strRow("id", "name"), nil, ""},
		{"header cleared", nil, nil, ""},
		{"part cleared", strRow("id", "", "price"), nil, ""},
		{"C deleted", strRow("id", "name", "qty", "notes"), []int{2}, ""},
		{"B and C deleted", strRow("id", "qty"), []int{1, 2}, ""},
		{"A deleted", strRow("name", "price", "qty"), []int{0}, ""},
		{"a person's column among them", strRow("id", "notes", "name", "price", "qty"), nil, `column B is "notes"`},
		{"moved", strRow("id", "price", "name", "qty"), nil, `column C is "name"`},
		{"moved to the end", strRow("id", "price", "qty", "name"), nil, `column D is "name"`},
		{"twice", strRow("id", "name", "price", "qty", "id"), nil, `column E is "id"`},
		{"renamed", strRow("id", "name", "cost", "qty"), nil, `column C is "cost"`},
	}
	for _, c := range cases {
		got, err := planColumns(c.head, want)
		if c.err != "" {
			if !errors.Is(err, errForeignColumn) || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%s: err = %v, want %q", c.name, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.inserts) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.inserts)
		}
		if fixed := insertBlank([][]syncd.Cell{c.head}, got, len(want)); len(c.head) > 0 {
			for i, h := range want {
				if cell := cellAt(fixed[0], i); cell.Type != syncd.CellEmpty && cell != syncd.StringCell(h) {
					t.Errorf("%s: after the inserts column %d holds %v, want %q or blank", c.name, i, cell, h)
				}
			}
		}
	}
}

func TestRepairStructure(t *testing.T) {
	want := []string{"id", "name", "price"}
	tab := syncd.TabInfo{SheetID: 3, Title: "T", RowCount: 10, ColCount: 3, FrozenRows: 1}
	// Two blank rows inserted above the header, column B deleted.
	grid := [][]syncd.Cell{nil, strRow("", "", ""), strRow("id", "price"), strRow("1", "9")}
	st, err := repairStructure(tab, grid, want)
	if err != nil {
		t.Fatal(err)
	}
	wantOps := []syncd.Op{syncd.DeleteRows{SheetID: 3, Start: 0, End: 2}, syncd.InsertColumns{SheetID: 3, At: 1, Count: 1}}
	if !reflect.DeepEqual(st.ops, wantOps) || st.headerOK || !reflect.DeepEqual(st.grid[1], strRow("1", "", "9")) {
		t.Fatalf("ops = %#v headerOK %v grid %v", st.ops, st.headerOK, st.grid)
	}
	// A header cleared: written in place, nothing deleted.
	st, err = repairStructure(tab, [][]syncd.Cell{nil, strRow("1", "a", "9")}, want)
	if err != nil || len(st.ops) != 0 || st.headerOK {
		t.Fatalf("cleared header: %#v %v %v", st.ops, st.headerOK, err)
	}
	grid = [][]syncd.Cell{nil, strRow("id", "name", "price"), strRow("1", "a", "9")}
	st, err = repairStructure(tab, grid, want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.ops, []syncd.Op{syncd.DeleteRows{SheetID: 3, Start: 0, End: 1}}) || !st.headerOK || len(st.grid) != 2 {
		t.Fatalf("rows above the header: ops %#v, headerOK %v, grid %v", st.ops, st.headerOK, st.grid)
	}
	if _, err := repairStructure(tab, [][]syncd.Cell{strRow("id", "mine", "name", "price")}, want); !errors.Is(err, errForeignColumn) {
		t.Fatalf("a person's column: %v", err)
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}
