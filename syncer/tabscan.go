package syncer

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
)

// Absence from a tab is not intent (issue 19). People sort, drag, cut,
// paste and insert rows at any moment, also between syncd's read of a tab
// and its write, and syncd writes by position. Before a pass takes a
// missing row for a person's deletion, or a tab row for a person's typed
// row, it reads what the tab as a whole shows:
//
//   - every row write of syncd's carries the row's key cells (diffRow,
//     planChanges), so a write that lands on a row a person moved shows
//     up as a key in two rows, never as one record's values under
//     another's key;
//   - a key in two rows, a blank row among the rows (a cut, a cleared
//     row), a row whose key syncd showed and Postgres deleted (a deletion
//     of syncd's that missed), a row whose key was typed over, a row that
//     repeats another's cells (a paste): each is a doubt, and with any
//     doubt no missing row is deleted;
//   - a row whose key is new but whose other cells are those of exactly
//     one missing row is that row with its key typed over: the key is put
//     back (a not_editable conflict keeps what was typed), never a DELETE
//     plus an INSERT; one that repeats a row still in the tab is a copy,
//     not a typed row.
//
// The pass also checks two things the read alone cannot show (diffInput
// removalsUnverified, rowBudget): whether a positional row deletion of
// syncd's own may have landed since the last full read, and how many rows
// the grid lost that syncd did not delete.

// tabScan is what one full read of a tab shows about its rows.
type tabScan struct {
	key   []string // per grid row: the key it shows ("" with ok false)
	ok    []bool
	blank []bool
	// count is the number of rows showing each valid key.
	count map[string]int
	// rekey maps a row whose key was typed over to the record it is;
	// copyOf a row repeating a present record's cells to that record.
	rekey, copyOf map[int]string
	// doubts say why a missing row cannot be taken for a deletion.
	doubts []string
	// unsure holds keys whose row syncd wrote by position and whose
	// neighbours are not the ones it aimed at (checkAim).
	unsure map[string]bool
	// overwritten are the values a misplaced write replaced (checkKept),
	// handed the columns of a row showing a key whose values are another
	// row's, recorded there under that row's key.
	overwritten []Conflict
	handed      map[string]map[int]string
}

// scanTab reads a tab's rows (grid, header at 0) against the table's rows.
// shown reports whether syncd knows it put a key in the tab.
func (m *mirror) scanTab(in diffInput, dbIndex map[string]int, shown func(string) bool, codec syncd.Codec) tabScan {
	n := len(in.grid)
	sc := tabScan{key: make([]string, n), ok: make([]bool, n), blank: make([]bool, n),
		count: map[string]int{}, rekey: map[int]string{}, copyOf: map[int]string{}, unsure: map[string]bool{},
		handed: map[string]map[int]string{}}
	last := 0
	seen := map[string]bool{}
	for r := 1; r < n; r++ {
		cells := in.grid[r]
		key, ok := m.cellKey(cells, codec, in.loc)
		sc.key[r], sc.ok[r] = key, ok
		if rowEmpty(cells, len(m.Columns)) && !m.blankRowIsKey(key, ok, dbIndex, seen) {
			sc.blank[r] = true
			continue
		}
		last = r
		if ok {
			sc.count[key]++
			seen[key] = true
		}
	}
	for r := 1; r < last; r++ {
		if sc.blank[r] {
			sc.doubts = append(sc.doubts, fmt.Sprintf("row %d is blank", r+1))
		}
	}
	for r := 1; r <= last; r++ {
		k := sc.key[r]
		switch {
		case sc.blank[r]:
		case sc.ok[r] && sc.count[k] > 1 && sc.first(r):
			sc.doubts = append(sc.doubts, fmt.Sprintf("key %s is in %d rows", m.keyLabel(k), sc.count[k]))
		case sc.ok[r] && !in.known(k, dbIndex) && shown(k):
			sc.doubts = append(sc.doubts, fmt.Sprintf("row %d shows key %s, which Postgres deleted", r+1, m.keyLabel(k)))
		}
	}
	for _, k := range in.unverified.Unsure {
		sc.unsure[k] = true
	}
	m.matchStrangers(&sc, in, dbIndex, shown, codec)
	sc.overwritten = m.checkKept(&sc, in, dbIndex, codec)
	m.checkAim(&sc, in.unverified, in.grid, in.keptRead)
	return sc
}

// order returns the record of each row as the pass takes it ("" for
// blank rows and rows without a valid key), the input of aimOf: a row
// whose key was typed over is the record it is put back as.
func (sc *tabScan) order() []string {
	out := make([]string, len(sc.key))
	for r := 1; r < len(sc.key); r++ {
		switch k, rekeyed := sc.rekey[r]; {
		case rekeyed:
			out[r] = k
		case !sc.blank[r] && sc.ok[r]:
			out[r] = sc.key[r]
		}
	}
	return out
}

