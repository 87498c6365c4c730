package syncer

import (
	"github.com/syncd/syncd"
)

// A tab's columns are matched to the mirror's by header name, never by
// position. The functions here compare the header row a batch or a pass
// read with the mirror's column names and plan the structural ops that
// bring every mirrored column back to where the mirror writes it (column
// i holds want[i]) before any cell is compared or written. They are pure.
//
// A header cell that names no mirrored column is a person's column: it is
// never read as the mirror's and never overwritten; the mirror's columns
// are moved or inserted left of it, so it keeps its cells.

// planColumns returns the ops that turn the tab whose header row is head
// into the mirror's layout, in order, each addressing the tab as the ops
// before it leave it. For each mirrored column i, in order:
//   - head names it at i: nothing to do;
//   - head names it further right: it is moved to i (a column a person or a
//     config change moved; its cells, which people may have edited, move
//     with it and are read under their own header);
//   - the header cell at i is blank: it is taken as the mirror's column
//     with its header cleared (the header is rewritten; its cells are not
//     read as edits, see structure.restored);
//   - otherwise (a person's column, or a column the mirror no longer has):
//     a blank column is inserted at i, and the column there moves right.
//
// gone names columns syncd wrote that the mirror no longer has (a column
// the application dropped or renamed, seen by the running daemon): such a
// column is deleted rather than pushed right. Columns a person added keep
// their cells and their order among themselves.
func planColumns(sheetID int64, head []syncd.Cell, want []string, gone map[string]bool) []syncd.Op {
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[w] = i
	}
	cur := append([]syncd.Cell(nil), head...)
	var ops []syncd.Op
	apply := func(op syncd.Op) {
		ops = append(ops, op)
		cur = applyColumnOp(cur, op)
	}
	isGone := func(c syncd.Cell) bool {
		_, wanted := index[c.String]
		return c.Type == syncd.CellString && gone[c.String] && !wanted
	}
	for i, name := range want {
		for isGone(cellAt(cur, i)) {
			apply(syncd.DeleteColumns{SheetID: sheetID, Start: i, End: i + 1})
		}
		c := cellAt(cur, i)
		if c == syncd.StringCell(name) {
			continue
		}
		if k := findColumn(cur, name, i+1); k >= 0 {
			apply(syncd.MoveColumn{SheetID: sheetID, From: k, To: i})
			continue
		}
		if c.Type == syncd.CellEmpty {
			continue
		}
		apply(syncd.InsertColumns{SheetID: sheetID, At: i, Count: 1})
	}
	// Columns of the mirror's past right of its present ones.
	for j := len(cur) - 1; j >= len(want); j-- {
		if isGone(cur[j]) {
			apply(syncd.DeleteColumns{SheetID: sheetID, Start: j, End: j + 1})
		}
	}
	return ops
}

// findColumn returns the first column at or after from whose header is
// name, or -1.
func findColumn(head []syncd.Cell, name string, from int) int {
	for k := from; k < len(head); k++ {
		if head[k] == syncd.StringCell(name) {
			return k
		}
	}
	return -1
}

// applyColumnOp returns row as a column op leaves it.
func applyColumnOp(row []syncd.Cell, op syncd.Op) []syncd.Cell {
	out := append([]syncd.Cell(nil), row...)
	switch op := op.(type) {
	case syncd.InsertColumns:
		if op.At < len(out) {
			out = append(out[:op.At], append(make([]syncd.Cell, op.Count), out[op.At:]...)...)
		}
	case syncd.DeleteColumns:
		if op.Start < len(out) {
			out = append(out[:op.Start], out[min(op.End, len(out)):]...)
		}
	case syncd.MoveColumn:
		c := cellAt(out, op.From)
		if op.From < len(out) {
			out = append(out[:op.From], out[op.From+1:]...)
		}
		for len(out) < op.To {
			out = append(out, syncd.Cell{})
		}
		out = append(out[:op.To], append([]syncd.Cell{c}, out[op.To:]...)...)
	}
	return out
}

// applyColumnOps returns rows as ops leave them, cut to width cells: the
// grid as the sheet will hold it once the ops are applied.
func applyColumnOps(rows [][]syncd.Cell, ops []syncd.Op, width int) [][]syncd.Cell {
	out := make([][]syncd.Cell, len(rows))
	for r, row := range rows {
		for _, op := range ops {
			row = applyColumnOp(row, op)
		}
		if len(row) > width {
			row = row[:width]
		}
		out[r] = row
	}
	return out
}

