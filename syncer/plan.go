package syncer

import (
	"sort"
	"strings"
	"time"
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
}

// indexKeys builds tabKeys from the cells of the key columns read from row
// 1 down (one [][]Cell per key column, as Spreadsheet.Read returns them).
func (m *Mirror) indexKeys(cols [][][]Cell, codec Codec, loc *time.Location) tabKeys {
	tk := tabKeys{rows: map[string][]int{}}
	n := 0
	for _, c := range cols {
		n = max(n, len(c))
	}
	parts := make([]string, len(m.Key))
	for i := 0; i < n; i++ {
		ok := true
		for j, k := range m.Key {
			var cell Cell
			if i < len(cols[j]) && len(cols[j][i]) > 0 {
				cell = cols[j][i][0]
			}
			if cell.Type == CellEmpty {
				ok = false
				break
			}
			v, err := codec.Decode(m.Columns[k], cell, loc)
			if err != nil || !v.Valid {
				ok = false
				break
			}
			parts[j] = v.Text
		}
		row := i + 1
		if ok {
			key := strings.Join(parts, keySep)
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
func (m *Mirror) encodeRow(values []Value, codec Codec, loc *time.Location) ([]Cell, int) {
	cells := make([]Cell, len(m.Columns))
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
func (m *Mirror) formats(codec Codec) []NumberFormat {
	f := make([]NumberFormat, len(m.Columns))
	for i, c := range m.Columns {
		f[i] = codec.Format(c)
	}
	return f
}

// header returns the header row's titles.
func (m *Mirror) header() []string { return m.ColumnNames() }

// planChanges turns changed rows into ops on a tab: rows whose key is in the
// tab are overwritten in place (only the mirrored columns), new keys are
// appended, gone keys are deleted, and extra copies of a key are removed.
// Ops are ordered so indexes stay valid: writes, then deletes bottom-up,
// then the append.
func (m *Mirror) planChanges(sheetID int64, tk tabKeys, rows []dbRow, codec Codec, loc *time.Location) ([]Op, planStats) {
	var st planStats
	type write struct {
		row   int
		cells []Cell
	}
	var writes []write
	var deletes []int
	var appends [][]Cell
	for _, r := range rows {
		at := tk.rows[r.Key]
		if r.Values == nil {
			deletes = append(deletes, at...)
			continue
		}
		cells, cut := m.encodeRow(r.Values, codec, loc)
		st.Truncated += cut
		if len(at) == 0 {
			appends = append(appends, cells)
			continue
		}
		writes = append(writes, write{at[0], cells})
		deletes = append(deletes, at[1:]...) // duplicates of the key
	}
	var ops []Op
	sort.Slice(writes, func(i, j int) bool { return writes[i].row < writes[j].row })
	for i := 0; i < len(writes); {
		j := i + 1
		for j < len(writes) && writes[j].row == writes[j-1].row+1 {
			j++
		}
		w := WriteRows{SheetID: sheetID, Row: writes[i].row}
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
		ops = append(ops, AppendRows{SheetID: sheetID, Rows: appends, Formats: m.formats(codec)})
		st.Appended = len(appends)
	}
	return ops, st
}

// deleteOps turns row indexes into DeleteRows ops, bottom-up, merging runs.
func deleteOps(sheetID int64, rows []int) []Op {
	if len(rows) == 0 {
		return nil
	}
	rows = append([]int(nil), rows...)
	sort.Sort(sort.Reverse(sort.IntSlice(rows)))
	var ops []Op
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
		ops = append(ops, DeleteRows{SheetID: sheetID, Start: start, End: end})
		start, end = r, r+1
	}
	return append(ops, DeleteRows{SheetID: sheetID, Start: start, End: end})
}