// first reports whether row r is the first row showing its key.
func (sc *tabScan) first(r int) bool {
	for i := 1; i < r; i++ {
		if !sc.blank[i] && sc.ok[i] && sc.key[i] == sc.key[r] {
			return false
		}
	}
	return true
}

// known reports whether the table has key (or has a change queued for
// it, which the change stream writes).
func (in diffInput) known(key string, dbIndex map[string]int) bool {
	_, ok := dbIndex[key]
	return ok || in.pending[key]
}

// matchStrangers looks at the rows whose key is empty, unparseable or new
// to the table (and not one Postgres deleted): each whose cells outside
// the key are exactly those of one missing record is that record with its
// key typed over (rekey); each repeating a record still in the tab is a
// copy (copyOf). Either is a doubt.
func (m *mirror) matchStrangers(sc *tabScan, in diffInput, dbIndex map[string]int, shown func(string) bool, codec syncd.Codec) {
	var strangers []int
	for r := 1; r < len(in.grid); r++ {
		if sc.blank[r] || (sc.ok[r] && (in.known(sc.key[r], dbIndex) || shown(sc.key[r]))) {
			continue
		}
		strangers = append(strangers, r)
	}
	if len(strangers) == 0 {
		return
	}
	cols := m.matchColumns()
	byPrint := map[string][]string{}
	for _, row := range in.rows {
		cells, _ := m.encodeRow(row.Values, codec, in.loc)
		if p, ok := fingerprint(cells, cols); ok {
			byPrint[p] = append(byPrint[p], row.Key)
		}
	}
	claimed := map[string]int{}
	var ix *valueIndex // built for the first stranger no fingerprint places
	for _, r := range strangers {
		p, ok := fingerprint(in.grid[r], cols)
		var missing, present []string
		for _, k := range byPrint[p] {
			if !ok {
				break
			}
			if sc.count[k] == 0 && !in.pending[k] {
				missing = append(missing, k)
			} else {
				present = append(present, k)
			}
		}
		if len(missing)+len(present) == 0 {
			if ix == nil {
				ix = m.newValueIndex(in)
			}
			missingRec := func(k string) bool {
				_, inDB := dbIndex[k]
				return inDB && sc.count[k] == 0 && !in.pending[k]
			}
			if k := m.likeliest(in.grid[r], in, ix, missingRec, codec); k == "" {
			} else if _, inDB := dbIndex[k]; !inDB {
				present = []string{k} // a record Postgres deleted: a copy, never a typed row
			} else if sc.count[k] == 0 && !in.pending[k] {
				missing = []string{k}
			} else {
				present = []string{k}
			}
		}
		switch {
		case len(missing) == 1:
			sc.rekey[r] = missing[0]
			claimed[missing[0]]++
			sc.doubts = append(sc.doubts, fmt.Sprintf("row %d shows key %s typed over key %s", r+1, m.shownKey(in.grid[r]), m.keyLabel(missing[0])))
		case len(missing) > 1 || len(present) > 0:
			sc.copyOf[r] = append(missing, present...)[0]
			sc.doubts = append(sc.doubts, fmt.Sprintf("row %d repeats the cells of key %s", r+1, m.keyLabel(sc.copyOf[r])))
		}
	}
	for r, k := range sc.rekey {
		if claimed[k] > 1 { // two rows claim one record: neither is sure
			delete(sc.rekey, r)
			sc.copyOf[r] = k
		}
	}
}

// likeliest returns the record a stranger row most likely is, or copies
// (its key typed over, other cells perhaps typed too; or pasted with a new
// key): the one sharing the most of the row's non-empty cells outside the
// key — by value, with the table's values, with what syncd last showed,
// or with a record Postgres deleted that syncd still has the base of —, at
// least half of them, and strictly more than any other; "" when none is.
// Taking a typed row for a record only puts that record back and keeps
// what was typed as conflicts; taking an overtyped or pasted record for a
// typed row would insert another record's values.
//
// A record missing from the tab needs less: one shared value, if no other
// missing record shares as many. A missing record and a stranger row in
// one read is what typing over a key leaves (the person may have typed
// the row's other cells too); taking it for that record only puts the
// record back.
func (m *mirror) likeliest(row []syncd.Cell, in diffInput, ix *valueIndex, missing func(string) bool, codec syncd.Codec) string {
	scores := map[string]int{}
	filled := 0
	for c, col := range m.Columns {
		got := cellAt(row, c)
		if m.isKeyCol(c) || got.Type == syncd.CellEmpty {
			continue
		}
		filled++
		v, err := codec.Decode(col, got, in.loc)
		if err != nil {
			continue
		}
		for _, k := range ix.keys[valueKey(c, col, v)] {
			scores[k]++
		}
	}
	if k, score, tie := top(scores, missing); score > 0 && !tie {
		return k
	}
	k, score, tie := top(scores, nil)
	if tie || score == 0 || 2*score < filled {
		return ""
	}
	return k
}

