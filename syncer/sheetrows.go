package syncer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/writeback"
)

// Rows people add to or delete from a tab (CONTRACT.md §5, round 2):
//
//   - sheet_inserts: a tab row whose key Postgres lacks, or whose key cells
//     are empty, becomes an INSERT of the cells people filled (empty cells
//     take the table's defaults, an empty key its default: identity,
//     serial, default expression), and the row Postgres stored is written
//     back into that tab row, generated key included. A row Postgres
//     refuses stays in the tab and becomes a conflict with the database's
//     error; the next pass tries it again, so an edit of it is retried.
//   - sheet_deletes: a table row whose key is missing from the tab becomes
//     a DELETE when syncd knows it put that row in the tab and Postgres did
//     not change it since (no change queued, editable cells equal to their
//     base). More than max_sheet_deletes in one pass: none is deleted,
//     every one is restored and listed as a conflict.
//
// "syncd knows it put the row in the tab" is evidence, never a guess: the
// row's base in syncd.row_state (mirrors with editable columns), or its key
// seen in the tab by an earlier pass of this process. A row syncd never
// showed (inserted before the triggers existed, appended and deleted
// between two passes of a mirror without editable columns) is restored,
// not deleted. A tab row whose key syncd knows but Postgres lacks is a row
// Postgres deleted: it is removed as before, never inserted again.

// sheetInsert is a tab row to insert.
type sheetInsert struct {
	row   int    // tab row (0-based, 0 is the header)
	key   string // the key it shows; "" when its key cells are empty
	cells []syncd.Cell
	// done is set once Postgres stored it: values is the stored row.
	done   bool
	values []syncd.Value
}

// sheetDelete is a table row whose key is missing from the tab.
type sheetDelete struct {
	key    string
	values []syncd.Value // what the pass saw in Postgres (the guard)
	done   bool
}

// sheetRowsDiff is what a pass plans and does about rows people added or
// deleted (a field of mirrorDiff).
type sheetRowsDiff struct {
	inserts  []sheetInsert
	deletes  []sheetDelete
	heldBack int
	loc      *time.Location
	// tabKeys are the keys the tab shows after the pass that syncd
	// knows: table rows seen in the tab, and rows inserted.
	tabKeys map[string]bool
	// recalled are the keys of rows an earlier pass inserted whose typed
	// row is written back now (sheetinserts.go): not appended again.
	recalled map[string]bool
}

// sheetRowMemory remembers, per mirror, the keys its tab showed at the last
// pass (see sheetRowsDiff.tabKeys).
type sheetRowMemory struct {
	mu   sync.Mutex
	keys map[string]map[string]bool
}

func (mem *sheetRowMemory) knew(mirror, key string) bool {
	mem.mu.Lock()
	defer mem.mu.Unlock()
	return mem.keys[mirror][key]
}

func (mem *sheetRowMemory) remember(mirror string, keys map[string]bool) {
	if keys == nil {
		return
	}
	mem.mu.Lock()
	defer mem.mu.Unlock()
	if mem.keys == nil {
		mem.keys = map[string]map[string]bool{}
	}
	mem.keys[mirror] = keys
}

// shownBefore reports whether syncd knows it put key in m's tab.
func (s *Syncer) shownBefore(m *mirror, in diffInput, key string) bool {
	if _, ok := in.bases[key]; ok {
		return true
	}
	if slices.Contains(in.unverified.Removed, key) {
		return true // a row syncd meant to delete, which its write missed
	}
	return s.sheetRows.knew(m.Name, key)
}

// typedRow handles a tab row with no valid key (key "") or a key Postgres
// lacks: with sheet_inserts and a row syncd never showed, it is planned as
// an INSERT (a placeholder write for the row Postgres returns) and typedRow
// returns true; otherwise false, and the row is removed as before.
func (s *Syncer) typedRow(m *mirror, d *mirrorDiff, in diffInput, r int, key string, cells []syncd.Cell) bool {
	if !m.SheetInserts || m.IsQuery() || (key != "" && s.shownBefore(m, in, key)) {
		return false
	}
	d.sheetRows.inserts = append(d.sheetRows.inserts, sheetInsert{row: r, key: key, cells: cells})
	d.ops = append(d.ops, syncd.WriteRows{SheetID: in.tab.SheetID, Row: r}) // placeholder, see settleSheetRows
	d.line("insert row %d typed into the tab", r+1)
	return true
}

