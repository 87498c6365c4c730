package syncer

import (
	"context"
	"strings"
	"time"

	"github.com/syncd/syncd"
	"go.uber.org/zap"
)

// A batch reads the key and editable columns of its tabs before it writes
// (batch_read.go), because people may have moved, typed or deleted rows
// since. When the spreadsheet's Drive version says nothing at all happened
// since syncd's own last write to it, those columns are what syncd left
// there, and the read would return what syncd already knows. The key cache
// keeps, per spreadsheet and tab, the key and editable columns as syncd
// left them, and serves a batch from it instead of reading.
//
// It is strict; any doubt reads as today:
//
//   - an entry is made only after a batch whose write provably landed on
//     the state it planned on: the version before the write is the one the
//     batch's basis was taken at (the cache's, or the change poll's known
//     version before its read), and the version after moved by exactly one
//     (trackedSheet.applyBracketed). It is valid at that version after
//     the write, and only there: any later change of the spreadsheet — a
//     person's, a sheet pass's, the conflicts tab's, a failed write that
//     landed — moves the version and the entry is never served again;
//   - it is served only when the version Drive tells now is that version,
//     the change poll has accounted for it and knows of no unseen change
//     (not dirty, no skipped rows), and the batch needs no whole rows, no
//     full resync, no layout change, and every tab it reads has an entry;
//   - the entry is the batch's own read (or the entry it was served from)
//     with the batch's ops applied: cell writes keep positions, deletes
//     shift rows up. Appended rows land "after the last row with data",
//     which a person's cell in a column syncd does not read may push down:
//     their keys are kept apart (tail) and a batch that needs one of them
//     reads. Any other op on the tab (a sort, a column or header change,
//     a new tab), a cell whose read-back might differ from what was
//     written, or a write below the known rows drops the tab's entry;
//   - a batch that writes a spreadsheet drops its entry first: only a
//     batch that commits puts one back.
//
// One Drive call (the version) replaces the Sheets read: the change poll
// asks Drive anyway, and Drive quota is not the Sheets read quota.

// sheetCache is the key cache of one spreadsheet.
type sheetCache struct {
	at   int64               // the Drive version it is valid at
	tabs map[int64]*tabCache // by sheet id
}

// tabCache is one tab's key and editable columns as syncd left them.
type tabCache struct {
	mirror string
	head   []syncd.Cell
	// cols holds, by mirrored column index (keys and editable), the cells
	// of tab rows 1..n (cols[c][i] is row i+1).
	cols map[int][]syncd.Cell
	n    int
	// tail are the keys of rows syncd appended below the n known rows,
	// at positions it cannot tell.
	tail map[string]bool
}

// cachedCols are the mirrored column indexes a key read returns below the
// header: the keys, then the editable ones.
func cachedCols(m *mirror) []int { return append(append([]int(nil), m.Key...), m.Editable...) }

// serveKeys fills out, for the mirrors of spreadsheet key, with the
// cached key and editable columns when nothing happened to the
// spreadsheet since syncd's own last write (see above); it reports whether
// it did, in which case the read is not needed.
func (s *Syncer) serveKeys(ctx context.Context, read *batchRead, key string, out []tabCells) bool {
	vs := s.versionsOf(key)
	if vs == nil || read.wholeRows {
		return false
	}
	vs.mu.Lock()
	sc := vs.keys
	vs.mu.Unlock()
	if sc == nil {
		return false
	}
	serve := map[int]*tabCache{}
	for i, mr := range read.mirrors {
		if mr.sheet != key || !mr.hasTab {
			continue
		}
		tc := sc.tabs[mr.tab.SheetID]
		if mr.full || mr.layout != nil || !keysReadable(mr.tab, mr.m) || tc == nil || tc.mirror != mr.m.Name {
			return false
		}
		for _, r := range mr.rows {
			if tc.tail[r.Key] {
				return false
			}
		}
		serve[i] = tc
	}
	if len(serve) == 0 {
		return false
	}
	v, err := vs.v.Version(ctx)
	if err != nil || v != sc.at || !vs.quietAt(v) {
		if err == nil && v != sc.at {
			vs.dropKeys() // the spreadsheet changed: never valid again
		}
		return false
	}
	for i, tc := range serve {
		out[i] = tc.cells(read.mirrors[i].m)
	}
	read.noteBasis(key, v)
	s.log.Debug("key read skipped: nothing happened since syncd's own write", zap.Int64("version", v))
	return true
}

