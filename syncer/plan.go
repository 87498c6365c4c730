package syncer

import (
	"fmt"
	"sort"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// tabKeys is what one read of a tab's key columns found: where each key's
// rows are. Row indexes are 0-based tab rows; row 0 is the header.
type tabKeys struct {
	rows map[string][]int
	// unkeyed lists data rows whose key cells are empty or do not parse
	// (blank rows people inserted, garbage); reconcile deals with them.
	unkeyed []int
	// last is the last data row that was read (0 when the tab is empty).
	last int
	// cells holds each row's mirrored cells when the whole tab was read
	// (full resync), so rows that already match are not rewritten.
	cells map[int][]syncd.Cell
}

// indexGrid builds tabKeys from a whole-tab read (rows from row 1), keeping
// each row's cells, and fills es with the editable cells.
func (m *mirror) indexGrid(grid [][]syncd.Cell, codec syncd.Codec, loc *time.Location, es *editState) tabKeys {
	cols := make([][][]syncd.Cell, len(m.Key))
	for j, k := range m.Key {
		cols[j] = make([][]syncd.Cell, len(grid))
		for i, row := range grid {
			if c := cellAt(row, k); c.Type != syncd.CellEmpty {
				cols[j][i] = []syncd.Cell{c}
			}
		}
	}
	tk := m.indexKeys(cols, codec, loc)
	tk.cells = make(map[int][]syncd.Cell, len(grid))
	for i, row := range grid {
		tk.cells[i+1] = row
		if es != nil {
			if es.rows == nil {
				es.rows = map[int][]syncd.Cell{}
			}
			es.rows[i+1] = row
			ed := make([]syncd.Cell, len(m.Editable))
			for j, e := range m.Editable {
				ed[j] = cellAt(row, e)
			}
			es.cells[i+1] = ed
		}
	}
	return tk
}

// sameRow reports whether a tab row already shows cells.
func sameRow(have, want []syncd.Cell) bool {
	for i, c := range want {
		if cellAt(have, i) != c {
			return false
		}
	}
	return true
}

// indexKeys builds tabKeys from the cells of the key columns read from row
// 1 down (one [][]Cell per key column, as Spreadsheet.Read returns them).
func (m *mirror) indexKeys(cols [][][]syncd.Cell, codec syncd.Codec, loc *time.Location) tabKeys {
	tk := tabKeys{rows: map[string][]int{}}
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	for i := 0; i < n; i++ {
		key, ok := m.cellsKey(func(j int) syncd.Cell {
			if i < len(cols[j]) && len(cols[j][i]) > 0 {
				return cols[j][i][0]
			}
			return syncd.Cell{}
		}, codec, loc)
		row := i + 1
		if ok {
			tk.rows[key] = append(tk.rows[key], row)
		} else {
			tk.unkeyed = append(tk.unkeyed, row)
		}
		tk.last = row
	}
	return tk
}

// planStats counts what a plan does to a tab.
type planStats struct {
	Written, Appended, Deleted, Truncated int
}

// encodeRow turns a row's values into cells; truncated counts cut texts.
func (m *mirror) encodeRow(values []syncd.Value, codec syncd.Codec, loc *time.Location) ([]syncd.Cell, int) {
	cells := make([]syncd.Cell, len(m.Columns))
	truncated := 0
	for i, c := range m.Columns {
		cell, cut := codec.Encode(c, values[i], loc)
		cells[i] = cell
		if cut {
			truncated++
		}
	}
	return cells, truncated
}

// formats returns the columns' number formats.
func (m *mirror) formats(codec syncd.Codec) []syncd.NumberFormat {
	f := make([]syncd.NumberFormat, len(m.Columns))
	for i, c := range m.Columns {
		f[i] = codec.Format(c)
	}
	return f
}

// header returns the header row's titles.
func (m *mirror) header() []string { return m.ColumnNames() }

// editState carries what the change stream needs to respect editable
// cells: the bases, the tab's current editable cells (read with the keys),
// and what it decided.
type editState struct {
	bases    map[string]base
	cells    map[int][]syncd.Cell // tab row → its cells in m.Editable order
	restored map[int]bool         // columns rewritten from Postgres (structure.restored)
	// rows holds tab rows' whole cells (by mirrored column) when the
	// batch read them: a full resync, or whole rows (typedover.go).
	rows      map[int][]syncd.Cell
	conflicts []Conflict
	states    []stateUpdate
}

// planChanges turns changed rows into ops on a tab: rows whose key is in the
// tab are overwritten in place (only the mirrored columns), new keys are
// appended, gone keys are deleted, and extra copies of a key are removed.
// Ops are ordered so indexes stay valid: writes, then deletes bottom-up,
// then the append. With es, an editable cell whose database value has not
// changed since syncd last wrote it is left alone: a person may have edited
// it, and reconcile carries that edit back.
func (m *mirror) planChanges(sheetID int64, tk tabKeys, rows []dbRow, codec syncd.Codec, loc *time.Location, es *editState) ([]syncd.Op, planStats) {
	var st planStats
	type write struct {
		row   int
		cells []syncd.Cell
	}
	var writes []write
	var ops []syncd.Op
	var deletes []int
	var appends [][]syncd.Cell
	for _, r := range rows {
		at := tk.rows[r.Key]
		if r.Values == nil {
			deletes = append(deletes, at...)
			if es != nil {
				es.conflicts = append(es.conflicts, m.deletedEdits(r.Key, at, es, codec, loc)...)
				for _, row := range at {
					es.conflicts = append(es.conflicts, m.typedOver(r.Key, row, nil, es, codec, loc)...)
				}
				// The base stays until a full pass saw the row gone
				// (diffMirror forgets it): if this deletion lands on
				// another row, the next pass still knows what syncd
				// showed of it (keep.go, sheetrows.go).
			}
			continue
		}
		cells, cut := m.encodeRow(r.Values, codec, loc)
		st.Truncated += cut
		if es != nil {
			es.states = append(es.states, stateUpdate{Key: r.Key, Cells: m.baseFrom(r.Values)})
		}
		if len(at) == 0 {
			appends = append(appends, cells)
			continue
		}
		deletes = append(deletes, at[1:]...) // duplicates of the key
		if es != nil && len(at) > 1 {
			es.conflicts = append(es.conflicts, m.duplicateEdits(r.Key, at[1:], es, codec, loc)...)
		}
		if es != nil {
			es.conflicts = append(es.conflicts, m.typedOver(r.Key, at[0], r.Values, es, codec, loc)...)
		}
		if tk.cells != nil && sameRow(tk.cells[at[0]], cells) {
			continue // already right: a full resync rewrites only what differs
		}
		if es == nil || len(m.Editable) == 0 {
			writes = append(writes, write{at[0], cells})
			continue
		}
		skip := m.editableSkips(r, at[0], cells, es, codec, loc)
		st.Written++
		for c := 0; c < len(cells); {
			if skip[c] {
				c++
				continue
			}
			e := c
			for e < len(cells) && !skip[e] {
				e++
			}
			ops = append(ops, syncd.WriteRows{SheetID: sheetID, Row: at[0], Col: c, Rows: [][]syncd.Cell{cells[c:e]}})
			c = e
		}
	}
	sort.Slice(writes, func(i, j int) bool { return writes[i].row < writes[j].row })
	for i := 0; i < len(writes); {
		j := i + 1
		for j < len(writes) && writes[j].row == writes[j-1].row+1 {
			j++
		}
		w := syncd.WriteRows{SheetID: sheetID, Row: writes[i].row}
		for _, x := range writes[i:j] {
			w.Rows = append(w.Rows, x.cells)
		}
		ops = append(ops, w)
		st.Written += j - i
		i = j
	}
	ops = append(ops, deleteOps(sheetID, deletes)...)
	st.Deleted = len(deletes)
	if len(appends) > 0 {
		ops = append(ops, syncd.AppendRows{SheetID: sheetID, Rows: appends, Formats: m.formats(codec),
			// Deletes in this batch shift rows up: a lower bound of where the
			// appended rows land.
			FromRow: max(tk.last+1-len(deletes), 1)})
		st.Appended = len(appends)
	}
	return ops, st
}

// editableSkips decides, for one changed row already in the tab, which
// editable cells to leave alone (merge says the cell is Postgres's
// unchanged value, so the sheet may hold an edit reconcile has yet to
// import), and records a conflict when both sides changed: Postgres wins
// and the sheet's value is kept.
func (m *mirror) editableSkips(r dbRow, row int, cells []syncd.Cell, es *editState, codec syncd.Codec, loc *time.Location) []bool {
	skip := make([]bool, len(cells))
	b := es.bases[r.Key]
	sheet := es.cells[row]
	for j, c := range m.Editable {
		if es.restored[c] {
			continue // written from Postgres: the cell is not a person's
		}
		name := m.Columns[c].Name
		bv, known := b.Value(name)
		got := cellAt(sheet, j)
		out := merge(m.Columns[c], mergeInput{editable: true, base: bv, known: known, sheet: got, db: r.Values[c]}, codec, loc, byStream)
		switch out.result {
		case mergeSame, mergeUnimported:
			skip[c] = true
			// Keep the stored base: the cell was not written.
			delete(es.states[len(es.states)-1].Cells, name)
		case mergeConflict:
			es.conflicts = append(es.conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(r.Key), Column: name,
				SheetValue: cellText(got), DBValue: valuePtr(r.Values[c]), Reason: out.reason,
				Message: fmt.Sprintf("row %d: %s changed in the sheet and in Postgres; Postgres kept", row+1, name)})
		}
	}
	return skip
}

