package syncer

import (
	"fmt"
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
	sheet   string // its sheet key (spreadsheets.go)
	full    bool
	changes int
	// tab is the mirror's tab as the ops leave it (created, renamed back).
	tab       syncd.TabInfo
	ops       []syncd.Op
	stats     planStats
	conflicts []Conflict
	states    []stateUpdate
	// err says why the tab's structure cannot be repaired.
	err error
	// titleClash says why the tab is not under the mirror's sheet title
	// (see chooseTitle).
	titleClash string
	// wasVerified: nothing was unverified in the tab before this batch
	// marked its positional writes (store.Unverified), so the commit may
	// clear the marks once the write provably landed.
	wasVerified bool
	// aim is what the ops that address rows by index aim at; order the
	// key of each tab row as read, rowOps the ops that address rows, from
	// index rowOpsAt of ops on, readTab the tab as read, keptTab the
	// mirror's kept-rows tab as the ops leave it (keep.go).
	aim      store.Unverified
	order    []string
	rowOps   []syncd.Op
	rowOpsAt int
	readTab  syncd.TabInfo
	keptTab  syncd.TabInfo
	// was returns the cells the batch believes a tab row holds (keep.go);
	// keptUnsure says some cell it replaces it could not tell.
	was        func(r int) []*syncd.Cell
	keptUnsure bool
}

// planBatch plans each mirror's ops from the snapshot and the tab cells
// read. It does no I/O: what a batch does is decided from its inputs
// alone. It fails when a tab's structure cannot be repaired without
// overwriting a person's column.
func planBatch(read *batchRead, tabs []tabCells, infos map[string]syncd.SpreadsheetInfo, codec syncd.Codec) (batchPlan, error) {
	plan := batchPlan{outbox: read.outbox, mirrors: make([]mirrorPlan, len(read.mirrors))}
	for i, mr := range read.mirrors {
		plan.mirrors[i] = planMirror(mr, tabs[i], infos[mr.sheet], codec)
		if err := plan.mirrors[i].err; err != nil {
			return plan, fmt.Errorf("plan mirror %s: %w", mr.m.Name, err)
		}
	}
	return plan, nil
}

// planMirror plans one mirror's share of a batch.
func planMirror(mr mirrorRead, tc tabCells, info syncd.SpreadsheetInfo, codec syncd.Codec) mirrorPlan {
	if len(mr.m.Editable) == 0 {
		p := planOps(mr, tc, info, codec, nil)
		p.sheet = mr.sheet
		if mr.m.IsQuery() {
			p.states = queryShown(mr)
		} else if mr.m.keepsState() {
			// Rows people may add or delete: the bases say what syncd
			// showed (sheetrows.go), and outlive a restart.
			for _, r := range mr.rows {
				if r.Values != nil { // a deleted row's base stays until a pass saw it gone
					p.states = append(p.states, stateUpdate{Key: r.Key, Cells: mr.m.baseFrom(r.Values)})
				}
			}
		}
		return p
	}
	// The editable cells need the merge: planChanges records its conflicts
	// and base updates in es.
	es := &editState{bases: mr.bases, cells: map[int][]syncd.Cell{}}
	p := planOps(mr, tc, info, codec, es)
	p.conflicts, p.states = es.conflicts, es.states
	p.sheet = mr.sheet
	return p
}

