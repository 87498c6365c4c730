package syncer

import (
	"errors"
	"fmt"

	"github.com/syncd/syncd"
)

// Google refuses, with a 400 that no retry cures, a write past the last row
// or column of a tab's grid, a read of a range outside it, and a delete
// that would leave only frozen rows. The functions here plan around that:
// they are pure, and decide from a tab's last known grid (TabInfo) and the
// cells just read.

// fitGrid returns the GrowGrid op that lets ops run on a tab whose grid
// is tab's (nil when they fit), and the tab as the ops leave it. ops are
// one tab's, in the order they will be applied.
//
// A zero RowCount or ColCount means unknown (a tab the batch creates).
// The row count is a lower bound: tab.RowCount, raised by every row the
// ops touch (a row that was read exists). The grid is grown so that the
// deletes leave at least one row below the frozen ones (Google refuses to
// delete every unfrozen row) and so that every write and inserted column
// fits. Growing appends at the end, which shifts nothing the ops address.
func fitGrid(tab syncd.TabInfo, ops []syncd.Op) (syncd.Op, syncd.TabInfo) {
	rows, formatted := tab.RowCount, false
	deleted, inserted, growCols := 0, 0, 0
	need := func(cols int) {
		if tab.ColCount > 0 { // 0: unknown (a tab built by hand in tests)
			growCols = max(growCols, cols-(tab.ColCount+inserted))
		}
	}
	appended, appendFrom := 0, 0
	for _, op := range ops {
		switch op := op.(type) {
		case syncd.WriteRows:
			rows = max(rows, op.Row+len(op.Rows)+deleted)
			for _, r := range op.Rows {
				need(op.Col + len(r))
			}
		case syncd.DeleteRows:
			rows = max(rows, op.End+deleted)
			deleted += op.End - op.Start
		case syncd.AppendRows:
			for _, r := range op.Rows {
				need(len(r))
			}
			need(len(op.Formats))
			appended += len(op.Rows)
			appendFrom = max(appendFrom, op.FromRow)
		case syncd.FormatColumns:
			need(max(len(op.Header), len(op.Formats)))
			rows = max(rows, 1)
			formatted = true
		case syncd.InsertColumns:
			need(op.At)
			inserted += op.Count
		case syncd.SortRows:
			for _, c := range op.Columns {
				need(c + 1)
			}
		}
	}
	// Every unfrozen row may be deleted only if one is added first. The
	// header is counted as frozen even when a person unfroze it: one blank
	// row too many is harmless, a refused batch is not.
	growRows := max(0, max(tab.FrozenRows, 1)+1-(rows-deleted))
	if deleted == 0 {
		growRows = 0
	}
	after := tab
	if tab.RowCount > 0 { // unknown stays unknown: the next Info tells
		after.RowCount = max(rows+growRows-deleted, appendFrom+appended)
	}
	if tab.ColCount > 0 {
		after.ColCount = tab.ColCount + growCols + inserted
	}
	if formatted {
		after.FrozenRows = 1 // FormatColumns freezes the header row
	}
	if growRows == 0 && growCols == 0 {
		return nil, after
	}
	return syncd.GrowGrid{SheetID: tab.SheetID, Rows: growRows, Cols: growCols}, after
}

// withGrid returns ops preceded by the GrowGrid they need, and the tab as
// they leave it.
func withGrid(tab syncd.TabInfo, ops []syncd.Op) ([]syncd.Op, syncd.TabInfo) {
	grow, after := fitGrid(tab, ops)
	if grow == nil {
		return ops, after
	}
	return append([]syncd.Op{grow}, ops...), after
}

// errForeignColumn marks a header syncd does not own among the mirror's
// columns: a person's column, which syncd never overwrites.
var errForeignColumn = errors.New("a column syncd does not own is among the mirror's columns")

// planColumns compares a tab's header row with the mirror's header and
// returns where blank columns must be inserted (positions in the tab as
// each earlier insert leaves it) so that each mirrored column is back where
// syncd writes it: mirrored columns a person deleted are put back, and the
// mirrored columns right of them, found by name, move back into place. A
// blank header cell counts as the mirror's column (a cleared header is
// rewritten); columns missing at the end only need the grid and the header.
// A header cell that names no mirrored column, or names one out of order,
// is a person's column in the way: that is errForeignColumn, for a person
// to resolve, since moving it is not something syncd does on its own.
func planColumns(head []syncd.Cell, want []string) ([]int, error) {
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[w] = i
	}
	if err := inOrder(head, index, want); err != nil {
		return nil, err
	}
	var inserts []int
	j := 0 // position in head of the tab column now at mirror column i
	for i, name := range want {
		c := cellAt(head, j)
		if c.Type == syncd.CellEmpty || c == syncd.StringCell(name) {
			j++
			continue
		}
		if k, owned := index[c.String]; c.Type == syncd.CellString && owned && k > i {
			// name was deleted: a blank column goes where it belongs and
			// c moves right with the rest.
			inserts = append(inserts, i)
			continue
		}
		return nil, foreignColumn(j, c, name, want)
	}
	return inserts, nil
}

