package syncer_test

import (
	"fmt"
	"strings"

	"github.com/syncd/syncd"
)

// The ledger of TestModelPersonInsideTheWindowAndKills: what the person
// put where, read off the tab around each gesture, and the invariants
// checked against the audit trigger's record of what syncd wrote.

// placement is a value a person put into a cell: typed, or carried there
// by a gesture (a row re-keyed shows its cells under the new key).
type placement struct {
	step int
	how  string
	key  string // the row's key then; "" for a row without one
	col  int
	val  string
	// gone: a later gesture of the person's removed it from the tab.
	gone bool
	// done: a quiescence found it applied or recorded.
	done bool
	// overwritten names the syncd write that replaced it in the tab.
	overwritten string
	// window numbers the write of syncd's inside whose window it was
	// put (0: between passes); inFlight: that very write replaced this
	// very cell, which no engine can avoid (see checkNothingLost).
	window   int
	inFlight bool
}

type ledger struct {
	placed []*placement
	// window is the write of syncd's the person is acting inside of
	// (0: none).
	window  int
	triples map[string]bool // key/col/val of every placement
	// keyless holds col/val of placements in rows without a key.
	keyless map[string]bool
	// removed: keys a gesture took off the tab.
	removed map[string]bool
	// appeared counts how often a gesture put a key on the tab that it
	// did not show.
	appeared map[string]int
	// auditSeq is the audit row checked last.
	auditSeq int64
	// inserted counts syncd's INSERTs by key; keylessIns the keys each
	// keyless col/val was inserted under.
	inserted   map[string]int
	keylessIns map[string]map[string]bool
}

func newLedger() *ledger {
	return &ledger{triples: map[string]bool{}, keyless: map[string]bool{}, removed: map[string]bool{}, appeared: map[string]int{},
		inserted: map[string]int{}, keylessIns: map[string]map[string]bool{}}
}

func triple(key string, col int, val string) string { return fmt.Sprintf("%s/%d/%s", key, col, val) }

// byKey indexes a tab's non-empty rows by the key they show.
func byKey(grid [][]syncd.Cell) map[string][][]string {
	out := map[string][][]string{}
	for r := 1; r < len(grid); r++ {
		vals := rowTexts(grid[r])
		if strings.Join(vals, "") != "" {
			out[vals[0]] = append(out[vals[0]], vals)
		}
	}
	return out
}

func shows(rows [][]string, col int, val string) bool {
	for _, r := range rows {
		if r[col] == val {
			return true
		}
	}
	return false
}

// observe records what a gesture changed between two looks at the tab.
func (l *ledger) observe(step int, how string, before, after [][]syncd.Cell) {
	b, a := byKey(before), byKey(after)
	for _, p := range l.placed {
		if !p.gone && !p.done && shows(b[p.key], p.col, p.val) && !shows(a[p.key], p.col, p.val) {
			p.gone = true
		}
	}
	for k, rows := range a {
		if k != "" && len(b[k]) == 0 {
			l.appeared[k]++
		}
		for _, r := range rows {
			for c, v := range r {
				if v == "" || shows(b[k], c, v) {
					continue
				}
				if strings.HasPrefix(how, "overtype") && c != 0 {
					// Only the key cell was typed: the row's other cells
					// are its record's own, not values put under a new
					// key (a key typed over is an edit of a non-editable
					// cell, put back; issue 19).
					continue
				}
				l.placed = append(l.placed, &placement{step: step, how: how, key: k, col: c, val: v, window: l.window})
				l.triples[triple(k, c, v)] = true
				if k == "" {
					l.keyless[triple("", c, v)] = true
				}
			}
		}
	}
	for k := range b {
		if k != "" && len(a[k]) == 0 {
			l.removed[k] = true
		}
	}
}

