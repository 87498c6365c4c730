package syncer

import (
	"crypto/rand"
	"fmt"
	"slices"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// Nothing a person typed is lost, even to a write of syncd's that lands on
// the wrong row. The Sheets API has no compare-and-set: a write by row
// index replaces whatever row a person moved there between syncd's read
// and the write. So every such write first copies the rows it is about to
// replace or delete into a hidden tab of the mirror's own ("syncd kept
// rows: NAME"), in the same atomic batchUpdate (syncd.KeepRows): the copy
// is taken as Google applies the batch, so it holds what the write really
// replaced. The next full read compares each kept row with the key syncd's
// read saw there: the same key, the write hit what it aimed at; another,
// the kept row is what a person had there, and every value in it that the
// table does not hold is kept in syncd.conflicts (reason overwritten),
// the tab is doubted (aim.go) and repaired from Postgres. Kept rows are
// used only while a write is unverified (store.Unverified): a write the
// Drive version proves landed clears them with the rest.

// keptTitlePrefix starts the title of a mirror's kept-rows tab.
const keptTitlePrefix = "syncd kept rows: "

// keptTab returns the mirror's kept-rows tab in info, if it has one.
func (m *mirror) keptTab(info syncd.SpreadsheetInfo) (syncd.TabInfo, bool) {
	return info.Tab(keptTitlePrefix + m.Name)
}

// keeping is what keepRows adds to a write: the ops (to put before the
// write's row ops), the runs they keep, and the kept-rows tab as the ops
// leave it.
type keeping struct {
	ops  []syncd.Op
	runs []store.KeptRun
	used int
	tab  syncd.TabInfo
	// unsure: the write replaces cells syncd neither read nor has a base
	// of, so its kept rows must be checked even if the write landed.
	unsure bool
}

// keepRows plans the KeepRows ops that keep the rows a write replaces or
// deletes by index (rows, indexes into order as read, whose keys order
// holds) from row at of the mirror's kept-rows tab on, creating or
// growing that tab as needed. cols is the width of the mirror's tab.
//
// was, when not nil, returns for row r the cells syncd believes are there
// (what it read, else what it last wrote; a nil cell: cannot tell), and
// writes are the ops whose cells it writes there.
//
// prior, the state before this write (store.Unverified), tells what an
// earlier write that may have landed put in a row syncd has no base of
// yet (its bookkeeping never committed): a cell showing that is not typed.
func (m *mirror) keepRows(info syncd.SpreadsheetInfo, tab syncd.TabInfo, order []string, rows []int, at, cols int, was func(r int) []*syncd.Cell, writes []syncd.Op, prior store.Unverified) keeping {
	rows = slices.Compact(slices.Sorted(slices.Values(rows)))
	var k keeping
	var runs [][2]int
	for _, r := range rows {
		if r < 1 || (tab.RowCount > 0 && r >= tab.RowCount) {
			continue
		}
		if n := len(runs); n > 0 && runs[n-1][1] == r {
			runs[n-1][1]++
		} else {
			runs = append(runs, [2]int{r, r + 1})
		}
	}
	if len(runs) == 0 {
		return k
	}
	cols = max(cols, len(m.Columns), 1)
	width := cols + 1 // and the token
	need := at
	for _, run := range runs {
		need += run[1] - run[0]
	}
	kt, ok := m.keptTab(info)
	switch {
	case !ok:
		id := newSheetID(info, keptTitlePrefix+m.Name)
		if id == tab.SheetID {
			id = id%0x3fffffff + 1
		}
		kt = syncd.TabInfo{SheetID: id, Title: keptTitlePrefix + m.Name, RowCount: need, ColCount: width}
		k.ops = append(k.ops, syncd.AddTab{SheetID: id, Title: kt.Title, Hidden: true, Rows: need, Cols: width})
	case kt.RowCount < need || kt.ColCount < width:
		grow := syncd.GrowGrid{SheetID: kt.SheetID, Rows: max(need-kt.RowCount, 0), Cols: max(width-kt.ColCount, 0)}
		kt.RowCount, kt.ColCount = max(kt.RowCount, need), max(kt.ColCount, width)
		k.ops = append(k.ops, grow)
	}
	token := newToken()
	for _, run := range runs {
		n := run[1] - run[0]
		marks := make([][]syncd.Cell, n)
		for i := range marks {
			marks[i] = []syncd.Cell{syncd.StringCell(token)}
		}
		k.ops = append(k.ops, syncd.KeepRows{SheetID: tab.SheetID, From: run[0], To: run[1], Cols: cols, ToSheetID: kt.SheetID, At: at},
			syncd.WriteRows{SheetID: kt.SheetID, Row: at, Col: cols, Rows: marks})
		kr := store.KeptRun{At: at, Token: token, Cols: cols}
		for r := run[0]; r < run[1]; r++ {
			key := ""
			if r < len(order) {
				key = order[r]
			}
			kr.Keys = append(kr.Keys, key)
			if was != nil && run[1]-run[0] <= maxWitnessed {
				w, n := m.witness(r, was(r), writes)
				for c := range w {
					// A cell the write replaces unread and without a base:
					// only the kept copy can tell whether a person typed it.
					k.unsure = k.unsure || (w[c] == "?" && n[c] != "")
				}
				fillFromPrior(w, prior, kr.Keys[len(kr.Keys)-1])
				kr.Was, kr.Now = append(kr.Was, w), append(kr.Now, n)
			}
		}
		k.runs = append(k.runs, kr)
		at += run[1] - run[0]
	}
	k.used, k.tab = at, kt
	return k
}

// touched returns the rows ops write or delete by index.
func touched(ops []syncd.Op) []int {
	var out []int
	for _, op := range ops {
		switch op := op.(type) {
		case syncd.WriteRows:
			for i := range op.Rows {
				out = append(out, op.Row+i)
			}
		case syncd.DeleteRows:
			for r := op.Start; r < op.End; r++ {
				out = append(out, r)
			}
		}
	}
	return out
}

// insertOps returns ops with more inserted at index at.
func insertOps(ops []syncd.Op, at int, more []syncd.Op) []syncd.Op {
	out := make([]syncd.Op, 0, len(ops)+len(more))
	out = append(out, ops[:at]...)
	out = append(out, more...)
	return append(out, ops[at:]...)
}

// checkKept compares the rows unverified writes kept (in.kept, the
// kept-rows tab as read) with the keys syncd's read saw there. A kept row
// showing another row is what a write replaced by mistake: each of its
// values the table does not hold (in the columns the write replaced) is a
// conflict, and the tab is doubted.
func (m *mirror) checkKept(sc *tabScan, in diffInput, dbIndex map[string]int, codec syncd.Codec) []Conflict {
	var out []Conflict
	missed := 0
	if !in.keptRead {
		return nil // no kept rows to read (a person deleted the tab): aim.go decides
	}
	for _, run := range in.unverified.Kept {
		for j, want := range run.Keys {
			row := rowAt(in.kept, run.At+j)
			if cellAt(row, run.Cols).String != run.Token {
				continue // the write never landed (a kill before it): it replaced nothing
			}
			got, ok := m.cellKey(row, codec, in.loc)
			if rowEmpty(row, len(m.Columns)) {
				got, ok = "", false // a blank row, not the empty-string key
			}
			if (ok && got == want) || (want == "" && !ok) {
				// The row syncd's read saw there (or a row without a key
				// where one was): what it replaced that syncd did not
				// expect was typed while the write was under way.
				if j < len(run.Was) {
					out = append(out, m.typedMeanwhile(row, run.Was[j], run.Now[j], got, ok)...)
				}
				continue
			}
			missed++
			if want != "" {
				// The write meant for want hit another row: the row now
				// showing want may hold that row's other cells.
				sc.unsure[want] = true
			}
			// The columns the write left alone are the other row's too,
			// now under want's key: recorded here under their own key,
			// and not again as want's (diffRow, d.handed).
			if a, aimed := in.unverified.Rows[want]; aimed && want != "" {
				for _, c := range a.Cols {
					if sc.handed[want] == nil {
						sc.handed[want] = map[int]string{}
					}
					sc.handed[want][c] = cellPrint(cellAt(row, c))
				}
			}
			i, known := dbIndex[got]
			b, based := in.bases[got]
			for c, col := range m.Columns {
				cell := cellAt(row, c)
				if cell.Type == syncd.CellEmpty {
					continue
				}
				// What the table holds, or what syncd last wrote there,
				// is no one's typing.
				if ok && known && sameValue(col, cell, in.rows[i].Values[c], codec, in.loc) {
					continue
				}
				if v, ok2 := b.Value(col.Name); ok && based && ok2 && sameValue(col, cell, v, codec, in.loc) {
					continue
				}
				var key map[string]string
				if ok {
					key = m.keyMap(got)
				}
				out = append(out, Conflict{Mirror: m.Name, Key: key, Column: col.Name, SheetValue: cellText(cell), Reason: store.ReasonOverwritten,
					Message: fmt.Sprintf("a write of syncd's meant for key %s replaced this row after rows were moved; the value it replaced is kept here", m.keyOrTop(want))})
			}
		}
	}
	if missed > 0 {
		sc.doubts = append(sc.doubts, fmt.Sprintf("%d row(s) syncd wrote by position were not the rows it aimed at", missed))
	}
	return out
}

// rowAt returns row r of grid, or nil.
func rowAt(grid [][]syncd.Cell, r int) []syncd.Cell {
	if r >= 0 && r < len(grid) {
		return grid[r]
	}
	return nil
}

// keepBeforeWrite puts before a pass's row writes the ops that keep what
// they replace or delete: the rows it rewrites, removes, or writes a typed
// row's stored values into.
func (d *mirrorDiff) keepBeforeWrite(m *mirror) {
	rows := append(append([]int(nil), d.written...), d.removes...)
	for _, ins := range d.sheetRows.inserts {
		if ins.done {
			rows = append(rows, ins.row)
		}
	}
	was := func(r int) []*syncd.Cell {
		out := make([]*syncd.Cell, len(m.Columns))
		for c := range out {
			cell := cellAt(rowAt(d.grid, r), c)
			out[c] = &cell
		}
		return out
	}
	k := m.keepRows(d.info, d.readTab, d.order, rows, d.keptAt, d.readTab.ColCount, was, d.ops, store.Unverified{})
	if len(k.ops) == 0 {
		return
	}
	d.ops = insertOps(d.ops, d.rowOpsStart, k.ops)
	d.rowOpsEnd += len(k.ops)
	d.aim.Kept, d.aim.KeptRows, d.keptTab = k.runs, k.used, k.tab
}

// maxWitnessed bounds the rows of one kept run whose cells are recorded
// (a full resync may rewrite a whole tab; past it only keys are checked).
const maxWitnessed = 2000

// witness renders, for tab row r, the cells syncd believes are there
// (was, "?" where it cannot tell) and those writes put there ("" where
// they write nothing; a deleted row: every column "").
func (m *mirror) witness(r int, was []*syncd.Cell, writes []syncd.Op) (w, n []string) {
	w, n = make([]string, len(m.Columns)), make([]string, len(m.Columns))
	for c := range m.Columns {
		w[c] = "?"
		if c < len(was) && was[c] != nil {
			w[c] = cellPrint(*was[c])
		}
	}
	for _, op := range writes {
		if op, ok := op.(syncd.WriteRows); ok && r >= op.Row && r < op.Row+len(op.Rows) {
			for i, cell := range op.Rows[r-op.Row] {
				if c := op.Col + i; c < len(n) {
					n[c] = cellPrint(cell)
				}
			}
		}
	}
	return w, n
}

// cellPrint renders one cell for the kept-rows record; never "" or "?".
func cellPrint(c syncd.Cell) string {
	p, _ := fingerprint([]syncd.Cell{c}, []int{0})
	return p
}

// typedMeanwhile returns a conflict for each cell of a kept row that shows
// neither what syncd believed was there nor what it wrote: a person typed
// it while the write was under way, and the write replaced it.
func (m *mirror) typedMeanwhile(row []syncd.Cell, was, now []string, key string, keyed bool) []Conflict {
	var out []Conflict
	for c, col := range m.Columns {
		if c >= len(was) || c >= len(now) || was[c] == "?" || now[c] == "" && len(now) > 0 && anyWritten(now) {
			continue // not written (still in the tab), or nothing to compare with
		}
		got := cellAt(row, c)
		if p := cellPrint(got); p == was[c] || p == now[c] || got.Type == syncd.CellEmpty {
			continue
		}
		var k map[string]string
		if keyed {
			k = m.keyMap(key)
		}
		out = append(out, Conflict{Mirror: m.Name, Key: k, Column: col.Name, SheetValue: cellText(got), Reason: store.ReasonOverwritten,
			Message: fmt.Sprintf("%s was typed while a write of syncd's to this row was under way, and the write replaced it; it is kept here", col.Name)})
	}
	return out
}

// anyWritten reports whether a kept row's record says the write wrote
// cells there (not a deletion, which writes none and replaces all).
func anyWritten(now []string) bool {
	for _, n := range now {
		if n != "" {
			return true
		}
	}
	return false
}

// newToken returns a token no earlier write used.
func newToken() string { return "syncd:" + rand.Text() }

// keepsRows reports whether op is one of the ops that keep rows in the
// mirror's kept-rows tab (keepRows): a KeepRows, or an op on that tab.
func (p mirrorPlan) keepsRows(op syncd.Op) bool {
	kt := p.keptTab.SheetID
	switch op := op.(type) {
	case syncd.KeepRows:
		return true
	case syncd.AddTab:
		return kt != 0 && op.SheetID == kt
	case syncd.GrowGrid:
		return kt != 0 && op.SheetID == kt
	case syncd.WriteRows:
		return kt != 0 && op.SheetID == kt
	}
	return false
}

// fillFromPrior fills the cells a kept row's record cannot tell ("?")
// with what the latest earlier unverified write of that key put there.
func fillFromPrior(w []string, prior store.Unverified, key string) {
	if key == "" {
		return
	}
	for i := len(prior.Kept) - 1; i >= 0; i-- {
		run := prior.Kept[i]
		for j, k := range run.Keys {
			if k != key || j >= len(run.Now) {
				continue
			}
			for c := range w {
				if w[c] == "?" && c < len(run.Now[j]) && run.Now[j][c] != "" {
					w[c] = run.Now[j][c]
				}
			}
		}
	}
}