// quietAt reports whether the change poll has accounted for version v
// and knows of no change it has not looked at.
func (vs *versions) quietAt(v int64) bool {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.has && !vs.dirty && !vs.skipped && vs.known == v
}

// basisAt is the version a read of the tabs taken now sees, as far as
// syncd can tell: the known version when the change poll knows of no
// unseen change (ok false otherwise).
func (vs *versions) basisAt() (int64, bool) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.known, vs.has && !vs.dirty
}

// noteBasis records the version the batch's tab cells of spreadsheet key
// were taken at.
func (r *batchRead) noteBasis(key string, v int64) {
	if r.basis == nil {
		r.basis = map[string]int64{}
	}
	r.basis[key] = v
}

// cells is what a key read of the tab would return, with the keys whose
// rows it cannot place.
func (tc *tabCache) cells(m *mirror) tabCells {
	out := tabCells{head: append([]syncd.Cell(nil), tc.head...), tail: map[string]bool{}}
	for k := range tc.tail {
		out.tail[k] = true
	}
	col := func(c int) [][]syncd.Cell {
		var rows [][]syncd.Cell
		for i, cell := range tc.cols[c] {
			if cell.Type != syncd.CellEmpty {
				for len(rows) < i {
					rows = append(rows, []syncd.Cell{})
				}
				rows = append(rows, []syncd.Cell{cell})
			}
		}
		return rows
	}
	for _, c := range m.Key {
		out.keys = append(out.keys, col(c))
	}
	for _, c := range m.Editable {
		out.editable = append(out.editable, col(c))
	}
	return out
}

// dropKeys forgets the spreadsheet's key cache.
func (vs *versions) dropKeys() {
	vs.mu.Lock()
	vs.keys = nil
	vs.mu.Unlock()
}

// takeKeys is called as a batch writes the spreadsheet: the entry is no
// longer served, and is kept aside for rememberKeys (what the write does
// not touch stays valid if the write provably landed).
func (vs *versions) takeKeys() {
	vs.mu.Lock()
	vs.writing, vs.keys = vs.keys, nil
	vs.mu.Unlock()
}

// rememberKeys updates the key cache after a batch committed: for each
// spreadsheet it wrote, the entry is dropped and, when the write provably
// landed on the state the batch planned on, rebuilt from the batch's tab
// cells and ops. A spreadsheet the batch did not write keeps its entry.
func (s *Syncer) rememberKeys(read *batchRead, tabs []tabCells, plan batchPlan, pre preWrites, landed map[string]bool, infos map[string]syncd.SpreadsheetInfo) {
	for _, k := range plan.writtenKeys() {
		vs := s.versionsOf(k)
		if vs == nil {
			continue
		}
		vs.mu.Lock()
		old := vs.writing
		vs.writing, vs.keys = nil, nil
		vs.mu.Unlock()
		p, hasPre := pre[k]
		basis, hasBasis := read.basis[k]
		if !landed[k] || !hasPre || p.err != nil || !hasBasis || p.v != basis {
			continue
		}
		sc := &sheetCache{at: p.v + 1, tabs: map[int64]*tabCache{}}
		if old != nil && old.at == p.v {
			for id, tc := range old.tabs {
				sc.tabs[id] = tc // not written by this batch: dropped below if it was
			}
		}
		loc := infos[k].TimeZone
		if loc == nil {
			loc = time.UTC
		}
		for i, mr := range read.mirrors {
			if mr.sheet != k || !mr.hasTab {
				continue
			}
			delete(sc.tabs, mr.tab.SheetID)
			if mr.full || mr.layout != nil || tabs[i].narrow || tabs[i].keys == nil && len(mr.m.Key) > 0 {
				continue
			}
			tc := newTabCache(mr.m, tabs[i])
			if tc.apply(mr.m, opsOf(plan, mr.m), s.opts.Codec, loc) {
				sc.tabs[mr.tab.SheetID] = tc
			}
		}
		if len(sc.tabs) > 0 {
			vs.mu.Lock()
			vs.keys = sc
			vs.mu.Unlock()
		}
	}
}