// inOrder checks that the mirror's header names that head holds appear
// once each and in the mirror's order: a column a person moved cannot be
// told from a person's column of the same name.
func inOrder(head []syncd.Cell, index map[string]int, want []string) error {
	last := -1
	for j, c := range head {
		k, owned := index[c.String]
		if c.Type != syncd.CellString || !owned {
			continue
		}
		if k <= last {
			return foreignColumn(j, c, want[min(j, len(want)-1)], want)
		}
		last = k
	}
	return nil
}

func foreignColumn(j int, c syncd.Cell, name string, want []string) error {
	return fmt.Errorf("column %s is %q where the mirror's column %q belongs: %w; move it right of column %s",
		columnName(j), cellText(c), name, errForeignColumn, columnName(len(want)-1))
}

// insertOps turns planColumns' positions into InsertColumns ops, one per
// run of adjacent positions.
func insertOps(sheetID int64, at []int) []syncd.Op {
	var ops []syncd.Op
	for i := 0; i < len(at); {
		j := i + 1
		for j < len(at) && at[j] == at[j-1]+1 {
			j++
		}
		ops = append(ops, syncd.InsertColumns{SheetID: sheetID, At: at[i], Count: j - i})
		i = j
	}
	return ops
}

// insertBlank returns rows with a blank cell inserted at each position of
// at (as planColumns returns them), cut to width cells: the grid as the
// sheet will hold it once the columns are inserted.
func insertBlank(rows [][]syncd.Cell, at []int, width int) [][]syncd.Cell {
	if len(at) == 0 {
		return rows
	}
	out := make([][]syncd.Cell, len(rows))
	for r, row := range rows {
		cells := append([]syncd.Cell(nil), row...)
		for _, p := range at {
			if p >= len(cells) {
				break
			}
			cells = append(cells[:p], append([]syncd.Cell{{}}, cells[p:]...)...)
		}
		if len(cells) > width {
			cells = cells[:width]
		}
		out[r] = cells
	}
	return out
}

// maxHeaderSearch bounds how far down a full read looks for a header that
// blank rows inserted above pushed down.
const maxHeaderSearch = 20

// headerRow returns the row of grid that holds the mirror's header: 0
// normally, lower when people inserted blank rows above it (the first
// row that is not blank, if it names mirrored columns in order); 0 when
// no row does (the header is cleared and is rewritten in place).
func headerRow(grid [][]syncd.Cell, want []string) int {
	index := make(map[string]int, len(want))
	for i, w := range want {
		index[w] = i
	}
	for r := 0; r < len(grid) && r < maxHeaderSearch; r++ {
		if rowEmpty(grid[r], len(grid[r])) {
			continue
		}
		named := false
		for _, c := range grid[r] {
			_, owned := index[c.String]
			named = named || c.Type == syncd.CellString && owned
		}
		if _, err := planColumns(grid[r], want); named && err == nil {
			return r
		}
		return 0
	}
	return 0
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

// structure is what a batch must do to a tab's structure before its rows:
// the ops, and the tab's rows from the header as the sheet will show them
// once the ops are applied.
type structure struct {
	ops  []syncd.Op
	grid [][]syncd.Cell
	// headerOK is false when the header row must be rewritten.
	headerOK bool
	// restored marks the mirror's columns whose header cell is blank:
	// put back, past the grid, or cleared. Their cells are not what
	// syncd wrote nor what a person typed into that column, so an
	// editable one is written from Postgres, never read as an edit.
	restored map[int]bool
}

// repairStructure plans the repair of a tab whose whole mirrored width was
// read (grid from row 0): rows inserted above the header are removed when
// blank (a person's rows with data stay and the header is written above
// them), deleted mirrored columns are put back, and the header is checked.
func repairStructure(tab syncd.TabInfo, grid [][]syncd.Cell, want []string) (structure, error) {
	var st structure
	if r := headerRow(grid, want); r > 0 && blankRows(grid[:r], len(want)) {
		st.ops = append(st.ops, syncd.DeleteRows{SheetID: tab.SheetID, Start: 0, End: r})
		grid = grid[r:]
	}
	var head []syncd.Cell
	if len(grid) > 0 {
		head = grid[0]
	}
	at, err := planColumns(head, want)
	if err != nil {
		return st, fmt.Errorf("tab %q: %w", tab.Title, err)
	}
	st.ops = append(st.ops, insertOps(tab.SheetID, at)...)
	st.grid = insertBlank(grid, at, len(want))
	st.headerOK = len(st.grid) > 0 && isHeader(st.grid[0], want) && tab.FrozenRows == 1
	st.restored = map[int]bool{}
	for i := range want {
		if len(st.grid) == 0 || cellAt(st.grid[0], i).Type == syncd.CellEmpty {
			st.restored[i] = true
		}
	}
	return st, nil
}

func blankRows(rows [][]syncd.Cell, n int) bool {
	for _, r := range rows {
		if !rowEmpty(r, n) {
			return false
		}
	}
	return true
}

// columnName returns the A1 letters of a 0-based column.
func columnName(i int) string {
	s := ""
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		s = string(rune('A'+(n-1)%26)) + s
	}
	return s
}
