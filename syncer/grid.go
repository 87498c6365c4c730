package syncer

import (
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
	anyDelete := false
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
			anyDelete = true
		case syncd.InsertRows:
			rows = max(rows, op.At+deleted)
			deleted -= op.Count // a net count: later rows are addressed after the insert
		case syncd.MoveColumn:
			need(max(op.From, op.To) + 1)
		case syncd.DeleteColumns:
			need(op.End)
			inserted -= op.End - op.Start
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
		case syncd.ProtectColumns:
			need(op.End)
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
	if !anyDelete {
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
