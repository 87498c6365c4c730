package syncer

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// MirrorDrift is what a reconcile pass found (and, unless it was a dry run,
// repaired) for one mirror.
type MirrorDrift struct {
	Mirror      string
	RowsInTable int
	RowsInTab   int
	TabCreated  bool
	TabRenamed  bool
	HeaderFixed bool
	// Appended rows were in the table but not in the tab.
	Appended int
	// Rewritten rows had stale cells (Cells counts the cells).
	Rewritten, Cells int
	// Removed rows were blank, duplicated, or had keys Postgres lacks.
	Removed int
	// Sorted is set when the tab was re-sorted by the mirror's order_by.
	Sorted bool
	// Inserted rows were typed into the tab (sheet_inserts), Deleted rows
	// deleted from it (sheet_deletes); HeldBack deletions were restored
	// for exceeding max_sheet_deletes (sheetrows.go).
	Inserted, Deleted, HeldBack int
	// EditsImported counts editable cells carried back to Postgres.
	EditsImported int
	// Conflicts are sheet values not applied; they go to syncd.conflicts.
	Conflicts []Conflict
	// Pending counts rows skipped because the change stream has changes
	// for them queued (the next batch writes them; a pass never fights it).
	Pending int
	// TitleClash, when set, says that a person's tab holds the mirror's
	// sheet title, so syncd's tab is kept under another (status shows it).
	TitleClash string
	// Lines describe each repair for people (dry-run output).
	Lines []string
}

// Drift is the number of repairs the mirror needed.
func (d MirrorDrift) Drift() int {
	n := d.Appended + d.Rewritten + d.Removed + d.EditsImported + d.Inserted + d.Deleted
	for _, b := range []bool{d.TabCreated, d.TabRenamed, d.HeaderFixed, d.Sorted} {
		if b {
			n++
		}
	}
	return n
}

// edit is an editable cell to carry back to Postgres.
type edit struct {
	key    string
	col    int
	value  syncd.Value // from the sheet
	expect syncd.Value // the database value the pass saw (guard against races)
	cell   syncd.Cell
	row    []syncd.Value // the whole row the pass saw: the update's compare-and-set
	at     int           // the tab row it was read from
}

// mirrorDiff is a mirror's planned repair.
type mirrorDiff struct {
	drift  MirrorDrift
	ops    []syncd.Op
	edits  []edit
	states []stateUpdate
	tab    syncd.TabInfo
	// err says why the tab's structure cannot be repaired.
	err error
	// sheetRows are the rows people added or deleted (sheetrows.go).
	sheetRows sheetRowsDiff
	// aim is what the pass's own writes by position aim at, and keep the
	// unverified rows it leaves to the change stream (queued rows it
	// skipped): store.Unverified, aim.go. order, written and removes are
	// what aim is computed from (tab rows as the pass read them).
	aim, keep        store.Unverified
	order            []string
	grid             [][]syncd.Cell
	written, removes []int
	rowOps           []syncd.Op
	// rowOpsStart and rowOpsEnd are the indexes in ops of the first row
	// write and after the last (before the removals, which shift rows):
	// where kept rows and a late row write go.
	rowOpsStart, rowOpsEnd int
	// handed are cells already kept as another row's (tabScan.handed):
	// the value kept, by key and column.
	handed map[string]map[int]string
	// readTab and info are the tab and spreadsheet as read, keptAt the
	// first free row of the kept-rows tab, keptTab that tab as the ops
	// leave it (keep.go).
	readTab, keptTab syncd.TabInfo
	info             syncd.SpreadsheetInfo
	keptAt           int
}

const maxLines = 50

func (d *mirrorDiff) line(format string, args ...any) {
	if len(d.drift.Lines) < maxLines {
		d.drift.Lines = append(d.drift.Lines, fmt.Sprintf(format, args...))
	} else if len(d.drift.Lines) == maxLines {
		d.drift.Lines = append(d.drift.Lines, "...")
	}
}