// deletedEdits returns a conflict for each editable cell of a row Postgres
// deleted that shows an edit reconcile has not imported yet (a value that
// is neither empty nor the base): the batch removes the row from the tab,
// and Postgres wins, but what the person typed is kept. Found by the
// model-based test (TestModelMergeNeverLosesOrMisplacesATypedValue): such
// edits were deleted with the row, unrecorded.
func (m *mirror) deletedEdits(key string, rows []int, es *editState, codec syncd.Codec, loc *time.Location) []Conflict {
	var out []Conflict
	b := es.bases[key]
	for _, row := range rows {
		sheet := es.cells[row]
		for j, c := range m.Editable {
			col := m.Columns[c]
			got := cellAt(sheet, j)
			bv, known := b.Value(col.Name)
			if es.restored[c] || !known || got.Type == syncd.CellEmpty {
				continue // no evidence of an edit
			}
			if baseCell, _ := codec.Encode(col, bv, loc); got == baseCell || sameValue(col, got, bv, codec, loc) {
				continue
			}
			out = append(out, Conflict{Mirror: m.Name, Key: m.keyMap(key), Column: col.Name, SheetValue: cellText(got),
				Reason:  store.ReasonBothChanged,
				Message: fmt.Sprintf("row %d: %s was changed in the sheet and the row was deleted in Postgres; the row is removed from the tab", row+1, col.Name)})
		}
	}
	return out
}