// deletedRow handles a table row missing from the tab: with sheet_deletes,
// a row syncd showed, whose every column Postgres still holds as syncd
// last showed it, in a pass whose tab gives no reason to doubt a deletion
// (verdict ""), is planned as a DELETE (true). Otherwise the row is
// restored (false): with a conflict saying why when it was shown before,
// silently when syncd never showed it.
func (s *Syncer) deletedRow(m *mirror, d *mirrorDiff, in diffInput, r dbRow, verdict string) bool {
	if !m.SheetDeletes || m.IsQuery() || !s.shownBefore(m, in, r.Key) {
		return false
	}
	b, hasBase := in.bases[r.Key]
	for c, col := range m.Columns {
		if m.isKeyCol(c) {
			continue
		}
		bv, known := b.Value(col.Name)
		if !hasBase || !known {
			if verdict == "" {
				verdict = "syncd has no record of what it showed in " + col.Name
			}
			continue
		}
		if bv != r.Values[c] {
			d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(r.Key), Column: col.Name,
				SheetValue: "", DBValue: valuePtr(r.Values[c]), Reason: store.ReasonRowDeleted,
				Message: fmt.Sprintf("key %s was deleted from the tab but %s changed in Postgres since syncd wrote it; the row was restored", m.keyLabel(r.Key), col.Name)})
			return false
		}
	}
	if verdict != "" {
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(r.Key), SheetValue: "",
			Reason: store.ReasonDeleteUnclear,
			Message: fmt.Sprintf("key %s is missing from the tab, but it was restored, not deleted from %s: %s. Type \"use sheet\" to delete it",
				m.keyLabel(r.Key), m.Table, verdict)})
		d.line("restore key %s: not deleted, %s", m.keyLabel(r.Key), verdict)
		return false
	}
	d.sheetRows.deletes = append(d.sheetRows.deletes, sheetDelete{key: r.Key, values: r.Values})
	d.line("delete key %s: deleted from the tab", m.keyLabel(r.Key))
	return true
}

// holdBackDeletes restores every row planned for deletion when there are
// more than the mirror's max_sheet_deletes: a person deleting half the tab
// by accident loses nothing. Each becomes a conflict.
func (s *Syncer) holdBackDeletes(m *mirror, d *mirrorDiff, in diffInput, appends [][]syncd.Cell) [][]syncd.Cell {
	dels := d.sheetRows.deletes
	if len(dels) <= m.MaxSheetDeletes {
		return appends
	}
	for _, del := range dels {
		cells, _ := m.encodeRow(del.values, s.opts.Codec, in.loc)
		appends = append(appends, cells)
		d.states = append(d.states, stateUpdate{Key: del.key, Cells: m.baseFrom(del.values)})
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(del.key), SheetValue: "",
			Reason: store.ReasonHeldBack,
			Message: fmt.Sprintf("%d rows were deleted from the tab in one pass, more than max_sheet_deletes (%d): none was deleted from %s, all were restored",
				len(dels), m.MaxSheetDeletes, m.Table)})
	}
	d.line("hold back %d deletions (max_sheet_deletes %d): rows restored", len(dels), m.MaxSheetDeletes)
	d.sheetRows.heldBack = len(dels)
	d.drift.HeldBack = len(dels)
	d.sheetRows.deletes = nil
	return appends
}

// noteTabKeys records the table keys the tab showed in this pass, and the
// time zone its cells are read in.
func (d *mirrorDiff) noteTabKeys(seen map[string]bool, dbIndex map[string]int, loc *time.Location) {
	d.sheetRows.loc = loc
	keys := make(map[string]bool, len(seen))
	for k := range seen {
		if _, ok := dbIndex[k]; ok {
			keys[k] = true
		}
	}
	d.sheetRows.tabKeys = keys
}

// storeSheetRows runs a mirror's planned INSERTs and DELETEs in the pass's
// transaction through the guarded door: each runs once in its own
// savepoint, so a row Postgres refuses becomes a conflict with its error
// instead of failing the pass. A typed row without a key that an earlier
// pass already inserted (syncd.sheet_inserts: it died before writing the
// generated key back) is recalled, not inserted again. The placeholder
// writes are then settled (settleSheetRows).
func (s *Syncer) storeSheetRows(ctx context.Context, tx pgx.Tx, door *writeback.Door, m *mirror, d *mirrorDiff) error {
	sr := &d.sheetRows
	ledger, err := openLedger(ctx, tx, m, sr.tabKeys)
	if err != nil {
		return err
	}
	if len(sr.inserts) == 0 && len(sr.deletes) == 0 {
		return nil
	}
	changed := false
	for i := range sr.inserts {
		ins := &sr.inserts[i]
		done, err := s.storeInsert(ctx, tx, door, ledger, m, d, ins)
		if err != nil {
			return err
		}
		changed = changed || done
	}
	if err := ledger.dropGone(ctx, tx); err != nil {
		return err
	}
	for i := range sr.deletes {
		del := &sr.deletes[i]
		ok, err := door.Delete(ctx, m.Mirror, del.values)
		var refused *writeback.RefusedError
		if errors.As(err, &refused) {
			d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(del.key), Reason: store.ReasonBadValue,
				Message: fmt.Sprintf("key %s was deleted from the tab but Postgres refused to delete it from %s (the row was restored): %v", m.keyLabel(del.key), m.Table, err)})
			continue
		}
		if err != nil {
			return fmt.Errorf("delete key %s: %w", m.keyLabel(del.key), err)
		}
		if !ok {
			continue // Postgres changed it meanwhile: restored, the change stream writes it
		}
		del.done, changed = true, true
		d.states = append(d.states, stateUpdate{Key: del.key})
		d.drift.Deleted++
	}
	if changed && s.soleMirrorOf(m) {
		// The tab already shows what these statements did (after the
		// write-back below): their outbox entries would only rewrite it.
		if err := door.DropOwnChanges(ctx, m.Table); err != nil {
			return err
		}
	}
	return nil
}

