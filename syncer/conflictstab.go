package syncer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
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

// Resolution is how a person settles a conflict.
type Resolution int

const (
	// UseSheet applies the sheet's value to Postgres (a cell's value, a
	// row typed into the tab, or a deletion held back).
	UseSheet Resolution = iota + 1
	// KeepDatabase dismisses the sheet's value: Postgres stays as it is.
	KeepDatabase
)

func (r Resolution) String() string {
	if r == UseSheet {
		return "use sheet"
	}
	return "keep database"
}

// ParseResolution reads a resolution as people type it ("use sheet",
// "keep database", or just "sheet" / "database"), in any case.
func ParseResolution(s string) (Resolution, bool) {
	switch strings.Join(strings.Fields(strings.ToLower(s)), " ") {
	case "use sheet", "sheet", "use the sheet":
		return UseSheet, true
	case "keep database", "database", "use database", "keep db", "db", "keep the database":
		return KeepDatabase, true
	}
	return 0, false
}

// ResolveConflict settles one open conflict: UseSheet applies the sheet's
// value to Postgres (the change stream then writes it to the tab) and
// KeepDatabase dismisses it. Either way the conflict is marked resolved,
// in the same transaction as the change; an error changes nothing.
func (s *Syncer) ResolveConflict(ctx context.Context, id int64, r Resolution) error {
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		c, err := store.ReadOpenConflict(ctx, tx, id)
		if err != nil {
			return err
		}
		if r == UseSheet {
			if err := s.useSheet(ctx, tx, c); err != nil {
				return fmt.Errorf("conflict %d: %w", id, err)
			}
		}
		return store.ResolveConflict(ctx, tx, id, r.String())
	})
}

// syncConflictsTab applies the resolutions people typed into the
// conflicts tab and then makes the tab equal to the open conflicts: one
// read (none when the tab is missing) and at most one write.
func (s *Syncer) syncConflictsTab(ctx context.Context) error {
	title := s.opts.ConflictsTab
	if title == "" {
		return nil
	}
	calls := 0
	info, err := s.spreadsheetInfo(ctx, "", &calls) // the conflicts tab is in Options.Sheet
	if err != nil {
		return err
	}
	tab, exists := info.Tab(title)
	var grid [][]syncd.Cell
	keep := map[int64]syncd.Cell{} // resolve cells to show again
	if exists {
		read, err := s.opts.Sheet.Read(ctx, []syncd.Range{{Tab: title, EndCol: len(conflictsHeader)}})
		if err != nil {
			s.forgetInfo()
			return fmt.Errorf("read the conflicts tab: %w", err)
		}
		grid = read[0]
		for r := 1; r < len(grid); r++ {
			idCell, res := cellAt(grid[r], 0), cellAt(grid[r], resolveCol)
			if idCell.Type != syncd.CellNumber || res.Type == syncd.CellEmpty {
				continue
			}
			id := int64(idCell.Number)
			how, ok := ParseResolution(cellText(res))
			if !ok {
				keep[id] = res
				continue
			}
			if err := s.ResolveConflict(ctx, id, how); err != nil {
				if errors.Is(err, store.ErrNoOpenConflict) {
					continue
				}
				s.log.Warn("resolution from the conflicts tab not applied", zap.Int64("conflict", id), zap.Error(err))
				keep[id] = syncd.StringCell(fmt.Sprintf("not applied (%s): %v", how, err))
			}
		}
	}
	open, err := store.ListOpenConflicts(ctx, s.opts.Pool)
	if err != nil {
		return err
	}
	want := make([][]syncd.Cell, 0, len(open))
	for _, c := range open {
		want = append(want, conflictRow(c, keep[c.ID]))
	}
	var ops []syncd.Op
	if !exists {
		id := newSheetID(info, "\x00syncd conflicts")
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
		ops, tab = withGrid(tab, []syncd.Op{syncd.WriteRows{SheetID: tab.SheetID, Rows: rows}})
	}
	if len(ops) == 0 {
		return nil
	}
	if _, err := s.opts.Sheet.Apply(ctx, ops); err != nil {
		s.forgetInfo()
		return fmt.Errorf("write the conflicts tab: %w", err)
	}
	s.rememberTab("", tab)
	return nil
}

func headerCells() []syncd.Cell {
	out := make([]syncd.Cell, len(conflictsHeader))
	for i, h := range conflictsHeader {
		out[i] = syncd.StringCell(h)
	}
	return out
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
