package conflicts

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"go.uber.org/zap"
)

// The conflicts tab (CONTRACT.md §4 sheets.conflicts_tab) lists the open
// rows of syncd.conflicts so that accountants see why an edit did not
// stick, one row per conflict, oldest first. Its last column is theirs: a
// person types "use sheet" or "keep database" there, and the next pass
// (the change poll notices the edit) applies it and drops the row. A
// resolution that cannot be applied is replaced by the reason it failed,
// so it is not tried again until a person types it again.

// conflictsHeader is the conflicts tab's header row.
var conflictsHeader = []string{"id", "mirror", "key", "column", "sheet value", "database value", "reason", "detected at", "resolve"}

// resolveCol is the column people resolve in.
const resolveCol = 8

// Tab is the conflicts tab of one spreadsheet. Its fields are the ports
// it needs; all are required.
type Tab struct {
	// Sheet is the spreadsheet the tab is in (the engine's default one).
	Sheet syncd.Spreadsheet
	// Title is the tab's title (sheets.conflicts_tab), not empty.
	Title string
	// Pool is the database of syncd.conflicts.
	Pool *pgxpool.Pool
	// Resolver applies the resolutions typed into the tab.
	Resolver *Resolver
	// Log reports resolutions that could not be applied.
	Log *zap.Logger
}

// SpreadsheetError is a read or write of the conflicts tab that failed:
// the spreadsheet may no longer be what the info given to Sync said, so
// whoever caches that info should forget it.
type SpreadsheetError struct {
	// Op is what failed ("read the conflicts tab", "write the conflicts tab").
	Op  string
	Err error
}

// Error is Op and the spreadsheet's error.
func (e *SpreadsheetError) Error() string { return e.Op + ": " + e.Err.Error() }

// Unwrap returns the spreadsheet's error.
func (e *SpreadsheetError) Unwrap() error { return e.Err }

// Sync applies the resolutions people typed into the conflicts tab and
// then makes the tab equal to the open conflicts: one read (none when the
// tab is missing) and at most one write. info is the spreadsheet as last
// read; Sync returns the tab as it left it (for the caller's cache of
// info). A failed read or write is a *SpreadsheetError.
func (t *Tab) Sync(ctx context.Context, info syncd.SpreadsheetInfo) (syncd.TabInfo, error) {
	title := t.Title
	tab, exists := info.Tab(title)
	var grid [][]syncd.Cell
	keep := map[int64]syncd.Cell{} // resolve cells to show again
	if exists {
		read, err := t.Sheet.Read(ctx, []syncd.Range{{Tab: title, EndCol: len(conflictsHeader)}})
		if err != nil {
			return tab, &SpreadsheetError{Op: "read the conflicts tab", Err: err}
		}
		grid = read[0]
		keep = t.applyTyped(ctx, grid)
	}
	open, err := store.ListOpenConflicts(ctx, t.Pool)
	if err != nil {
		return tab, err
	}
	want := make([][]syncd.Cell, 0, len(open))
	for _, c := range open {
		want = append(want, conflictRow(c, keep[c.ID]))
	}
	var ops []syncd.Op
	if !exists {
		id := info.NewSheetID("\x00syncd conflicts")
		tab = syncd.TabInfo{SheetID: id, Title: title, ColCount: len(conflictsHeader), FrozenRows: 1, RowCount: 1}
		ops = append(ops, syncd.AddTab{SheetID: id, Title: title, Header: conflictsHeader, Formats: make([]syncd.NumberFormat, len(conflictsHeader))})
		if len(want) > 0 {
			ops = append(ops, syncd.AppendRows{SheetID: id, Rows: want})
		}
	} else if !sameRows(grid, want) {
		rows := append([][]syncd.Cell{headerCells()}, want...)
		blank := make([]syncd.Cell, len(conflictsHeader))
		for len(rows) < len(grid) {
			rows = append(rows, blank) // clears rows of conflicts resolved since
		}
		ops, tab = writeFitted(tab, rows)
	}
	if len(ops) == 0 {
		return tab, nil
	}
	if _, err := t.Sheet.Apply(ctx, ops); err != nil {
		return tab, &SpreadsheetError{Op: "write the conflicts tab", Err: err}
	}
	return tab, nil
}