// opsOf are the plan's ops on m's tab (nil when the plan left m out):
// not those that keep rows in the kept-rows tab (keep.go), which copy
// from the tab and change nothing in it.
func opsOf(plan batchPlan, m *mirror) []syncd.Op {
	for _, p := range plan.mirrors {
		if p.m != m {
			continue
		}
		var out []syncd.Op
		for _, op := range p.ops {
			if !p.keepsRows(op) {
				out = append(out, op)
			}
		}
		return out
	}
	return nil
}

// newTabCache builds a tab's entry from what a key read returned, or
// the key cache served (whose appended keys stay unplaced).
func newTabCache(m *mirror, tc tabCells) *tabCache {
	out := &tabCache{mirror: m.Name, head: append([]syncd.Cell(nil), tc.head...), cols: map[int][]syncd.Cell{}, tail: map[string]bool{}}
	for k := range tc.tail {
		out.tail[k] = true
	}
	read := func(c int, rows [][]syncd.Cell) {
		out.n = max(out.n, len(rows))
		cells := make([]syncd.Cell, len(rows))
		for i, r := range rows {
			if len(r) > 0 {
				cells[i] = r[0]
			}
		}
		out.cols[c] = cells
	}
	for j, c := range m.Key {
		read(c, tc.keys[j])
	}
	for j, c := range m.Editable {
		read(c, tc.editable[j])
	}
	for c, cells := range out.cols {
		for len(cells) < out.n {
			cells = append(cells, syncd.Cell{})
		}
		out.cols[c] = cells
	}
	return out
}

// apply replays one batch's ops on the entry, as Google applies them; it
// reports false when the entry cannot say what the tab holds after them.
func (tc *tabCache) apply(m *mirror, ops []syncd.Op, codec syncd.Codec, loc *time.Location) bool {
	for _, op := range ops {
		var ok bool
		switch op := op.(type) {
		case syncd.WriteRows:
			ok = tc.write(op)
		case syncd.DeleteRows:
			ok = tc.delete(op)
		case syncd.AppendRows:
			ok = tc.append(m, op, codec, loc)
		case syncd.GrowGrid, syncd.ProtectColumns, syncd.RenameTab:
			ok = true // no cell moves or changes
		}
		if !ok {
			return false
		}
	}
	return true
}

// write overwrites cells in place; rows below the known ones (or the
// header) are not something a batch writes, and drop the entry.
func (tc *tabCache) write(op syncd.WriteRows) bool {
	for i, row := range op.Rows {
		r := op.Row + i
		if r < 1 || r > tc.n {
			return false
		}
		for c, cells := range tc.cols {
			if c < op.Col || c >= op.Col+len(row) {
				continue
			}
			cell, ok := readBack(row[c-op.Col])
			if !ok {
				return false
			}
			cells[r-1] = cell
		}
	}
	return true
}

// delete removes rows [Start, End), shifting the rows below up.
func (tc *tabCache) delete(op syncd.DeleteRows) bool {
	if op.Start < 1 || op.End > tc.n+1 || op.Start >= op.End {
		return false
	}
	for c, cells := range tc.cols {
		tc.cols[c] = append(cells[:op.Start-1:op.Start-1], cells[op.End-1:]...)
	}
	tc.n -= op.End - op.Start
	return true
}

// append records the keys of appended rows, whose positions are not known.
func (tc *tabCache) append(m *mirror, op syncd.AppendRows, codec syncd.Codec, loc *time.Location) bool {
	for _, row := range op.Rows {
		key, ok := m.cellsKey(func(j int) syncd.Cell { return cellAt(row, m.Key[j]) }, codec, loc)
		if !ok {
			return false
		}
		tc.tail[key] = true
	}
	return true
}

// readBack is what a read returns for a cell syncd wrote, when that is
// certain: an empty text reads as an empty cell; errors, text a read could
// take for one, and text with a leading apostrophe (which Sheets may treat
// as a quote prefix) are not cached.
func readBack(c syncd.Cell) (syncd.Cell, bool) {
	switch c.Type {
	case syncd.CellEmpty, syncd.CellNumber, syncd.CellBool:
		return c, true
	case syncd.CellString:
		if c.String == "" {
			return syncd.Cell{}, true
		}
		return c, !strings.HasPrefix(c.String, "#") && !strings.HasPrefix(c.String, "'")
	}
	return syncd.Cell{}, false
}