// diffInput is what a reconcile pass read for one mirror.
type diffInput struct {
	tab     syncd.TabInfo
	hasTab  bool
	grid    [][]syncd.Cell // the tab's rows from row 0 (header), mirrored columns only
	rows    []dbRow        // the table, key order
	pending map[string]bool
	bases   map[string]base
	// restored marks columns whose cells syncd rewrites from Postgres
	// rather than compare (see structure.restored).
	restored map[int]bool
	loc      *time.Location
	info     syncd.SpreadsheetInfo
	// layout is the column change the table's DDL asks of the tab.
	layout *layoutChange
	// unverified is what positional writes of syncd's may have touched
	// since it last knew they landed where aimed (store.Unverified).
	// rowBudget is how many rows the grid lost that syncd did not delete
	// (its row count as syncd last left it, a lower bound, minus the
	// count now; 0 when unknown). tabscan.go.
	unverified store.Unverified
	rowBudget  int
	// kept is the mirror's kept-rows tab as read, from row 0, and
	// keptRead whether it was (keep.go).
	kept     [][]syncd.Cell
	keptRead bool
}

// diffMirror compares a tab with its table cell by cell through the codec and
// plans the repair: header, stale cells (only those; editable cells people
// changed are carried back instead, three-way against the base), rows to
// remove (blank, duplicated, unknown key) and rows to append.
func (s *Syncer) diffMirror(m *mirror, in diffInput) *mirrorDiff {
	codec := s.opts.Codec
	d := &mirrorDiff{drift: MirrorDrift{Mirror: m.Name, RowsInTable: len(in.rows)}, tab: in.tab}
	ncols := len(m.Columns)
	if !in.hasTab {
		id := newSheetID(in.info, m.Name)
		title := chooseTitle(in.info, m.Sheet, id, false)
		d.drift.TitleClash = title.clash
		d.tab = syncd.TabInfo{SheetID: id, Title: title.title, ColCount: ncols, FrozenRows: 1}
		d.drift.TabCreated = true
		d.line("create tab %q with %d rows", title.title, len(in.rows))
		d.ops = append(d.ops, syncd.AddTab{SheetID: id, Title: title.title, Header: m.header(), Formats: m.formats(codec)})
		var appends [][]syncd.Cell
		for _, r := range in.rows {
			cells, _ := m.encodeRow(r.Values, codec, in.loc)
			appends = append(appends, cells)
			d.states = append(d.states, stateUpdate{Key: r.Key, Cells: m.baseFrom(r.Values)})
		}
		if len(appends) > 0 {
			d.ops = append(d.ops, syncd.AppendRows{SheetID: id, Rows: appends, Formats: m.formats(codec)})
		}
		d.drift.Appended = len(appends)
		d.tab.RowCount, d.tab.ColCount = max(syncd.NewTabRows, 1+len(appends)), max(syncd.NewTabCols, ncols)
		d.ops = append(d.ops, protectOps(m, d, d.tab, d.ops)...)
		return d
	}
	title := chooseTitle(in.info, m.Sheet, in.tab.SheetID, true)
	d.drift.TitleClash = title.clash
	if in.tab.Title != title.title {
		d.drift.TabRenamed = true
		d.line("rename tab %q back to %q", in.tab.Title, title.title)
		if title.clash != "" {
			d.line("%s", title.clash)
		}
		d.ops = append(d.ops, syncd.RenameTab{SheetID: in.tab.SheetID, Title: title.title})
	}
	// The structure first: rows inserted above the header, mirrored
	// columns a person deleted. Comparing cells before would read each
	// column's neighbour as an edit.
	header := m.header()
	st := repairStructure(in.tab, in.grid, header, in.layout)
	if len(st.ops) > 0 {
		d.line("repair the tab's structure: %d row/column change(s)", len(st.ops))
		d.ops = append(d.ops, st.ops...)
		d.drift.HeaderFixed = true
	}
	in.grid, in.restored = st.grid, st.restored
	if !st.headerOK {
		d.drift.HeaderFixed = true
		d.line("restore the header row")
		d.ops = append(d.ops, syncd.FormatColumns{SheetID: in.tab.SheetID, Header: header, Formats: m.formats(codec)})
	}
	dbIndex := make(map[string]int, len(in.rows))
	for i, r := range in.rows {
		dbIndex[r.Key] = i
	}
	sc := m.scanTab(in, dbIndex, func(k string) bool { return s.shownBefore(m, in, k) }, codec)
	d.drift.Conflicts = append(d.drift.Conflicts, sc.overwritten...)
	d.handed = sc.handed
	seen := make(map[string]bool, len(in.rows))
	var removes, written []int
	var writes []syncd.Op
	// Rows ops start here: a typed row's write-back (typedRow) is put
	// in the loop, the other row writes after it.
	d.rowOpsStart = len(d.ops)
	for r := 1; r < len(in.grid); r++ {
		if sc.blank[r] {
			removes = append(removes, r)
			d.line("remove blank row %d", r+1)
			continue
		}
		d.drift.RowsInTab++
		w, removed := s.diffTabRow(m, d, in, sc, r, dbIndex, seen)
		writes = append(writes, w...)
		if len(w) > 0 {
			written = append(written, r)
		}
		if removed {
			removes = append(removes, r)
		}
	}
	d.order, d.grid, d.written, d.removes, d.rowOps = sc.order(), in.grid, written, removes, writes
	d.aim = d.aimAt(m)
	d.noteTabKeys(seen, dbIndex, in.loc)
	d.ops = append(d.ops, writes...)
	d.rowOpsEnd = len(d.ops)
	d.ops = append(d.ops, deleteOps(in.tab.SheetID, removes)...)
	d.drift.Removed = len(removes)
	var missing []dbRow
	shownMissing := 0
	for _, r := range in.rows {
		if !seen[r.Key] && !in.pending[r.Key] {
			missing = append(missing, r)
			if s.shownBefore(m, in, r.Key) {
				shownMissing++
			}
		}
	}
	verdict := sc.deletionVerdict(in, shownMissing)
	var appends [][]syncd.Cell
	for _, r := range missing {
		if s.deletedRow(m, d, in, r, verdict) {
			continue
		}
		cells, _ := m.encodeRow(r.Values, codec, in.loc)
		appends = append(appends, cells)
		d.states = append(d.states, stateUpdate{Key: r.Key, Cells: m.baseFrom(r.Values)})
		d.line("append key %s", m.keyLabel(r.Key))
	}
	appends = s.holdBackDeletes(m, d, in, appends)
	if len(appends) > 0 {
		d.ops = append(d.ops, syncd.AppendRows{SheetID: in.tab.SheetID, Rows: appends, Formats: m.formats(codec),
			FromRow: max(len(in.grid)-len(removes), 1)}) // a lower bound: removes shift rows up
	}
	d.drift.Appended = len(appends)
	if len(m.OrderBy) > 0 && (len(appends) > 0 || len(removes) > 0 || !m.sortedBy(in.grid)) {
		d.drift.Sorted = true
		d.line("sort the tab by %v", m.orderNames())
		d.ops = append(d.ops, syncd.SortRows{SheetID: in.tab.SheetID, Columns: append([]int(nil), m.OrderBy...)})
	}
	for k := range in.bases {
		// A deletion still queued is the batch's: it needs the base to
		// keep what people typed in the row it removes (deletedEdits).
		if _, ok := dbIndex[k]; !ok && !in.pending[k] {
			d.states = append(d.states, stateUpdate{Key: k}) // row gone: forget its base
		}
	}
	d.ops = append(d.ops, protectOps(m, d, in.tab, d.ops)...)
	before := len(d.ops)
	d.ops, d.tab = withGrid(in.tab, d.ops)
	d.rowOpsEnd += len(d.ops) - before // a GrowGrid put first
	d.rowOpsStart += len(d.ops) - before
	d.readTab, d.info, d.keptAt = in.tab, in.info, in.unverified.KeptRows
	d.tab.Title = title.title
	for k, a := range in.unverified.Rows {
		if in.pending[k] {
			d.keep.Add(store.Unverified{Rows: map[string]store.Aim{k: a}})
		}
	}
	for k := range sc.unsure {
		if in.pending[k] {
			// Left to the change stream, still doubtful: the next pass
			// must not read it as an edit either.
			d.keep.Unsure = append(d.keep.Unsure, k)
		}
	}
	return d
}