// top returns the key with the highest score among those keep accepts
// (all when nil), and whether another has as high a score.
func top(scores map[string]int, keep func(string) bool) (best string, score int, tie bool) {
	for k, s := range scores {
		if keep != nil && !keep(k) {
			continue
		}
		switch {
		case s > score:
			best, score, tie = k, s, false
		case s == score:
			tie = true
		}
	}
	return best, score, tie
}

// valueIndex finds records by the values of their non-key columns: the
// table's, and those syncd last showed (bases, deleted records' too).
type valueIndex struct {
	keys map[string][]string // valueKey → record keys (each once per value)
}

// newValueIndex indexes the pass's records.
func (m *mirror) newValueIndex(in diffInput) *valueIndex {
	ix := &valueIndex{keys: map[string][]string{}}
	add := func(k string, c int, v syncd.Value) {
		vk := valueKey(c, m.Columns[c], v)
		list := ix.keys[vk]
		if len(list) == 0 || list[len(list)-1] != k {
			ix.keys[vk] = append(list, k)
		}
	}
	inDB := make(map[string]bool, len(in.rows))
	for _, rec := range in.rows {
		inDB[rec.Key] = true
		b, based := in.bases[rec.Key]
		for c, col := range m.Columns {
			if m.isKeyCol(c) || !rec.Values[c].Valid {
				continue
			}
			add(rec.Key, c, rec.Values[c])
			if v, ok := b.Value(col.Name); based && ok && v.Valid && valueKey(c, col, v) != valueKey(c, col, rec.Values[c]) {
				add(rec.Key, c, v)
			}
		}
	}
	for k, b := range in.bases {
		if inDB[k] {
			continue
		}
		for c, col := range m.Columns {
			if v, ok := b.Value(col.Name); !m.isKeyCol(c) && ok && v.Valid {
				add(k, c, v)
			}
		}
	}
	return ix
}

// valueKey renders a column's value so that equal values (1.5 and 1.50,
// 1e3 and 1000) render alike.
func valueKey(c int, col syncd.Column, v syncd.Value) string {
	text := v.Text
	switch col.Kind {
	case syncd.KindNumeric:
		if d, ok := decimal.Parse(text); ok {
			text = d.String()
		}
	case syncd.KindFloat:
		if f, err := strconv.ParseFloat(text, 64); err == nil {
			text = strconv.FormatFloat(f, 'g', -1, 64)
		}
	}
	return strconv.Itoa(c) + "\x00" + text
}

// matchColumns are the columns whose cells identify a row apart from its
// key: the non-editable ones (a person may have typed into the editable
// ones), or every non-key column when all are editable.
func (m *mirror) matchColumns() []int {
	if cols := m.nonEditable(); len(cols) > 0 {
		return cols
	}
	var out []int
	for c := range m.Columns {
		if !m.isKeyCol(c) {
			out = append(out, c)
		}
	}
	return out
}

// fingerprint renders the cells of cols; ok is false when all are empty
// (an empty row identifies nothing).
func fingerprint(cells []syncd.Cell, cols []int) (string, bool) {
	var b strings.Builder
	some := false
	for _, c := range cols {
		cell := cellAt(cells, c)
		if cell.Type != syncd.CellEmpty {
			some = true
		}
		b.WriteString(strconv.Itoa(int(cell.Type)))
		b.WriteByte(':')
		switch cell.Type {
		case syncd.CellNumber:
			b.WriteString(strconv.FormatUint(math.Float64bits(cell.Number), 16))
		case syncd.CellBool:
			b.WriteString(strconv.FormatBool(cell.Bool))
		default:
			b.WriteString(strconv.Quote(cell.String))
		}
		b.WriteByte('|')
	}
	return b.String(), some
}

// shownKey renders the key cells of a tab row for people.
func (m *mirror) shownKey(cells []syncd.Cell) string {
	parts := make([]string, len(m.Key))
	for j, k := range m.Key {
		parts[j] = cellText(cellAt(cells, k))
	}
	return strings.Join(parts, ", ")
}

// deletionVerdict says whether a missing row may be taken for a person's
// deletion in this pass; when not, why.
func (sc *tabScan) deletionVerdict(in diffInput, missing int) string {
	switch {
	case len(sc.doubts) > 0:
		d := sc.doubts
		if len(d) > 3 {
			d = append(d[:3:3], fmt.Sprintf("%d more", len(sc.doubts)-3))
		}
		return "the tab also shows what a sort, a paste or a moved row leaves behind (" + strings.Join(d, "; ") + ")"
	case missing > in.rowBudget:
		return fmt.Sprintf("the tab's grid lost %d row(s) since syncd last wrote it but %d are missing: rows were moved, cut or cleared, not only deleted", max(in.rowBudget, 0), missing)
	}
	return ""
}
