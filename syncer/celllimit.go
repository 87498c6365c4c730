package syncer

import (
	"errors"
	"fmt"
	"sort"

	"github.com/syncd/syncd"
)

// Google refuses, with a 400 no retry cures, a write that would take a
// spreadsheet past CellLimit cells, and refuses the whole batchUpdate: one
// mirror growing its tab would stop every mirror of its spreadsheet. So a
// batch counts, before it writes, the cells each spreadsheet would have
// after the planned ops (every tab's grid as the ops leave it, a new tab at
// the size the client creates it), and leaves out of the write the mirrors
// that would take it past the limit: the largest growth first, until the
// rest fit. Those mirrors are parked (isolate.go) with ErrCellLimit: their
// error is in sync_log naming the mirror, the spreadsheet, the cells it
// would need and the limit (so `syncd status` and /readyz name them), and
// they are retried alone, as a full resync, with backoff, until people
// free cells. The other mirrors' writes go.

// ErrCellLimit marks a mirror left out of a write because it would take
// its spreadsheet past CellLimit.
var ErrCellLimit = errors.New("spreadsheet cell limit")

// The grid the Sheets client gives a tab it creates (sheets.newTabRows,
// newTabCols), widened to the header.
const (
	newTabRows = 1000
	newTabCols = 26
)

// plannedTabCells is the cells of p's tab once its ops are applied. A tab
// the batch creates (its grid unknown, see planOps) is counted at the size
// the client creates it, grown by the rows written into it.
func plannedTabCells(p mirrorPlan) int64 {
	t := p.tab
	if t.RowCount > 0 && t.ColCount > 0 {
		return int64(t.RowCount) * int64(t.ColCount)
	}
	rows, cols, used := newTabRows, newTabCols, 1
	for _, op := range p.ops {
		switch op := op.(type) {
		case syncd.AddTab:
			cols = max(cols, len(op.Header), len(op.Formats))
		case syncd.AppendRows:
			used += len(op.Rows)
			for _, r := range op.Rows {
				cols = max(cols, len(r))
			}
		case syncd.WriteRows:
			used = max(used, op.Row+len(op.Rows))
			for _, r := range op.Rows {
				cols = max(cols, op.Col+len(r))
			}
		}
	}
	return int64(max(rows, used)) * int64(cols)
}

// overCellLimit returns, by index in plans, the error of each mirror to
// leave out of the write because its spreadsheet (infos by sheet key)
// would have more than CellLimit cells after the plans' ops.
func overCellLimit(plans []mirrorPlan, infos map[string]syncd.SpreadsheetInfo) map[int]error {
	type growth struct {
		i     int
		cells int64
	}
	bySheet := map[string][]growth{}
	var keys []string
	for i, p := range plans {
		if len(p.ops) == 0 {
			continue
		}
		var before int64
		for _, t := range infos[p.sheet].Tabs {
			if t.SheetID == p.tab.SheetID {
				before = int64(t.RowCount) * int64(t.ColCount)
			}
		}
		if g := plannedTabCells(p) - before; g > 0 {
			if _, ok := bySheet[p.sheet]; !ok {
				keys = append(keys, p.sheet)
			}
			bySheet[p.sheet] = append(bySheet[p.sheet], growth{i, g})
		}
	}
	out := map[int]error{}
	for _, k := range keys {
		gs := bySheet[k]
		total := gridCells(infos[k])
		for _, g := range gs {
			total += g.cells
		}
		if total <= CellLimit {
			continue
		}
		sort.SliceStable(gs, func(a, b int) bool { return gs[a].cells > gs[b].cells })
		for _, g := range gs {
			if total <= CellLimit {
				break
			}
			m := plans[g.i].m
			id := m.SpreadsheetID
			if id == "" {
				id = "(the sheets: spreadsheet)"
			}
			out[g.i] = fmt.Errorf("%w: mirror %s would take spreadsheet %s to %d cells (its tab grows by %d), past Google's limit of %d cells "+
				"per spreadsheet; nothing of it was written: free cells there (delete unused tabs, rows or columns) or give the mirror "+
				"a spreadsheet of its own (mirrors[].spreadsheet_id)", ErrCellLimit, m.Name, id, total, g.cells, CellLimit)
			total -= g.cells
		}
	}
	return out
}