// diffTabRow decides about one non-blank tab row r: the writes for its
// stale cells, or removed (the row goes, with a conflict when a person
// typed into it). seen collects the keys the tab shows.
func (s *Syncer) diffTabRow(m *mirror, d *mirrorDiff, in diffInput, sc tabScan, r int, dbIndex map[string]int, seen map[string]bool) ([]syncd.Op, bool) {
	cells, key, ok := in.grid[r], sc.key[r], sc.ok[r]
	if k, found := sc.rekey[r]; found {
		// The key was typed over: the row is k's. The key cell is put
		// back (merge records what was typed as not_editable).
		seen[k] = true
		return s.diffRow(m, d, in, r, k, cells, in.rows[dbIndex[k]].Values, "its key was typed over"), false
	}
	if k, found := sc.copyOf[r]; found {
		d.line("remove row %d: repeats the cells of key %s", r+1, m.keyLabel(k))
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, SheetValue: m.rowText(cells), Reason: store.ReasonDuplicateRow,
			Message: fmt.Sprintf("row %d (key %q) repeats the cells of key %s: a copy or a moved row, not a new one; removed from the tab, Postgres unchanged",
				r+1, m.shownKey(cells), m.keyLabel(k))})
		return nil, true
	}
	if !ok {
		if s.typedRow(m, d, in, r, "", cells) {
			return nil, false
		}
		d.line("remove row %d: no valid key", r+1)
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, SheetValue: m.rowText(cells),
			Reason: store.ReasonSheetOnlyRow, Message: fmt.Sprintf("row %d has no valid key; removed from the tab", r+1)})
		return nil, true
	}
	i, inDB := dbIndex[key]
	if seen[key] {
		d.line("remove row %d: duplicate of key %s", r+1, m.keyLabel(key))
		if !inDB || !m.sameCells(cells, in.rows[i].Values, s.opts.Codec, in.loc) {
			d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(key), SheetValue: m.rowText(cells),
				Reason: store.ReasonDuplicateRow, Message: fmt.Sprintf("row %d repeats key %s; removed from the tab", r+1, m.keyLabel(key))})
		}
		return nil, true
	}
	seen[key] = true
	if in.pending[key] {
		d.drift.Pending++
		return nil, false
	}
	if !inDB {
		if s.typedRow(m, d, in, r, key, cells) {
			return nil, false
		}
		d.line("remove row %d: key %s is not in %s", r+1, m.keyLabel(key), m.source())
		if in.layout != nil && in.layout.fresh {
			return nil, true // a row of the dropped table: nobody typed it
		}
		d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(key), SheetValue: m.rowText(cells),
			Reason: store.ReasonSheetOnlyRow, Message: fmt.Sprintf("row %d: key %s exists only in the sheet; removed from the tab", r+1, m.keyLabel(key))})
		return nil, true
	}
	doubt := ""
	switch {
	case sc.count[key] > 1:
		// Which of the rows is the record's cannot be told (a paste, or
		// a write that landed on a moved row): none is read as an edit.
		doubt = fmt.Sprintf("key %s is in %d rows", m.keyLabel(key), sc.count[key])
	case sc.unsure[key]:
		doubt = "syncd wrote the row by position and its neighbours are not the ones it aimed at, so its cells may be another record's"
	}
	return s.diffRow(m, d, in, r, key, cells, in.rows[i].Values, doubt), false
}

