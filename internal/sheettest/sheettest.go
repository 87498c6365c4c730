// Package sheettest holds test assertions about mirrored tabs, shared by the
// syncer and daemon tests: they compare a tab with its table through the
// cell codec, exactly as CONTRACT.md §2 states the contract.
package sheettest

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheets"
)

// Querier runs SQL (a pool or a connection).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// Diff compares a mirror's tab with its table cell for cell under the codec:
// the header, every row exactly once, no other rows. It returns "" when they
// are equal, else a description of the first differences.
func Diff(ctx context.Context, q Querier, sheet syncd.Spreadsheet, m syncd.Mirror) (string, error) {
	info, err := sheet.Info(ctx)
	if err != nil {
		return "", fmt.Errorf("read spreadsheet: %w", err)
	}
	tab, ok := info.Tab(m.Sheet)
	if !ok {
		return fmt.Sprintf("tab %q does not exist", m.Sheet), nil
	}
	read, err := sheet.Read(ctx, []syncd.Range{{Tab: tab.Title}})
	if err != nil {
		return "", fmt.Errorf("read tab %q: %w", m.Sheet, err)
	}
	grid := read[0]
	if len(grid) == 0 {
		return fmt.Sprintf("tab %q is empty", m.Sheet), nil
	}
	for i, c := range m.Columns {
		if i >= len(grid[0]) || grid[0][i] != syncd.StringCell(c.Name) {
			return fmt.Sprintf("tab %q header = %v, want %v", m.Sheet, grid[0], m.ColumnNames()), nil
		}
	}
	cols := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		cols[i] = pgx.Identifier{c.Name}.Sanitize() + "::text"
	}
	src := m.Table
	if m.IsQuery() {
		src = "(" + m.Query + ") q"
	}
	rows, err := q.Query(ctx, "SELECT "+strings.Join(cols, ", ")+" FROM "+src)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	want := map[string][]syncd.Cell{}
	for rows.Next() {
		raw := rows.RawValues()
		cells := make([]syncd.Cell, len(raw))
		for i, r := range raw {
			v := syncd.Null
			if r != nil {
				v = syncd.Text(string(r))
			}
			cells[i], _ = sheets.Codec{}.Encode(m.Columns[i], v, info.TimeZone)
		}
		want[keyOf(m, cells)] = cells
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("read %s: %w", src, err)
	}
	var problems []string
	seen := map[string]bool{}
	for r, row := range grid[1:] {
		k := keyOf(m, row)
		w, ok := want[k]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("row %d (key %s) is not in the table", r+2, k))
			continue
		case seen[k]:
			problems = append(problems, fmt.Sprintf("row %d repeats key %s", r+2, k))
			continue
		}
		seen[k] = true
		for c := range w {
			if got := cellAt(row, c); got != w[c] {
				problems = append(problems, fmt.Sprintf("row %d column %s = %+v, want %+v", r+2, m.Columns[c].Name, got, w[c]))
			}
		}
	}
	var missing []string
	for k := range want {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("%d table rows missing from the tab, e.g. %v", len(missing), missing[:min(5, len(missing))]))
	}
	if len(problems) > 5 {
		problems = append(problems[:5], fmt.Sprintf("... and %d more", len(problems)-5))
	}
	if len(problems) > 0 {
		return fmt.Sprintf("tab %q (%d rows) vs table (%d rows): %s", m.Sheet, len(grid)-1, len(want), strings.Join(problems, "; ")), nil
	}
	return "", nil
}

func keyOf(m syncd.Mirror, cells []syncd.Cell) string {
	parts := make([]string, len(m.Key))
	for i, k := range m.Key {
		parts[i] = fmt.Sprint(cellAt(cells, k))
	}
	return strings.Join(parts, "|")
}

func cellAt(cells []syncd.Cell, i int) syncd.Cell {
	if i < len(cells) {
		return cells[i]
	}
	return syncd.Cell{}
}
