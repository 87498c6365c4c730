package syncer

import (
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
}

// keepRows plans the KeepRows ops that keep the rows a write replaces or
// deletes by index (rows, indexes into order as read, whose keys order
// holds) from row at of the mirror's kept-rows tab on, creating or
// growing that tab as needed. cols is the width of the mirror's tab.
func (m *mirror) keepRows(info syncd.SpreadsheetInfo, tab syncd.TabInfo, order []string, rows []int, at, cols int) keeping {
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
		kt = syncd.TabInfo{SheetID: id, Title: keptTitlePrefix + m.Name, RowCount: need, ColCount: cols}
		k.ops = append(k.ops, syncd.AddTab{SheetID: id, Title: kt.Title, Hidden: true, Rows: need, Cols: cols})
	case kt.RowCount < need || kt.ColCount < cols:
		grow := syncd.GrowGrid{SheetID: kt.SheetID, Rows: max(need-kt.RowCount, 0), Cols: max(cols-kt.ColCount, 0)}
		kt.RowCount, kt.ColCount = max(kt.RowCount, need), max(kt.ColCount, cols)
		k.ops = append(k.ops, grow)
	}
	for _, run := range runs {
		k.ops = append(k.ops, syncd.KeepRows{SheetID: tab.SheetID, From: run[0], To: run[1], Cols: cols, ToSheetID: kt.SheetID, At: at})
		keys := make([]string, 0, run[1]-run[0])
		for r := run[0]; r < run[1]; r++ {
			key := ""
			if r < len(order) {
				key = order[r]
			}
			keys = append(keys, key)
		}
		k.runs = append(k.runs, store.KeptRun{At: at, Keys: keys})
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
	for _, run := range in.unverified.Kept {
		for j, want := range run.Keys {
			row := cellAt2(in.kept, run.At+j)
			got, ok := m.cellKey(row, codec, in.loc)
			if (ok && got == want) || (want == "" && !ok) {
				continue // the row syncd's read saw there (or a row without a key where one was)
			}
			missed++
			left := map[int]bool{} // columns the write left alone: still in the tab
			if a, aimed := in.unverified.Rows[want]; aimed {
				for _, c := range a.Cols {
					left[c] = true
				}
			}
			i, known := dbIndex[got]
			for c, col := range m.Columns {
				cell := cellAt(row, c)
				if cell.Type == syncd.CellEmpty || left[c] {
					continue
				}
				if ok && known {
					if w, _ := codec.Encode(col, in.rows[i].Values[c], in.loc); w == cell || sameValue(col, cell, in.rows[i].Values[c], codec, in.loc) {
						continue
					}
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

// cellAt2 returns row r of grid, or nil.
func cellAt2(grid [][]syncd.Cell, r int) []syncd.Cell {
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
	k := m.keepRows(d.info, d.readTab, d.order, rows, d.keptAt, d.readTab.ColCount)
	if len(k.ops) == 0 {
		return
	}
	d.ops = insertOps(d.ops, d.rowOpsStart, k.ops)
	d.rowOpsEnd += len(k.ops)
	d.aim.Kept, d.aim.KeptRows, d.keptTab = k.runs, k.used, k.tab
}