// overwrittenBy marks the placements a write of syncd's replaced in the
// tab, and returns what else it did that only a misplaced write does: the
// keys of table rows it took off the tab, and the values a person put
// there that it overwrote. pre is the tab as syncd read it, before is the
// tab the write met (a gesture in the window in between), after is the
// tab it left: a value overwritten at a row where syncd's read saw
// another key was hit by a write meant for that other row.
func (l *ledger) overwrittenBy(what string, pre, before, after [][]syncd.Cell, table map[string]bool) (keys, vals []string) {
	b, a := byKey(before), byKey(after)
	for _, p := range l.placed {
		if p.gone || p.done || p.overwritten != "" || !shows(b[p.key], p.col, p.val) || shows(a[p.key], p.col, p.val) {
			continue
		}
		r := rowShowing(before, p)
		meant := ""
		if r > 0 && r < len(pre) {
			meant = rowTexts(pre[r])[0]
		}
		typed := strings.HasPrefix(p.how, "type") || strings.HasPrefix(p.how, "overtype")
		switch {
		case typed && p.window == l.window && l.window != 0 && meant != "":
			// Typed (rows unmoved) into a row syncd's read saw and its
			// write, already in flight, rewrote.
			p.inFlight = true
			p.overwritten = fmt.Sprintf("%s, typed while that write of row %d (key %q as syncd read it) was in flight", what, r+1, meant)
		case meant == "" && p.window == l.window && l.window != 0:
			p.overwritten = fmt.Sprintf("%s, into row %d, which syncd's read saw blank and the person filled in the write's window (MISPLACED)", what, r+1)
		case meant == p.key:
			p.overwritten = fmt.Sprintf("%s, which wrote that very cell of row %d after its read saw the row", what, r+1)
		default:
			p.overwritten = fmt.Sprintf("%s, meant for key %q, which syncd's read saw at row %d (MISPLACED)", what, meant, r+1)
		}
		vals = append(vals, fmt.Sprintf("%s %q of row %q (read saw key %q there)", modelCols[p.col], p.val, p.key, meant))
	}
	for k := range b {
		if table[k] && len(a[k]) == 0 {
			keys = append(keys, k)
		}
	}
	return keys, vals
}

// rowShowing is the 0-based grid row that shows p, or -1.
func rowShowing(grid [][]syncd.Cell, p *placement) int {
	for r := 1; r < len(grid); r++ {
		if vals := rowTexts(grid[r]); vals[0] == p.key && vals[p.col] == p.val {
			return r
		}
	}
	return -1
}

// defaultKey: a key the table's default gave a row typed without one.
func defaultKey(k string) bool { return strings.HasPrefix(k, "s") }

func colIndex(name string) int {
	for i, c := range modelCols {
		if c == name {
			return i
		}
	}
	return -1
}

// checkAudit checks syncd's writes to the table since the last check: an
// UPDATE only puts a value a person put into that editable cell of that
// row; an INSERT only a row a person typed, each typed row once; a
// DELETE only a row a person took off the tab, with sheet_deletes.
func (w *wmodel) checkAudit() {
	l := w.ledger
	rows, err := w.b.pool.Query(w.b.ctx, `SELECT seq, op, id, coalesce(col, ''), val FROM audit WHERE seq > $1 AND who IS DISTINCT FROM 'app' ORDER BY seq`, l.auditSeq)
	if err != nil {
		w.b.t.Fatal(err)
	}
	type entry struct {
		seq         int64
		op, id, col string
		val         *string
	}
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.seq, &e.op, &e.id, &e.col, &e.val); err != nil {
			w.b.t.Fatal(err)
		}
		es = append(es, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		w.b.t.Fatal(err)
	}
	for _, e := range es {
		l.auditSeq = e.seq
		c := colIndex(e.col)
		switch {
		case e.op == "D" && !(w.rows && l.removed[e.id]):
			w.fail("syncd DELETEd row %s, which no person took off the tab (sheet_deletes %v)", e.id, w.rows)
		case e.op == "D":
		case e.val == nil:
			w.fail("syncd set %s of row %s to NULL; no person cleared it", e.col, e.id)
		case e.op == "U" && (c < 1 || c > 3):
			w.fail("syncd UPDATEd non-editable %s of row %s to %q", e.col, e.id, *e.val)
		case e.op == "U" && !l.triples[triple(e.id, c, *e.val)] && !(defaultKey(e.id) && l.keyless[triple("", c, *e.val)]):
			w.fail("syncd UPDATEd %s of row %s to %q, which no person put into that row", e.col, e.id, *e.val)
		case e.op == "I" && !w.rows:
			w.fail("syncd INSERTed row %s without sheet_inserts", e.id)
		case e.op == "I" && c == 0:
			w.checkInsertKey(e.id)
		case e.op == "I":
			w.checkInsertCell(e.id, c, *e.val)
		}
	}
}

