package syncer

import (
	"sort"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// batchPlan is the plan stage's output: everything the batch will write,
// to the sheet and to the database.
type batchPlan struct {
	// outbox holds the entries the commit deletes.
	outbox  *store.Outbox
	mirrors []mirrorPlan
}

// mirrorPlan is one mirror's share of a batch.
type mirrorPlan struct {
	m       *mirror
	full    bool
	changes int
	// tab is the mirror's tab as the ops leave it (created, renamed back).
	tab       syncd.TabInfo
	ops       []syncd.Op
	stats     planStats
	conflicts []Conflict
	states    []stateUpdate
}

// planBatch plans each mirror's ops from the snapshot and the tab cells
// read. It does no I/O: what a batch does is decided from its inputs
// alone.
func planBatch(read *batchRead, tabs []tabCells, info syncd.SpreadsheetInfo, codec syncd.Codec) batchPlan {
	plan := batchPlan{outbox: read.outbox, mirrors: make([]mirrorPlan, len(read.mirrors))}
	for i, mr := range read.mirrors {
		plan.mirrors[i] = planMirror(mr, tabs[i], info, codec)
	}
	return plan
}

// planMirror plans one mirror's share of a batch.
func planMirror(mr mirrorRead, tc tabCells, info syncd.SpreadsheetInfo, codec syncd.Codec) mirrorPlan {
	if len(mr.m.Editable) == 0 {
		return planOps(mr, tc, info, codec, nil)
	}
	// The editable cells need the merge: planChanges records its conflicts
	// and base updates in es.
	es := &editState{bases: mr.bases, cells: map[int][]syncd.Cell{}}
	p := planOps(mr, tc, info, codec, es)
	p.conflicts, p.states = es.conflicts, es.states
	return p
}

// planOps plans the ops on one mirror's tab; es is nil for a mirror
// without editable columns.
func planOps(mr mirrorRead, tc tabCells, info syncd.SpreadsheetInfo, codec syncd.Codec, es *editState) mirrorPlan {
	m, loc := mr.m, info.TimeZone
	p := mirrorPlan{m: m, full: mr.full, changes: mr.changes, tab: mr.tab}
	if !mr.hasTab {
		id := newSheetID(info, m.Name)
		p.tab = syncd.TabInfo{SheetID: id, Title: m.Sheet, RowCount: 1 + len(mr.rows), ColCount: len(m.Columns), FrozenRows: 1}
		p.ops = append(p.ops, syncd.AddTab{SheetID: id, Title: m.Sheet, Header: m.header(), Formats: m.formats(codec)})
		ops, st := m.planChanges(id, tabKeys{rows: map[string][]int{}}, mr.rows, codec, loc, es)
		p.ops = append(p.ops, ops...)
		p.stats = st
		return p
	}
	var tk tabKeys
	headerOK := true
	if mr.full {
		grid := tc.grid
		var head []syncd.Cell
		if len(grid) > 0 {
			head, grid = grid[0], grid[1:]
		}
		for i, h := range m.header() {
			headerOK = headerOK && cellAt(head, i) == syncd.StringCell(h)
		}
		tk = m.indexGrid(grid, codec, loc, es)
	} else {
		tk = m.indexKeys(tc.keys, codec, loc)
		if es != nil {
			for j := range tc.editable {
				for i, cells := range tc.editable[j] {
					row := i + 1
					if es.cells[row] == nil {
						es.cells[row] = make([]syncd.Cell, len(m.Editable))
					}
					if len(cells) > 0 {
						es.cells[row][j] = cells[0]
					}
				}
			}
		}
	}
	if p.tab.Title != m.Sheet {
		p.ops = append(p.ops, syncd.RenameTab{SheetID: p.tab.SheetID, Title: m.Sheet})
		p.tab.Title = m.Sheet
	}
	rows := mr.rows
	if mr.full {
		// Rows the tab has but the table no longer has are removed;
		// blank and unparseable rows are left for reconcile.
		if !headerOK {
			p.ops = append(p.ops, syncd.FormatColumns{SheetID: p.tab.SheetID, Header: m.header(), Formats: m.formats(codec)})
		}
		present := make(map[string]bool, len(rows))
		for _, r := range rows {
			present[r.Key] = true
		}
		var gone []string
		for k := range tk.rows {
			if !present[k] {
				gone = append(gone, k)
			}
		}
		sort.Strings(gone)
		for _, k := range gone {
			rows = append(rows, dbRow{Key: k})
		}
	}
	ops, st := m.planChanges(p.tab.SheetID, tk, rows, codec, loc, es)
	p.ops = append(p.ops, ops...)
	p.stats = st
	return p
}
