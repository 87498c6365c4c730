package syncer

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// A person's edit of a cell that is not editable is recorded by reconcile
// as a not_editable conflict. The change stream reads only the key and
// editable columns, so a batch rewriting a row the application changed (or
// deleting it) used to overwrite such an edit unseen, when it came before
// the next pass (found by TestModelMergeNeverLosesOrMisplacesATypedValue).
//
// With the change poll on (poll.go) the batch knows whether anything
// foreign happened in the spreadsheet since syncd last accounted for it:
//
//   - the Drive version read that precedes every write of syncd's own is
//     taken before the batch stores its conflicts instead of inside Apply
//     (no extra call); when it moved, the batch reads its tabs again with
//     every mirrored column (one more read, only then) and plans again;
//   - while the version is known to have moved and no sheet pass has run
//     since (versions.dirty), or a pass accounted for a version but left
//     rows with queued changes unseen (versions.skipped, until a batch
//     takes every outbox entry it saw), batches read every mirrored column
//     in their one read from the start.
//
// Reading whole rows, the batch compares each non-editable cell it is
// about to overwrite or delete with its base (what syncd last wrote there,
// kept in row_state beside the editable bases, see baseFrom) and with the
// new value: a cell showing neither holds what a person typed, and goes to
// syncd.conflicts as not_editable before the sheet is written. Nobody
// typing costs what it did: the same calls, the same key-column read.
//
// What remains: an edit whose version bump Drive reports only after the
// batch's pre-write version read (typed during the write, or reported
// late) is overwritten unrecorded if the batch writes that very cell; with
// poll_changes 0 nothing tells the batch to look; mirrors without editable
// columns keep no bases, so there is nothing to compare with; and a row
// whose base predates this (written by an older syncd) has no base for its
// non-editable cells until syncd writes it once.

// typedOver returns a not_editable conflict for each non-editable cell of
// a tab row that shows a value syncd did not write: neither its base nor
// (values nil: the row is deleted) the value the batch writes. Only cells
// with a known base count: without one nobody can tell a stale cell from a
// typed one.
func (m *mirror) typedOver(key string, row int, values []syncd.Value, es *editState, codec syncd.Codec, loc *time.Location) []Conflict {
	sheet, ok := es.rows[row]
	if !ok {
		return nil
	}
	var out []Conflict
	b := es.bases[key]
	for _, c := range m.nonEditable() {
		col := m.Columns[c]
		got := cellAt(sheet, c)
		bv, known := b.Value(col.Name)
		if es.restored[c] || got.Type == syncd.CellEmpty {
			continue
		}
		// Without a base (syncd's bookkeeping of its last write never
		// committed) a cell that is not the value written cannot be told
		// from a typed one: kept, the stricter answer.
		if baseCell, _ := codec.Encode(col, bv, loc); known && (got == baseCell || sameValue(col, got, bv, codec, loc)) {
			continue
		}
		cf := Conflict{Mirror: m.Name, Key: m.keyMap(key), Column: col.Name, SheetValue: cellText(got), Reason: store.ReasonNotEditable}
		if values == nil {
			cf.Message = fmt.Sprintf("row %d: %s is not editable; the row was deleted in Postgres and removed from the tab", row+1, col.Name)
		} else {
			if want, _ := codec.Encode(col, values[c], loc); got == want || sameValue(col, got, values[c], codec, loc) {
				continue
			}
			cf.DBValue = valuePtr(values[c])
			cf.Message = fmt.Sprintf("row %d: %s is not editable; the sheet value was overwritten", row+1, col.Name)
		}
		out = append(out, cf)
	}
	return out
}

// wholeRowsDue reports whether a batch must read every mirrored column
// from the start: the change poll knows of a foreign change no sheet pass
// has looked at yet in a spreadsheet the batch writes.
func (s *Syncer) wholeRowsDue(read *batchRead) bool {
	for _, k := range read.sheetKeys() {
		if vs := s.versionsOf(k); vs != nil && vs.wholeRowsDue() {
			return true
		}
	}
	return false
}

// wholeRowsDue is Syncer.wholeRowsDue for one spreadsheet.
func (vs *versions) wholeRowsDue() bool {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return !vs.has || vs.dirty || vs.skipped
}

// sheetKeys are the distinct sheet keys of the batch's mirrors.
func (r *batchRead) sheetKeys() []string {
	var out []string
	seen := map[string]bool{}
	for _, mr := range r.mirrors {
		if !seen[mr.sheet] {
			seen[mr.sheet] = true
			out = append(out, mr.sheet)
		}
	}
	return out
}

