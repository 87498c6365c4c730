package syncer

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// batchRead is the read stage's output: what one database snapshot holds
// for a batch.
type batchRead struct {
	// outbox holds the entries the batch consumes, of every table.
	outbox *store.Outbox
	// mirrors lists the mirrors the entries concern, in config order.
	mirrors []mirrorRead
	// wholeRows makes readTabs read every mirrored column, not only the
	// keys and editable ones: the change poll saw a foreign change, which
	// may be an edit of a non-editable cell (typedover.go).
	wholeRows bool
	// basis is, by sheet key, the Drive version the tab cells were taken
	// at, when syncd can tell (keycache.go).
	basis map[string]int64
}

// mirrorRead is the snapshot's view of one mirror the batch concerns.
type mirrorRead struct {
	m       *mirror
	sheet   string   // its sheet key (spreadsheets.go)
	full    bool     // rewrite from the whole table (truncate, query refresh, new tab)
	keys    []string // outbox keys (jsonb) when not full
	changes int      // outbox entries that concern it
	rows    []dbRow
	// bases are the stored bases of rows (of every row when full); nil
	// for a mirror without editable columns.
	bases  map[string]base
	tab    syncd.TabInfo
	hasTab bool
	// layout is the column change the table's DDL asks of the tab.
	layout *layoutChange
}

// affected returns the mirrors the batch concerns.
func (r *batchRead) affected() []*mirror {
	out := make([]*mirror, len(r.mirrors))
	for i, mr := range r.mirrors {
		out[i] = mr.m
	}
	return out
}