// diffRow compares one keyed row and returns the writes for its stale
// cells, recording edits, conflicts and base updates in d. With a doubt
// (why the row may not be the record's own), a changed editable cell is
// kept as a conflict and rewritten, never imported.
func (s *Syncer) diffRow(m *mirror, d *mirrorDiff, in diffInput, r int, key string, cells []syncd.Cell, values []syncd.Value, doubt string) []syncd.Op {
	codec := s.opts.Codec
	stale := make([]bool, len(m.Columns))
	want := make([]syncd.Cell, len(m.Columns))
	newBase := base{}
	baseChanged := false
	b := in.bases[key]
	for c, col := range m.Columns {
		editable := m.isEditable(c)
		bv, known := b.Value(col.Name)
		got := cellAt(cells, c)
		if in.restored[c] {
			want[c], _ = codec.Encode(col, values[c], in.loc)
			stale[c] = got != want[c]
			if !m.isKeyCol(c) { // non-editable bases too (typedover.go)
				baseChanged = baseChanged || !known || bv != values[c]
				newBase[col.Name] = valuePtr(values[c])
			}
			continue
		}
		out := merge(col, mergeInput{editable: editable, base: bv, known: known, sheet: got, db: values[c]}, codec, in.loc, byReconcile)
		if doubt != "" && out.result == mergeImport {
			out.result, out.reason = mergeConflict, store.ReasonUnsureRow
		}
		want[c] = out.want
		if !m.isKeyCol(c) && out.result != mergeImport { // non-editable bases too (typedover.go)
			// Whatever the sheet ends up showing is the database value.
			if !known || bv != values[c] {
				baseChanged = true
			}
			newBase[col.Name] = valuePtr(values[c])
		}
		switch out.result {
		case mergeWrite:
			stale[c] = true
		case mergeImport:
			d.edits = append(d.edits, edit{at: r, key: key, col: c, value: out.value, expect: values[c], cell: got, row: values})
			d.line("import edit of %s at row %d: %q", col.Name, r+1, cellText(got))
			// The base moves to the edit's value when the edit is applied;
			// leaving the column out keeps the stored base until then.
		case mergeConflict:
			stale[c] = true
			var msg string
			switch {
			case out.reason == store.ReasonUnsureRow:
				msg = fmt.Sprintf("row %d: %s was typed in a row syncd cannot tie to key %s alone (%s); Postgres kept", r+1, col.Name, m.keyLabel(key), doubt)
			case out.reason == store.ReasonNotEditable:
				msg = fmt.Sprintf("row %d: %s is not editable; the sheet value was overwritten", r+1, col.Name)
			case out.reason == store.ReasonBadValue:
				msg = fmt.Sprintf("row %d: %s.%s: %v", r+1, m.source(), col.Name, out.err)
			case out.noBase:
				msg = fmt.Sprintf("row %d: %s differs and syncd has no record of what it last wrote; Postgres kept", r+1, col.Name)
			default:
				msg = fmt.Sprintf("row %d: %s changed in the sheet and in Postgres; Postgres kept", r+1, col.Name)
			}
			if v, ok := d.handed[key][c]; ok && v == cellPrint(got) {
				break // kept as the other row's value (keep.go)
			}
			d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(key), Column: col.Name,
				SheetValue: cellText(got), DBValue: valuePtr(values[c]), Reason: out.reason, Message: msg})
		}
	}
	if m.keepsState() && baseChanged {
		d.states = append(d.states, stateUpdate{Key: key, Cells: newBase})
	}
	n := 0
	for _, st := range stale {
		if st {
			n++
		}
	}
	if n > 0 {
		// The key cells go with every write: a write that lands on a row
		// a person moved meanwhile then shows the key twice (a doubt for
		// the next pass) instead of one record's values under another's
		// key, which a later pass would read as that record's edit.
		for _, k := range m.Key {
			stale[k] = true
			want[k], _ = codec.Encode(m.Columns[k], values[k], in.loc)
		}
	}
	var ops []syncd.Op
	for c := 0; c < len(stale); {
		if !stale[c] {
			c++
			continue
		}
		e := c
		for e < len(stale) && stale[e] {
			e++
		}
		ops = append(ops, syncd.WriteRows{SheetID: in.tab.SheetID, Row: r, Col: c, Rows: [][]syncd.Cell{append([]syncd.Cell(nil), want[c:e]...)}})
		c = e
	}
	if n > 0 {
		d.drift.Rewritten++
		d.drift.Cells += n
		d.line("rewrite %d stale cell(s) of key %s at row %d", n, m.keyLabel(key), r+1)
	}
	return ops
}

