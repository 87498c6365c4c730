package syncer

import (
	"fmt"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// A write by row index aims at rows as syncd read them; a person may have
// moved, replaced or deleted rows before it landed (ARCHITECTURE.md,
// "Positions are never trusted"). What it aims at is recorded before it is
// sent (store.Unverified) and checked by the next full read unless the
// Drive version proves nothing else happened (typedover.go).

// aimOf returns what positional writes aim at. order holds the key of
// each tab row as read (index 0 the header; "" for rows without a key);
// written and deleted are the rows written and deleted by index, indexes
// into order; kept, when not nil, returns for a written row the mirrored
// columns the write leaves alone and their cells as read. Appends aim at
// nothing: Google puts them after the last row, wherever rows went.
func aimOf(order []string, written, deleted []int, kept func(r int) ([]int, []syncd.Cell)) store.Unverified {
	gone := make(map[int]bool, len(deleted))
	for _, r := range deleted {
		gone[r] = true
	}
	keyed := func(r, step int) string {
		for i := r + step; i >= 1 && i < len(order); i += step {
			if !gone[i] && order[i] != "" {
				return order[i]
			}
		}
		return ""
	}
	var u store.Unverified
	for _, r := range written {
		if r >= len(order) || order[r] == "" || gone[r] {
			continue
		}
		a := store.Aim{Above: keyed(r, -1), Below: keyed(r, 1)}
		if kept != nil {
			var cells []syncd.Cell
			a.Cols, cells = kept(r)
			a.Cells, _ = fingerprint(cells, seq(len(cells)))
		}
		if u.Rows == nil {
			u.Rows = map[string]store.Aim{}
		}
		u.Rows[order[r]] = a
	}
	for r := range gone {
		if r < len(order) && order[r] != "" {
			u.Removed = append(u.Removed, order[r])
		}
		if gone[r-1] {
			continue // not the top of its run
		}
		end := r
		for gone[end] {
			end++
		}
		u.Removals = append(u.Removals, [2]string{keyed(r, -1), keyed(end-1, 1)})
	}
	return u
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// checkAim compares what unverified writes of syncd's aimed at with the
// tab as read. A written row is unsure — its cells may be another
// record's, so none is read as an edit — when its keyed neighbours are not
// the ones aimed at, when the cells the write left alone are not what
// syncd read there, or when the tab shows any other doubt (a paste, a
// cut, an overtyped key can replace a row in place without moving its
// neighbours). A deleted run whose neighbours are not adjacent, or any
// unsure row, is a doubt: no missing row is a deletion in this pass.
// Below a row aimed at as the last, and after a deleted run that was, rows
// syncd appended since may stand: only "above" counts there. A
// tab people changed after a write that did land reads the same: the
// stricter answer.
//
// When the rows the writes replaced were kept and read back (keep.go),
// they tell exactly what each write hit, and this check is not needed:
// it is the fallback for a kept-rows tab a person deleted.
func (m *mirror) checkAim(sc *tabScan, u store.Unverified, grid [][]syncd.Cell, keptRead bool) {
	if u.Clean() || (keptRead && len(u.Kept) > 0) {
		return
	}
	type place struct {
		row          int
		above, below string
	}
	at := map[string]place{}
	var prev string
	prevRow := -1
	for r := 1; r < len(sc.key); r++ {
		if sc.blank[r] || !sc.ok[r] {
			continue
		}
		k := sc.key[r]
		if prevRow >= 0 {
			if p := at[prev]; p.row == prevRow {
				p.below = k
				at[prev] = p
			}
		}
		if _, dup := at[k]; !dup {
			at[k] = place{row: r, above: prev}
		}
		prev, prevRow = k, r
	}
	elsewhere := len(sc.doubts) > 0
	for k, a := range u.Rows {
		p, present := at[k]
		if !present {
			continue // gone from the tab: a missing row, judged below
		}
		var kept []syncd.Cell
		for _, c := range a.Cols {
			kept = append(kept, cellAt(grid[p.row], c))
		}
		cells, _ := fingerprint(kept, seq(len(kept)))
		// A row aimed at as the last may have got rows below it since:
		// syncd's own appends land there.
		belowMoved := a.Below != "" && p.below != a.Below
		if elsewhere || p.above != a.Above || belowMoved || cells != a.Cells {
			sc.unsure[k] = true
		}
	}
	for _, run := range u.Removals {
		a, b := run[0], run[1]
		adjacent := false
		switch {
		case b == "":
			// The run was the last: appends may follow it since. A row
			// the run was to remove that is still shown is the other
			// witness (a key Postgres deleted, tabscan.go).
			_, present := at[a]
			adjacent = a == "" || present
		default:
			p, present := at[b]
			adjacent = present && p.above == a
		}
		if !adjacent {
			sc.doubts = append(sc.doubts, fmt.Sprintf("rows syncd deleted by position between keys %s and %s may not be the ones it aimed at", m.keyOrTop(a), m.keyOrTop(b)))
			break
		}
	}
	if len(sc.unsure) > 0 {
		sc.doubts = append(sc.doubts, fmt.Sprintf("%d row(s) syncd wrote by position are not where, or not what, it aimed at", len(sc.unsure)))
	}
}

func (m *mirror) keyOrTop(k string) string {
	if k == "" {
		return "(none)"
	}
	return m.keyLabel(k)
}

// keptCells returns the mirrored columns of tab row r that ops leave
// alone, and their cells in the row as read.
func (m *mirror) keptCells(ops []syncd.Op, r int, row []syncd.Cell) ([]int, []syncd.Cell) {
	written := make([]bool, len(m.Columns))
	for _, op := range ops {
		if w, ok := op.(syncd.WriteRows); ok && r >= w.Row && r < w.Row+len(w.Rows) {
			for c := w.Col; c < w.Col+len(w.Rows[r-w.Row]) && c < len(written); c++ {
				written[c] = true
			}
		}
	}
	var cols []int
	var cells []syncd.Cell
	for c, done := range written {
		if !done {
			cols = append(cols, c)
			cells = append(cells, cellAt(row, c))
		}
	}
	return cols, cells
}

// aimAt returns what a pass's row writes and removals aim at (aimOf).
func (d *mirrorDiff) aimAt(m *mirror) store.Unverified {
	return aimOf(d.order, d.written, d.removes, func(r int) ([]int, []syncd.Cell) {
		return m.keptCells(d.rowOps, r, d.grid[r])
	})
}

// rewriteCell adds to the pass's writes one cell of tab row r put back to
// the database's value (a refused edit), with the row's key cells, and
// aims again.
func (d *mirrorDiff) rewriteCell(m *mirror, codec syncd.Codec, r, col int, values []syncd.Value, loc *time.Location) {
	var ops []syncd.Op
	for _, c := range append([]int{col}, m.Key...) {
		cell, _ := codec.Encode(m.Columns[c], values[c], loc)
		ops = append(ops, syncd.WriteRows{SheetID: d.tab.SheetID, Row: r, Col: c, Rows: [][]syncd.Cell{{cell}}})
	}
	d.ops = insertOps(d.ops, d.rowOpsEnd, ops)
	d.rowOpsEnd += len(ops)
	d.rowOps = append(d.rowOps, ops...)
	d.written = append(d.written, r)
	d.aim = d.aimAt(m)
}