// applyTyped applies the resolutions typed into the tab's rows (grid,
// header first) and returns the resolve cells to show again: text that is
// no resolution, and the reason a resolution failed, so it is not tried
// again until a person types it again.
func (t *Tab) applyTyped(ctx context.Context, grid [][]syncd.Cell) map[int64]syncd.Cell {
	keep := map[int64]syncd.Cell{}
	for r := 1; r < len(grid); r++ {
		idCell, res := cellAt(grid[r], 0), cellAt(grid[r], resolveCol)
		if idCell.Type != syncd.CellNumber || res.Type == syncd.CellEmpty {
			continue
		}
		id := int64(idCell.Number)
		how, ok := ParseResolution(res.Text())
		if !ok {
			keep[id] = res
			continue
		}
		if err := t.Resolver.Resolve(ctx, id, how); err != nil {
			if errors.Is(err, store.ErrNoOpenConflict) {
				continue
			}
			t.Log.Warn("resolution from the conflicts tab not applied", zap.Int64("conflict", id), zap.Error(err))
			keep[id] = syncd.StringCell(fmt.Sprintf("not applied (%s): %v", how, err))
		}
	}
	return keep
}

// writeFitted returns the ops that write rows over the tab from its first
// row, preceded by the GrowGrid they need, and the tab as they leave it.
// Google refuses a write past the grid's last column, so missing columns
// are added first (a ColCount of 0 is unknown and left alone); the row
// count, a lower bound, rises to the rows written. It is the engine's
// grid rule (syncer's fitGrid) for this one write.
func writeFitted(tab syncd.TabInfo, rows [][]syncd.Cell) ([]syncd.Op, syncd.TabInfo) {
	write := syncd.WriteRows{SheetID: tab.SheetID, Rows: rows}
	after := tab
	if tab.RowCount > 0 { // unknown stays unknown: the next Info tells
		after.RowCount = max(tab.RowCount, len(rows))
	}
	growCols := 0
	if tab.ColCount > 0 {
		for _, r := range rows {
			growCols = max(growCols, len(r)-tab.ColCount)
		}
		after.ColCount = tab.ColCount + growCols
	}
	if growCols == 0 {
		return []syncd.Op{write}, after
	}
	return []syncd.Op{syncd.GrowGrid{SheetID: tab.SheetID, Cols: growCols}, write}, after
}

func headerCells() []syncd.Cell {
	out := make([]syncd.Cell, len(conflictsHeader))
	for i, h := range conflictsHeader {
		out[i] = syncd.StringCell(h)
	}
	return out
}

func cellAt(cells []syncd.Cell, i int) syncd.Cell {
	if i < len(cells) {
		return cells[i]
	}
	return syncd.Cell{}
}

// sameRows reports whether the tab (header first) shows exactly want.
func sameRows(grid [][]syncd.Cell, want [][]syncd.Cell) bool {
	rows := append([][]syncd.Cell{headerCells()}, want...)
	for r := 0; r < max(len(grid), len(rows)); r++ {
		var got, w []syncd.Cell
		if r < len(grid) {
			got = grid[r]
		}
		if r < len(rows) {
			w = rows[r]
		}
		for c := range conflictsHeader {
			if cellAt(got, c) != cellAt(w, c) {
				return false
			}
		}
	}
	return true
}

// conflictRow is one conflict as the tab shows it.
func conflictRow(c store.OpenConflict, resolve syncd.Cell) []syncd.Cell {
	text := func(p *string) syncd.Cell {
		if p == nil || *p == "" {
			return syncd.Cell{}
		}
		return syncd.StringCell(*p)
	}
	str := func(s string) syncd.Cell {
		if s == "" {
			return syncd.Cell{}
		}
		return syncd.StringCell(s)
	}
	reason := c.Reason
	if c.Message != "" {
		reason += ": " + c.Message
	}
	return []syncd.Cell{syncd.NumberCell(float64(c.ID)), str(c.Mirror), str(keyText(c.Key)), str(c.Column),
		text(c.SheetValue), text(c.DBValue), str(reason), str(c.DetectedAt.UTC().Format("2006-01-02 15:04:05 UTC")), resolve}
}

// keyText renders a conflict's row key: the bare value of a one-column
// key, else column=value pairs.
func keyText(key map[string]*string) string {
	if len(key) == 0 {
		return ""
	}
	names := make([]string, 0, len(key))
	for k := range key {
		names = append(names, k)
	}
	sort.Strings(names)
	parts := make([]string, len(names))
	for i, k := range names {
		v := "NULL"
		if key[k] != nil {
			v = *key[k]
		}
		if len(names) == 1 {
			return v
		}
		parts[i] = k + "=" + v
	}
	return strings.Join(parts, ", ")
}