// aim returns what ops on m's tab aim at by row index (aimOf), as tk
// located the keys; the cells the ops leave alone are as the batch read
// them (whole rows, or the editable cells in es).
func (tk tabKeys) aim(m *mirror, ops []syncd.Op, es *editState) store.Unverified {
	order := tk.order()
	var written, deleted []int
	for _, op := range ops {
		switch op := op.(type) {
		case syncd.WriteRows:
			for i := range op.Rows {
				written = append(written, op.Row+i)
			}
		case syncd.DeleteRows:
			for r := op.Start; r < op.End; r++ {
				deleted = append(deleted, r)
			}
		}
	}
	return aimOf(order, written, deleted, func(r int) ([]int, []syncd.Cell) {
		return m.keptCells(ops, r, tk.rowAsRead(m, r, es))
	})
}

// order returns the key of each tab row as read ("" for rows without a
// valid key), the input of aimOf and keepRows.
func (tk tabKeys) order() []string {
	order := make([]string, tk.last+1)
	for k, at := range tk.rows {
		for _, r := range at {
			if r < len(order) && order[r] == "" {
				order[r] = k
			}
		}
	}
	return order
}

// believed returns, for a tab row, the cells the batch believes are there:
// what it read (whole rows, or the editable cells), else what syncd last
// wrote there (the row's base), else nil (cannot tell).
func (tk tabKeys) believed(m *mirror, bases map[string]base, es *editState, codec syncd.Codec, loc *time.Location) func(r int) []*syncd.Cell {
	order := tk.order()
	return func(r int) []*syncd.Cell {
		out := make([]*syncd.Cell, len(m.Columns))
		if row, ok := tk.cells[r]; ok {
			for c := range out {
				cell := cellAt(row, c)
				out[c] = &cell
			}
			return out
		}
		if es != nil {
			if row, ok := es.rows[r]; ok { // whole rows: the other columns were read
				for _, c := range m.nonEditable() {
					cell := cellAt(row, c)
					out[c] = &cell
				}
			}
			for j, c := range m.Editable {
				cell := cellAt(es.cells[r], j)
				out[c] = &cell
			}
		}
		key := ""
		if r < len(order) {
			key = order[r]
		}
		for _, c := range m.Key {
			if key != "" {
				cell := cellAt(tk.keyCells(m, key, codec, loc), c)
				out[c] = &cell
			}
		}
		b, known := bases[key]
		for c, col := range m.Columns {
			if out[c] != nil || !known || m.isKeyCol(c) {
				continue
			}
			if v, ok := b.Value(col.Name); ok {
				cell, _ := codec.Encode(col, v, loc)
				out[c] = &cell
			}
		}
		return out
	}
}