// notePending tells the change poll that a pass left rows with queued
// changes unseen: the version it accounted for in that mirror's
// spreadsheet may hide an edit in them, which only the batch that writes
// them can keep.
func (s *Syncer) notePending(rep ReconcileReport) {
	for _, d := range rep.Mirrors {
		m := s.byName[d.Mirror]
		if d.Pending == 0 || m == nil {
			continue
		}
		if vs := s.versionsOf(s.sheetKey(m)); vs != nil {
			vs.mu.Lock()
			vs.skipped = true
			vs.mu.Unlock()
		}
	}
}

// wroteWholeRows tells the change poll that a batch read whole rows and
// took every entry of the outbox it saw (n below MaxBatch): the rows a
// pass skipped in its spreadsheets, queued before it, are written and
// were looked at.
func (s *Syncer) wroteWholeRows(read *batchRead, n int) {
	if !read.wholeRows || n >= s.opts.MaxBatch {
		return
	}
	for _, k := range read.sheetKeys() {
		if vs := s.versionsOf(k); vs != nil {
			vs.mu.Lock()
			vs.skipped = false
			vs.mu.Unlock()
		}
	}
}

// preWrite is the Drive version read before a batch's write.
type preWrite struct {
	v   int64
	err error
}

// preWrites are the version reads that bracket a batch's writes, by sheet
// key: one per polled spreadsheet the batch writes.
type preWrites map[string]preWrite

// hasPre reports whether pre holds the version read before the write to
// the spreadsheet of sheet key k.
func hasPre(pre preWrites, k string) bool {
	_, ok := pre[k]
	return ok
}

// versionBeforeWrite reads, for each polled spreadsheet the plan writes,
// the version that brackets its write (see trackedSheet) and reports
// whether any moved past what syncd accounted for. pre is nil when no
// spreadsheet the plan writes is polled.
func (s *Syncer) versionBeforeWrite(ctx context.Context, plan batchPlan) (pre preWrites, moved bool) {
	for _, k := range plan.writtenKeys() {
		vs := s.versionsOf(k)
		if vs == nil {
			continue
		}
		v, err := vs.v.Version(ctx)
		if pre == nil {
			pre = preWrites{}
		}
		pre[k] = preWrite{v, err}
		moved = moved || err != nil || vs.due(v)
	}
	return pre, moved
}

// writtenKeys are the sheet keys the plan writes ops to, in plan order.
func (p batchPlan) writtenKeys() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range p.mirrors {
		if len(m.ops) > 0 && !seen[m.sheet] {
			seen[m.sheet] = true
			out = append(out, m.sheet)
		}
	}
	return out
}

// applyAfter is Apply with the version before the write already read.
func (t *trackedSheet) applyAfter(ctx context.Context, pre preWrite, ops []syncd.Op) (int, error) {
	n, _, err := t.applyBracketed(ctx, pre, ops)
	return n, err
}

// applyBracketed is applyAfter that also says whether the write provably
// landed where it was aimed: the Drive version moved by exactly one across
// it, so nobody else changed the spreadsheet between the version read
// before the write and the one after (the emulator bumps the version once
// per applied batchUpdate; Google documents only that the version
// "reflects every change", so a larger step reads as a foreign change:
// the stricter answer). Positions read before pre may still have moved:
// callers compare pre with the version of their own read.
func (t *trackedSheet) applyBracketed(ctx context.Context, pre preWrite, ops []syncd.Op) (int, bool, error) {
	n, err := t.Spreadsheet.Apply(ctx, ops)
	post, postErr := t.vs.v.Version(ctx)
	t.vs.wrote(pre.v, pre.err, post, postErr)
	clean := err == nil && pre.err == nil && postErr == nil && post == pre.v+1
	return n, clean, err
}

// otherRanges are the non-editable columns that lie in the tab's grid,
// from row 1 down (see keyRanges).
func otherRanges(tab syncd.TabInfo, m *mirror) []syncd.Range {
	var out []syncd.Range
	for _, c := range m.nonEditable() {
		if tab.ColCount > 0 && c >= tab.ColCount {
			break
		}
		r := byID(tab)
		r.StartRow, r.StartCol, r.EndCol = 1, c, c+1
		out = append(out, r)
	}
	return out
}