func (w *wmodel) checkInsertKey(k string) {
	l := w.ledger
	l.inserted[k]++
	if defaultKey(k) {
		return
	}
	if !l.triples[triple(k, 0, k)] {
		w.fail("syncd INSERTed row %s, a key no person typed (a row the application deleted, inserted again?)", k)
	}
	if l.inserted[k] > l.appeared[k] {
		w.fail("syncd INSERTed row %s %d times; a person typed it %d time(s)", k, l.inserted[k], l.appeared[k])
	}
}

func (w *wmodel) checkInsertCell(k string, c int, v string) {
	l := w.ledger
	if !defaultKey(k) {
		// Typed under that key, or typed into a row without a key whose
		// key the person typed afterwards.
		if !l.triples[triple(k, c, v)] && !l.keyless[triple("", c, v)] {
			w.fail("syncd INSERTed row %s with %s %q, which no person put into that row", k, modelCols[c], v)
		}
		return
	}
	t := triple("", c, v)
	if !l.keyless[t] && !l.triples[triple(k, c, v)] {
		w.fail("syncd INSERTed row %s (default key) with %s %q, which no person typed into a row without a key", k, modelCols[c], v)
	}
	if l.keyless[t] {
		if l.keylessIns[t] == nil {
			l.keylessIns[t] = map[string]bool{}
		}
		l.keylessIns[t][k] = true
		if n := len(l.keylessIns[t]); n > 1 {
			w.fail("a row typed without a key was INSERTed %d times (%s %q is in rows %v)", n, modelCols[c], v, keysOf(l.keylessIns[t]))
		}
	}
}

func keysOf(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// checkNothingLost: after quiescence every value a person put into the
// tab (and did not take away again) is in the table at its own row, or in
// syncd.conflicts.
func (w *wmodel) checkNothingLost(i int) {
	applied := map[string]bool{}
	rows, err := w.b.pool.Query(w.b.ctx, `SELECT id, col, val FROM audit WHERE op IN ('I', 'U') AND val IS NOT NULL AND who IS DISTINCT FROM 'app'`)
	if err != nil {
		w.b.t.Fatal(err)
	}
	for rows.Next() {
		var k, col, v string
		if err := rows.Scan(&k, &col, &v); err != nil {
			w.b.t.Fatal(err)
		}
		applied[triple(k, colIndex(col), v)] = true
		if defaultKey(k) {
			applied[triple("", colIndex(col), v)] = true
		}
	}
	rows.Close()
	conflicts := w.b.conflicts()
	for _, p := range w.ledger.placed {
		if p.done || p.gone {
			continue
		}
		if applied[triple(p.key, p.col, p.val)] || recorded(conflicts, p) {
			p.done = true
			continue
		}
		if p.inFlight && !w.strict {
			// Typed while syncd's write was in flight, into a cell that
			// write covers: Google has no compare-and-set, so no engine
			// sees the value before it is gone. Counted, not failed;
			// SYNCD_MODEL_STRICT=1 fails it.
			w.ops["lost: typed into the very cell a write in flight covered"]++
			p.done = true
			continue
		}
		w.ops["lost"]++
		how := "still unexplained"
		if p.overwritten != "" {
			how = "overwritten in the tab by " + p.overwritten
		}
		w.fail("step %d: %s %q put into row %q at step %d (%s) is neither in the table nor in syncd.conflicts (%s)",
			i, modelCols[p.col], p.val, p.key, p.step, p.how, how)
	}
}

func recorded(cs []conflictRow, p *placement) bool {
	col := modelCols[p.col]
	for _, c := range cs {
		// A key typed over a record's key is recorded under the record's
		// key (the row is that record's, its key cell put back), not
		// under the typed one.
		// A row under a key a person typed ("e…") may be a record whose
		// key was typed over: syncd puts the key back and records what
		// was typed in it under the record's key.
		if c.column == col && c.sheet == p.val && (c.key == p.key || p.key == "" || p.col == 0 || strings.HasPrefix(p.key, "e")) {
			return true
		}
		if c.column == "" && strings.Contains(c.sheet, fmt.Sprintf("%q:%q", col, p.val)) {
			return true
		}
	}
	return false
}