// keyCells returns a row's cells holding just its key (by column).
func (tk tabKeys) keyCells(m *mirror, key string, codec syncd.Codec, loc *time.Location) []syncd.Cell {
	parts, err := decodeKey(key, len(m.Key))
	if err != nil {
		return nil
	}
	row := make([]syncd.Cell, len(m.Columns))
	for j, c := range m.Key {
		row[c], _ = codec.Encode(m.Columns[c], parts[j], loc)
	}
	return row
}

// rowAsRead returns tab row r's mirrored cells as the batch read them;
// cells it did not read are empty.
func (tk tabKeys) rowAsRead(m *mirror, r int, es *editState) []syncd.Cell {
	if row, ok := tk.cells[r]; ok {
		return row
	}
	if es == nil {
		return nil
	}
	if row, ok := es.rows[r]; ok {
		return row
	}
	row := make([]syncd.Cell, len(m.Columns))
	for j, c := range m.Editable {
		row[c] = cellAt(es.cells[r], j)
	}
	return row
}

// duplicateEdits returns a conflict for each value a person typed into a
// row that repeats a key (a pasted copy) and that the batch removes: its
// editable cells showing an edit, its other cells showing what syncd did
// not write (typedOver).
func (m *mirror) duplicateEdits(key string, rows []int, es *editState, codec syncd.Codec, loc *time.Location) []Conflict {
	out := m.deletedEdits(key, rows, es, codec, loc)
	for _, row := range rows {
		out = append(out, m.typedOver(key, row, nil, es, codec, loc)...)
	}
	for i := range out {
		out[i].Reason = store.ReasonDuplicateRow
		out[i].Message = fmt.Sprintf("a row repeating key %s was removed from the tab; %s typed in it is kept here", m.keyLabel(key), out[i].Column)
	}
	return out
}

// deleteOps turns row indexes into DeleteRows ops, bottom-up, merging runs.
func deleteOps(sheetID int64, rows []int) []syncd.Op {
	if len(rows) == 0 {
		return nil
	}
	rows = append([]int(nil), rows...)
	sort.Sort(sort.Reverse(sort.IntSlice(rows)))
	var ops []syncd.Op
	end := rows[0] + 1
	start := rows[0]
	for _, r := range rows[1:] {
		if r == start {
			continue // listed twice
		}
		if r == start-1 {
			start = r
			continue
		}
		ops = append(ops, syncd.DeleteRows{SheetID: sheetID, Start: start, End: end})
		start, end = r, r+1
	}
	return append(ops, syncd.DeleteRows{SheetID: sheetID, Start: start, End: end})
}