// planOps plans the ops on one mirror's tab; es is nil for a mirror
// without editable columns.
func planOps(mr mirrorRead, tc tabCells, info syncd.SpreadsheetInfo, codec syncd.Codec, es *editState) mirrorPlan {
	m, loc := mr.m, info.TimeZone
	p := mirrorPlan{m: m, full: mr.full, changes: mr.changes, tab: mr.tab}
	if !mr.hasTab {
		id := newSheetID(info, m.Name)
		// The new grid's size is Google's choice (it holds at least the
		// header and the rows): left unknown until the next Info.
		title := chooseTitle(info, m.Sheet, id, false)
		p.titleClash = title.clash
		p.tab = syncd.TabInfo{SheetID: id, Title: title.title, FrozenRows: 1}
		p.ops = append(p.ops, syncd.AddTab{SheetID: id, Title: title.title, Header: m.header(), Formats: m.formats(codec)})
		ops, st := m.planChanges(id, tabKeys{rows: map[string][]int{}}, mr.rows, codec, loc, es)
		p.ops = append(p.ops, ops...)
		// Born protected, in the same call: reconcile finds nothing to add.
		p.ops = append(p.ops, protectOps(m, &mirrorDiff{}, p.tab, p.ops)...)
		p.stats = st
		// AddTab makes Google's default grid, which the append grows.
		p.tab.RowCount, p.tab.ColCount = max(syncd.NewTabRows, 1+st.Appended), max(syncd.NewTabCols, len(m.Columns))
		return p
	}
	var tk tabKeys
	headerOK := true
	if mr.full {
		// Rows inserted above the header, mirrored columns deleted: put
		// back first, in the same call, so no value lands in the wrong
		// place.
		st := repairStructure(p.tab, tc.grid, m.header(), mr.layout)
		p.ops, headerOK = st.ops, st.headerOK
		if es != nil {
			es.restored = st.restored
		}
		grid := st.grid
		if len(grid) > 0 {
			grid = grid[1:]
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
			m.wholeRowCells(tc, es)
		}
	}
	if !mr.full && p.tab.FrozenRows != 1 {
		// A person froze more rows, or none: the header alone is frozen.
		p.ops = append(p.ops, syncd.FormatColumns{SheetID: p.tab.SheetID, Header: m.header(), Formats: m.formats(codec)})
		p.tab.FrozenRows = 1
	}
	title := chooseTitle(info, m.Sheet, p.tab.SheetID, true)
	p.titleClash = title.clash
	if p.tab.Title != title.title {
		p.ops = append(p.ops, syncd.RenameTab{SheetID: p.tab.SheetID, Title: title.title})
		p.tab.Title = title.title
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
		p.conflicts = append(p.conflicts, typedIntoReport(m, mr, tk, gone)...)
	}
	ops, st := m.planChanges(p.tab.SheetID, tk, rows, codec, loc, es)
	p.rowOpsAt, p.readTab = len(p.ops), p.tab
	p.ops = append(p.ops, ops...)
	p.stats = st
	p.aim, p.order, p.rowOps = tk.aim(m, ops, es), tk.order(), ops
	p.was = tk.believed(m, mr.bases, es, codec, loc)
	// A grid a person made narrower or shorter grows first; the tab is
	// remembered as the ops leave it, so the next batch's reads and
	// deletes are bounded by it.
	n := len(p.ops)
	p.ops, p.tab = withGrid(p.tab, p.ops)
	p.rowOpsAt += len(p.ops) - n
	return p
}

// queryShown returns the row_state updates that keep a query tab's shown
// keys (empty bases) in step with a full refresh: new keys recorded, keys
// gone from the result forgotten. Only a full refresh knows the result.
func queryShown(mr mirrorRead) []stateUpdate {
	if !mr.full {
		return nil
	}
	var out []stateUpdate
	in := make(map[string]bool, len(mr.rows))
	for _, r := range mr.rows {
		in[r.Key] = true
		if _, shown := mr.bases[r.Key]; !shown {
			out = append(out, stateUpdate{Key: r.Key, Cells: base{}})
		}
	}
	for k := range mr.bases {
		if !in[k] {
			out = append(out, stateUpdate{Key: k})
		}
	}
	return out
}

// typedIntoReport returns a sheet_only_row conflict for each row of a
// query tab that a refresh removes and syncd never wrote: a person typed
// it, and a report tab takes nothing back, but nothing typed vanishes
// unrecorded. Before syncd recorded any shown key (a tab from an older
// version) nothing can be told apart, and nothing is recorded.
func typedIntoReport(m *mirror, mr mirrorRead, tk tabKeys, gone []string) []Conflict {
	if !m.IsQuery() || len(mr.bases) == 0 {
		return nil
	}
	var out []Conflict
	for _, k := range gone {
		if _, shown := mr.bases[k]; shown {
			continue
		}
		for _, r := range tk.rows[k] {
			out = append(out, Conflict{Mirror: m.Name, Key: m.keyMap(k), SheetValue: m.rowText(tk.cells[r]),
				Reason:  store.ReasonSheetOnlyRow,
				Message: fmt.Sprintf("row %d of report tab %q was not written by syncd (it is not in the query's result); a report takes no rows back, so it was removed from the tab", r+1, m.Sheet)})
		}
	}
	return out
}