// maxHeaderSearch bounds how far down a full read looks for a header that
// blank rows inserted above pushed down.
const maxHeaderSearch = 20

// findHeader returns the row of grid that holds the mirror's header: the
// first row that is not blank, when it names a mirrored column (0
// normally, lower when people inserted blank rows above it). missing is
// set when row 0 holds data and names none: a person deleted the header
// row, and the first data row moved up into its place. When blank rows
// lead down to data that names nothing, row 0 is a cleared header.
func findHeader(grid [][]syncd.Cell, want []string) (row int, missing bool) {
	index := make(map[string]bool, len(want))
	for _, w := range want {
		index[w] = true
	}
	for r := 0; r < len(grid) && r < maxHeaderSearch; r++ {
		if rowEmpty(grid[r], len(grid[r])) {
			continue
		}
		for _, c := range grid[r] {
			if c.Type == syncd.CellString && index[c.String] {
				return r, false
			}
		}
		return 0, r == 0
	}
	return 0, false
}

// isHeader reports whether a row holds exactly the mirror's header in its
// first columns.
func isHeader(row []syncd.Cell, want []string) bool {
	for i, h := range want {
		if cellAt(row, i) != syncd.StringCell(h) {
			return false
		}
	}
	return true
}

// repairStructure plans the repair of a tab whose whole width was read
// (grid from row 0), before any cell is compared: blank rows inserted
// above the header are removed; a header row a person deleted is put back
// above the data; mirrored columns are matched by header name and moved,
// put back or inserted into place (planColumns); the header row and its
// freezing are checked. lc, when not nil, is the change the table's DDL
// asks for: headers of renamed columns are read under their new names
// (their cells stay), syncd's dropped columns are deleted, and the header
// and number formats are written again (a retyped column's format). It
// never fails: a person's column is moved aside, never overwritten.
func repairStructure(tab syncd.TabInfo, grid [][]syncd.Cell, want []string, lc *layoutChange) structure {
	var st structure
	switch r, missing := findHeader(grid, want); {
	case missing:
		st.ops = append(st.ops, syncd.InsertRows{SheetID: tab.SheetID, At: 0, Count: 1})
		grid = append([][]syncd.Cell{nil}, grid...)
	case r > 0 && blankRows(grid[:r], len(want)):
		st.ops = append(st.ops, syncd.DeleteRows{SheetID: tab.SheetID, Start: 0, End: r})
		grid = grid[r:]
	}
	var head []syncd.Cell
	if len(grid) > 0 {
		head = renameHeader(grid[0], lc)
		grid = append([][]syncd.Cell{head}, grid[1:]...)
	}
	var gone map[string]bool
	if lc != nil {
		gone = lc.gone
	}
	cols := planColumns(tab.SheetID, head, want, gone)
	st.ops = append(st.ops, cols...)
	st.grid = applyColumnOps(grid, cols, len(want))
	st.headerOK = lc == nil && len(st.grid) > 0 && isHeader(st.grid[0], want) && tab.FrozenRows == 1
	st.restored = map[int]bool{}
	for i := range want {
		if len(st.grid) == 0 || cellAt(st.grid[0], i).Type == syncd.CellEmpty || lc != nil && (lc.fresh || lc.retyped[want[i]]) {
			st.restored[i] = true
		}
	}
	return st
}

// wholeWidth is the end column of a read of a tab's whole width: none (0,
// to the grid's last column), so mirrored columns moved right of the
// mirror's width and a person's columns are seen whatever the cached grid
// size says, and the read never reaches past the grid.
func wholeWidth(syncd.TabInfo) int { return 0 }

// renameHeader returns head with the old names of renamed columns
// replaced by their new ones.
func renameHeader(head []syncd.Cell, lc *layoutChange) []syncd.Cell {
	if lc == nil || len(lc.renamed) == 0 {
		return head
	}
	out := append([]syncd.Cell(nil), head...)
	for j, c := range out {
		if n, ok := lc.renamed[c.String]; ok && c.Type == syncd.CellString {
			out[j] = syncd.StringCell(n)
		}
	}
	return out
}
