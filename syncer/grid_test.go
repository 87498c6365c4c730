package syncer

import (
	"reflect"
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
	ins := func(at int) syncd.Op { return syncd.InsertColumns{SheetID: 1, At: at, Count: 1} }
	mv := func(from, to int) syncd.Op { return syncd.MoveColumn{SheetID: 1, From: from, To: to} }
	del := func(at int) syncd.Op { return syncd.DeleteColumns{SheetID: 1, Start: at, End: at + 1} }
	cases := []struct {
		name string
		head []syncd.Cell
		gone map[string]bool
		ops  []syncd.Op
	}{
		{"intact", strRow("id", "name", "price", "qty", "notes"), nil, nil},
		{"C onwards deleted", strRow("id", "name"), nil, nil},
		{"header cleared", nil, nil, nil},
		{"part cleared", strRow("id", "", "price"), nil, nil},
		{"C deleted", strRow("id", "name", "qty", "notes"), nil, []syncd.Op{ins(2)}},
		{"B and C deleted", strRow("id", "qty"), nil, []syncd.Op{ins(1), ins(2)}},
		{"A deleted", strRow("name", "price", "qty"), nil, []syncd.Op{ins(0)}},
		{"a person's column among them", strRow("id", "notes", "name", "price", "qty"), nil, []syncd.Op{mv(2, 1), mv(3, 2), mv(4, 3)}},
		{"moved", strRow("id", "price", "name", "qty"), nil, []syncd.Op{mv(2, 1)}},
		{"moved to the end", strRow("id", "price", "qty", "name"), nil, []syncd.Op{mv(3, 1)}},
		{"twice", strRow("id", "name", "price", "qty", "id"), nil, nil},
		{"renamed: the old header is a person's", strRow("id", "name", "cost", "qty"), nil, []syncd.Op{ins(2), mv(4, 3)}},
		{"renamed by the daemon's own change", strRow("id", "name", "cost", "qty"), map[string]bool{"cost": true}, []syncd.Op{del(2), ins(2)}},
		{"dropped, a person's column right of it", strRow("id", "name", "dept", "price", "qty", "mine"), map[string]bool{"dept": true}, []syncd.Op{del(2)}},
		{"reordered by the config", strRow("id", "qty", "name", "price", "mine"), nil, []syncd.Op{mv(2, 1), mv(3, 2)}},
	}
	for _, c := range cases {
		got := planColumns(1, c.head, want, c.gone)
		if !reflect.DeepEqual(got, c.ops) {
			t.Errorf("%s: %#v; want %#v", c.name, got, c.ops)
		}
		fixed := applyColumnOps([][]syncd.Cell{c.head}, got, len(want)+3)
		for i, h := range want {
			if cell := cellAt(fixed[0], i); cell.Type != syncd.CellEmpty && cell != syncd.StringCell(h) {
				t.Errorf("%s: after the ops column %d holds %v, want %q or blank", c.name, i, cell, h)
			}
		}
		// A person's column keeps its cells, right of the mirror's.
		for _, cell := range c.head {
			if cell == syncd.StringCell("mine") && findColumn(fixed[0], "mine", len(want)) < 0 {
				t.Errorf("%s: a person's column was lost: %v", c.name, fixed[0])
			}
		}
	}
}

func TestRepairStructure(t *testing.T) {
	want := []string{"id", "name", "price"}
	tab := syncd.TabInfo{SheetID: 3, Title: "T", RowCount: 10, ColCount: 3, FrozenRows: 1}
	// Two blank rows inserted above the header, column B deleted.
	grid := [][]syncd.Cell{nil, strRow("", "", ""), strRow("id", "price"), strRow("1", "9")}
	st := repairStructure(tab, grid, want, nil)
	wantOps := []syncd.Op{syncd.DeleteRows{SheetID: 3, Start: 0, End: 2}, syncd.InsertColumns{SheetID: 3, At: 1, Count: 1}}
	if !reflect.DeepEqual(st.ops, wantOps) || st.headerOK || !reflect.DeepEqual(st.grid[1], strRow("1", "", "9")) {
		t.Fatalf("ops = %#v headerOK %v grid %v", st.ops, st.headerOK, st.grid)
	}
	// A header cleared: written in place, nothing deleted.
	st = repairStructure(tab, [][]syncd.Cell{nil, strRow("1", "a", "9")}, want, nil)
	if len(st.ops) != 0 || st.headerOK {
		t.Fatalf("cleared header: %#v %v", st.ops, st.headerOK)
	}
	grid = [][]syncd.Cell{nil, strRow("id", "name", "price"), strRow("1", "a", "9")}
	st = repairStructure(tab, grid, want, nil)
	if !reflect.DeepEqual(st.ops, []syncd.Op{syncd.DeleteRows{SheetID: 3, Start: 0, End: 1}}) || !st.headerOK || len(st.grid) != 2 {
		t.Fatalf("rows above the header: ops %#v, headerOK %v, grid %v", st.ops, st.headerOK, st.grid)
	}
	// A person's column among the mirror's is moved aside, never written.
	st = repairStructure(tab, [][]syncd.Cell{strRow("id", "mine", "name", "price"), strRow("1", "x", "a", "9")}, want, nil)
	if !reflect.DeepEqual(st.grid[1], strRow("1", "a", "9")) {
		t.Fatalf("a person's column: %#v %v", st.ops, st.grid)
	}
	// The header row deleted: the first data row moved up into its place.
	st = repairStructure(tab, [][]syncd.Cell{{syncd.NumberCell(11), syncd.StringCell("k"), syncd.NumberCell(3)}, strRow("12", "l", "4")}, want, nil)
	if !reflect.DeepEqual(st.ops, []syncd.Op{syncd.InsertRows{SheetID: 3, At: 0, Count: 1}}) || st.headerOK || len(st.grid) != 3 || len(st.restored) != 3 {
		t.Fatalf("header row deleted: ops %#v, headerOK %v, grid %v", st.ops, st.headerOK, st.grid)
	}
	// More frozen rows than the header: the header is rewritten, frozen alone.
	if st = repairStructure(syncd.TabInfo{SheetID: 3, FrozenRows: 5}, [][]syncd.Cell{strRow("id", "name", "price")}, want, nil); st.headerOK {
		t.Fatal("five frozen rows pass for a good header")
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA"} {
		if got := columnName(i); got != want {
			t.Errorf("columnName(%d) = %q, want %q", i, got, want)
		}
	}
}