// blankRowIsKey reports whether a blank tab row is the row of a key whose
// cells all encode as empty (the empty-string key of a row whose other columns are NULL),
// seen for the first time.
func (m *mirror) blankRowIsKey(key string, ok bool, dbIndex map[string]int, seen map[string]bool) bool {
	if !ok || seen[key] {
		return false
	}
	_, in := dbIndex[key]
	return in
}

func (m *mirror) isEditable(c int) bool {
	for _, e := range m.Editable {
		if e == c {
			return true
		}
	}
	return false
}

// cellKey returns the key a tab row shows (see cellsKey).
func (m *mirror) cellKey(cells []syncd.Cell, codec syncd.Codec, loc *time.Location) (string, bool) {
	return m.cellsKey(func(j int) syncd.Cell { return cellAt(cells, m.Key[j]) }, codec, loc)
}

// sameCells reports whether a tab row shows exactly the given values.
func (m *mirror) sameCells(cells []syncd.Cell, values []syncd.Value, codec syncd.Codec, loc *time.Location) bool {
	for c, col := range m.Columns {
		want, _ := codec.Encode(col, values[c], loc)
		if cellAt(cells, c) != want {
			return false
		}
	}
	return true
}

func cellAt(cells []syncd.Cell, i int) syncd.Cell {
	if i < len(cells) {
		return cells[i]
	}
	return syncd.Cell{}
}