// readBatch takes up to MaxBatch outbox entries and reads the rows they
// name, all in one REPEATABLE READ snapshot. It returns nil when the outbox
// was empty. Parked mirrors are left out: the entries that concern them
// are consumed all the same, because a parked mirror comes back through a
// full resync. With alone set, it reads no outbox and only alone's whole
// table (the full resync that tries a parked mirror again).
func (s *Syncer) readBatch(ctx context.Context, infos map[string]syncd.SpreadsheetInfo, alone *mirror) (*batchRead, error) {
	s.mu.Lock()
	oids := s.tableOID
	s.mu.Unlock()
	var read *batchRead
	err := store.Snapshot(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		outbox := store.NewOutbox(nil, nil)
		var err error
		if alone == nil {
			if outbox, err = store.ReadOutbox(ctx, tx, s.opts.MaxBatch, oids); err != nil || len(outbox.Changes) == 0 {
				return err
			}
		}
		read = &batchRead{outbox: outbox}
		for _, m := range s.mirrors {
			q := outbox.For(m.Mirror)
			if m == alone {
				q = store.Queue{Full: true}
			} else if q.Changes == 0 || alone != nil || s.isParked(m.Name) || s.stopped(m.Name) {
				// A parked or stopped mirror's entries go: it is rewritten
				// whole when it resumes.
				continue
			}
			mr := mirrorRead{m: m, sheet: s.sheetKey(m), full: q.Full, keys: q.Keys, changes: q.Changes, layout: s.layoutOf(m.Name)}
			info, ok := infos[mr.sheet]
			if !ok {
				return fmt.Errorf("mirror %s: its spreadsheet was not read", m.Name)
			}
			mr.tab, mr.hasTab = s.locateTab(info, m)
			if !mr.hasTab || s.needsFull(m.Name) {
				mr.full = true
			}
			if mr.full {
				err = m.readAll(ctx, tx, func(r dbRow) error { mr.rows = append(mr.rows, r); return nil })
			} else if len(mr.keys) > 0 {
				mr.rows, err = m.readKeys(ctx, tx, mr.keys)
			}
			if err != nil {
				return schemaError(err)
			}
			if len(m.Editable) > 0 || (m.IsQuery() && mr.full) {
				var keys []string
				if !mr.full {
					for _, r := range mr.rows {
						keys = append(keys, r.Key)
					}
				}
				if mr.bases, err = m.readBases(ctx, tx, keys); err != nil {
					return err
				}
			}
			read.mirrors = append(read.mirrors, mr)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return read, nil
}

// tabCells is what the tab read found for one mirror (nothing when the
// mirror has no tab yet).
type tabCells struct {
	// grid is the whole tab from row 0 (the header), for a full resync,
	// as wide as the mirror or the grid, whichever is narrower.
	grid [][]syncd.Cell
	// head is the header row, read with the keys when not full.
	head []syncd.Cell
	// keys holds one column per key column, editable one per editable
	// column, each from row 1 down, when not full.
	keys, editable [][][]syncd.Cell
	// narrow is set when a key or editable column lies past the grid
	// (people deleted columns): it was not read.
	narrow bool
	// others holds one column per m.nonEditable() column (within the
	// grid), from row 1 down, when the batch read whole rows.
	others [][][]syncd.Cell
	// tail, when the key cache answered instead of a read, are the keys
	// of rows syncd appended below those cells, at positions it cannot
	// tell (keycache.go).
	tail map[string]bool
}

// damaged reports whether the header read with the keys shows the tab's
// structure is not what the mirror writes into: columns deleted, moved or
// inserted among the mirror's, the header cleared or pushed down. Such a
// tab is rewritten by a full resync that repairs the structure first.
func (tc tabCells) damaged(m *mirror) bool {
	return tc.narrow || !isHeader(tc.head, m.header())
}

// readTabs reads, in one call per spreadsheet, the key columns of every
// affected tab (with the editable columns, so the batch does not overwrite
// an edit reconcile has yet to import), or the whole tab for a full
// resync. calls counts the calls per sheet key.
func (s *Syncer) readTabs(ctx context.Context, read *batchRead, calls map[string]int) ([]tabCells, error) {
	out := make([]tabCells, len(read.mirrors))
	var keys []string
	seen := map[string]bool{}
	for _, mr := range read.mirrors {
		if !seen[mr.sheet] {
			seen[mr.sheet] = true
			keys = append(keys, mr.sheet)
		}
	}
	for _, k := range keys {
		if err := s.readTabsOf(ctx, read, k, out, calls); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// readTabsOf is readTabs for the mirrors of one spreadsheet, into out.
// When nothing happened to the spreadsheet since syncd's own last write,
// the key cache answers instead (keycache.go).
func (s *Syncer) readTabsOf(ctx context.Context, read *batchRead, key string, out []tabCells, calls map[string]int) error {
	if s.serveKeys(ctx, read, key, out) {
		return nil
	}
	if vs := s.versionsOf(key); vs != nil {
		delete(read.basis, key)
		if v, ok := vs.basisAt(); ok {
			read.noteBasis(key, v)
		}
	}
	var ranges []syncd.Range
	for _, mr := range read.mirrors {
		if !mr.hasTab || mr.sheet != key {
			continue
		}
		if mr.full {
			// A full resync reads the whole tab (still one call) so that
			// rows already showing the right values are not rewritten: a
			// report tab refreshed on every dependency change stays cheap.
			// Google refuses a read past the grid: as wide as it, no wider.
			r := byID(mr.tab)
			r.EndCol = wholeWidth(mr.tab)
			ranges = append(ranges, r)
			continue
		}
		ranges = append(ranges, keyRanges(mr.tab, mr.m)...)
		if read.wholeRows && keysReadable(mr.tab, mr.m) {
			ranges = append(ranges, otherRanges(mr.tab, mr.m)...)
		}
	}
	if len(ranges) == 0 {
		return nil
	}
	got, err := s.sheet(key).Read(ctx, ranges)
	calls[key]++
	if err != nil {
		return fmt.Errorf("read key columns: %w (%w)", err, errReplan)
	}
	for i, mr := range read.mirrors {
		switch {
		case !mr.hasTab || mr.sheet != key:
		case mr.full:
			out[i].grid, got = got[0], got[1:]
		default:
			out[i].head, got = firstRow(got[0]), got[1:]
			if !keysReadable(mr.tab, mr.m) {
				out[i].narrow = true
				continue
			}
			nk, ne := len(mr.m.Key), len(mr.m.Editable)
			out[i].keys, out[i].editable, got = got[:nk], got[nk:nk+ne], got[nk+ne:]
			if read.wholeRows {
				no := len(otherRanges(mr.tab, mr.m))
				out[i].others, got = got[:no], got[no:]
			}
		}
	}
	return nil
}

// keysReadable reports whether every key and editable column lies in the
// tab's grid, and the grid has a row below the header to read them from.
func keysReadable(tab syncd.TabInfo, m *mirror) bool {
	if tab.RowCount == 1 {
		return false
	}
	for _, c := range append(append([]int(nil), m.Key...), m.Editable...) {
		if tab.ColCount > 0 && c >= tab.ColCount {
			return false
		}
	}
	return true
}

// keyRanges are the header row, then (when they lie in the grid) the key
// columns and the editable columns from row 1 down. The header row is read
// whole, so columns people added or moved are seen.
func keyRanges(tab syncd.TabInfo, m *mirror) []syncd.Range {
	head := byID(tab)
	head.EndRow = 1
	out := []syncd.Range{head}
	if !keysReadable(tab, m) {
		return out
	}
	for _, c := range append(append([]int(nil), m.Key...), m.Editable...) {
		r := byID(tab)
		r.StartRow, r.StartCol, r.EndCol = 1, c, c+1
		out = append(out, r)
	}
	return out
}

// byID is the whole of a tab, addressed by its sheet id: every read of
// syncd's own tabs goes by id, so a person's tab that took the title
// (syncd's renamed, another created under its name) is never read as
// syncd's.
func byID(tab syncd.TabInfo) syncd.Range {
	return syncd.Range{Tab: tab.Title, SheetID: tab.SheetID, ByID: true}
}

func firstRow(rows [][]syncd.Cell) []syncd.Cell {
	if len(rows) == 0 {
		return nil
	}
	return rows[0]
}