// wholeRowCells fills es.rows from the columns a whole-row read returned:
// each tab row's cells at their mirrored column, for the columns read.
func (m *mirror) wholeRowCells(tc tabCells, es *editState) {
	if tc.others == nil {
		return
	}
	es.rows = map[int][]syncd.Cell{}
	cols := m.nonEditable()
	for j := range tc.others {
		for i, cells := range tc.others[j] {
			row := i + 1
			if es.rows[row] == nil {
				es.rows[row] = make([]syncd.Cell, len(m.Columns))
			}
			if len(cells) > 0 {
				es.rows[row][cols[j]] = cells[0]
			}
		}
	}
}

// lookAgainIfTyped reads the versions that precede the batch's writes
// (one per polled spreadsheet it writes) and, when one moved past what syncd accounted for and the batch read only keys
// and editable columns, reads the tabs again with whole rows and plans
// again, so the plan records what people typed into non-editable cells it
// overwrites. It returns the plan and the versions read to bracket the
// writes with (nil, or a spreadsheet missing: let Apply read its own).
func (s *Syncer) lookAgainIfTyped(ctx context.Context, read *batchRead, infos map[string]syncd.SpreadsheetInfo, plan batchPlan, calls map[string]int) (batchPlan, preWrites, error) {
	if !plan.writes() {
		return plan, nil, nil
	}
	pre, moved := s.versionBeforeWrite(ctx, plan)
	if !moved || read.wholeRows {
		return plan, pre, nil
	}
	read.wholeRows = true
	tabs, err := s.readTabs(ctx, read, calls)
	if err != nil {
		return plan, nil, err
	}
	if err := s.checkStructure(read, tabs); err != nil {
		return plan, nil, err
	}
	plan, err = planBatch(read, tabs, infos, s.opts.Codec)
	return plan, nil, err
}

// writes reports whether the plan writes anything to the spreadsheet.
func (p batchPlan) writes() bool {
	for _, m := range p.mirrors {
		if len(m.ops) > 0 {
			return true
		}
	}
	return false
}

// passVersions are the Drive versions of the polled spreadsheets a pass
// reads, by sheet key, taken as it starts reading their tabs.
type passVersions map[string]int64

// passVersion reads the version of each polled spreadsheet of mirrors as
// a pass starts reading its tabs (none with the change poll off, or for a
// spreadsheet whose version Drive cannot tell).
func (s *Syncer) passVersion(ctx context.Context, mirrors []*mirror) passVersions {
	var out passVersions
	for _, k := range s.sheetKeys(mirrors) {
		vs := s.versionsOf(k)
		if vs == nil {
			continue
		}
		v, err := vs.v.Version(ctx)
		if err != nil {
			continue
		}
		if out == nil {
			out = passVersions{}
		}
		out[k] = v
	}
	return out
}

// applyUnmoved writes a pass's repairs to one spreadsheet. Positions the
// pass read are not positions now if a person changed the spreadsheet
// since the pass began (start, its versions then): when the version that
// brackets the write says so, nothing is written and errReplan makes the
// pass read again. A late pass (already replanned) writes regardless; its
// row writes carry their keys and its row removals are marked unverified,
// so a misplaced write is found and repaired by the next pass.
//
// landed reports whether the write provably hit the rows the pass aimed
// at: nothing foreign happened from the pass's read to the write's end.
func (s *Syncer) applyUnmoved(ctx context.Context, key string, ops []syncd.Op, start passVersions, late bool) (n int, landed bool, err error) {
	t, tracked := s.sheet(key).(*trackedSheet)
	at, known := start[key]
	if !tracked || !known {
		n, err = s.sheet(key).Apply(ctx, ops)
		return n, false, err
	}
	pre, verr := t.vs.v.Version(ctx)
	if verr == nil && pre > at && !late {
		return 0, false, fmt.Errorf("the spreadsheet changed (version %d, read at %d) while the pass planned: %w", pre, at, errReplan)
	}
	n, clean, err := t.applyBracketed(ctx, preWrite{pre, verr}, ops)
	return n, clean && verr == nil && pre == at, err
}

// settleUnverified records, after a pass wrote a mirror's tab, what its
// positional writes may have touched (store.Unverified): nothing when the
// write landed where aimed (or there was none) — the pass read the whole
// tab and repaired what earlier writes touched — else the pass's own
// writes; and the unverified keys it skipped, whose rows the change stream
// writes next.
func settleUnverified(ctx context.Context, q catalog.Querier, m *mirror, d *mirrorDiff, landed bool) error {
	if !m.takesEditsBack() {
		return nil
	}
	if err := store.ClearUnverified(ctx, q, m.Name); err != nil {
		return err
	}
	left := store.Unverified{}
	left.Add(d.keep)
	if !landed {
		left.Add(d.aim)
	}
	_, err := store.MarkUnverified(ctx, q, m.Name, left)
	return err
}