// settleSheetRows replaces each insert's placeholder write with the row
// Postgres stored (its generated key included), drops the placeholders of
// refused rows (they stay as people typed them), and restores the rows a
// DELETE did not remove. It runs after storeSheetRows committed.
func (s *Syncer) settleSheetRows(m *mirror, d *mirrorDiff) {
	sr := &d.sheetRows
	if len(sr.inserts) == 0 && len(sr.deletes) == 0 {
		return
	}
	byRow := map[int]*sheetInsert{}
	for i := range sr.inserts {
		byRow[sr.inserts[i].row] = &sr.inserts[i]
	}
	out := d.ops[:0:0]
	for _, op := range d.ops {
		if w, ok := op.(syncd.WriteRows); ok && w.Rows == nil {
			ins := byRow[w.Row]
			if ins == nil || !ins.done {
				continue
			}
			cells, _ := m.encodeRow(ins.values, s.opts.Codec, sr.loc)
			w.Col, w.Rows = 0, [][]syncd.Cell{cells}
			op = w
		}
		out = append(out, op)
	}
	var restore [][]syncd.Cell
	for _, del := range sr.deletes {
		if !del.done {
			cells, _ := m.encodeRow(del.values, s.opts.Codec, sr.loc)
			restore = append(restore, cells)
		} else if sr.tabKeys != nil {
			delete(sr.tabKeys, del.key)
		}
	}
	out = s.dropRecalledAppends(m, d, out) // sheetinserts.go
	if len(restore) > 0 {
		out = append(out, syncd.AppendRows{SheetID: d.tab.SheetID, Rows: restore, Formats: m.formats(s.opts.Codec)})
	}
	d.ops = out
}

// storeInsert inserts one typed row (or recalls the one an earlier pass
// inserted for it) and reports whether the tab will show a stored row.
func (s *Syncer) storeInsert(ctx context.Context, tx pgx.Tx, door *writeback.Door, ledger *insertLedger, m *mirror, d *mirrorDiff, ins *sheetInsert) (bool, error) {
	sr := &d.sheetRows
	fp := typedPrint(m.rowText(ins.cells))
	if ins.key == "" {
		values, err := ledger.recall(ctx, door, m, fp)
		if err != nil {
			return false, err
		}
		if values != nil {
			key := m.keyOf(values)
			ins.done, ins.values = true, values
			sr.noteRecalled(key)
			d.states = append(d.states, stateUpdate{Key: key, Cells: m.baseFrom(values)})
			d.line("row %d was inserted by an earlier pass as key %s: its key is written back", ins.row+1, m.keyLabel(key))
			return true, nil
		}
	}
	values, err := s.insertRow(ctx, door, m, ins, sr.loc)
	var refused *writeback.RefusedError
	var bad badCell
	if errors.As(err, &refused) || errors.As(err, &bad) {
		var key map[string]string
		if ins.key != "" {
			key = m.keyMap(ins.key)
		}
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: key, SheetValue: m.rowText(ins.cells),
			Reason:  store.ReasonBadValue,
			Message: fmt.Sprintf("row %d typed into the tab was not inserted into %s (it stays in the tab; edit it to retry): %v", ins.row+1, m.Table, err)})
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("insert row %d: %w", ins.row+1, err)
	}
	ins.done, ins.values = true, values
	key := m.keyOf(values)
	if ins.key == "" {
		// The key is Postgres': recorded with the insert, so a pass that
		// dies before writing it back does not insert the row again.
		if err := store.RecordInsert(ctx, tx, m.Name, fp, key); err != nil {
			return false, err
		}
	}
	if sr.tabKeys != nil {
		sr.tabKeys[key] = true
	}
	d.states = append(d.states, stateUpdate{Key: key, Cells: m.baseFrom(values)})
	d.drift.Inserted++
	return true, nil
}

// badCell is a typed cell the codec cannot read as its column's type.
type badCell struct{ error }

// insertRow inserts a typed row through the door: the columns whose cells
// people filled, decoded by the codec; the rest take their defaults. It
// returns the row as Postgres stored it.
func (s *Syncer) insertRow(ctx context.Context, door *writeback.Door, m *mirror, ins *sheetInsert, loc *time.Location) ([]syncd.Value, error) {
	set := map[int]syncd.Value{}
	for c, col := range m.Columns {
		cell := cellAt(ins.cells, c)
		if cell.Type == syncd.CellEmpty {
			continue
		}
		v, err := s.opts.Codec.Decode(col, cell, loc)
		if err != nil {
			return nil, badCell{fmt.Errorf("%s: %w", col.Name, err)}
		}
		set[c] = v
	}
	return door.Insert(ctx, m.Mirror, set)
}