func rowEmpty(cells []syncd.Cell, n int) bool {
	for i := 0; i < n && i < len(cells); i++ {
		if cells[i].Type != syncd.CellEmpty {
			return false
		}
	}
	return true
}

func valuePtr(v syncd.Value) *string {
	if !v.Valid {
		return nil
	}
	s := v.Text
	return &s
}

// sortedBy reports whether the tab's data rows are in order_by order under
// the comparator Sheets sorts with (compareCells).
func (m *mirror) sortedBy(grid [][]syncd.Cell) bool {
	for r := 2; r < len(grid); r++ {
		for _, c := range m.OrderBy {
			cmp := compareCells(cellAt(grid[r-1], c), cellAt(grid[r], c))
			if cmp < 0 {
				break
			}
			if cmp > 0 {
				return false
			}
		}
	}
	return true
}

func (m *mirror) orderNames() []string {
	out := make([]string, len(m.OrderBy))
	for i, c := range m.OrderBy {
		out[i] = m.Columns[c].Name
	}
	return out
}

// compareCells orders cells as a Sheets sort does: numbers, then text
// (case folded), then booleans, empty cells last.
func compareCells(a, b syncd.Cell) int {
	rank := func(c syncd.Cell) int {
		switch c.Type {
		case syncd.CellNumber:
			return 0
		case syncd.CellString, syncd.CellError:
			return 1
		case syncd.CellBool:
			return 2
		}
		return 3
	}
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 0:
		switch {
		case a.Number < b.Number:
			return -1
		case a.Number > b.Number:
			return 1
		}
	case 1:
		return strings.Compare(strings.ToLower(a.String), strings.ToLower(b.String))
	case 2:
		switch {
		case a.Bool == b.Bool:
			return 0
		case !a.Bool:
			return -1
		}
		return 1
	}
	return 0
}
