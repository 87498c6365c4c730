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
}

// mirrorRead is the snapshot's view of one mirror the batch concerns.
type mirrorRead struct {
	m       *mirror
	full    bool     // rewrite from the whole table (truncate, query refresh, new tab)
	keys    []string // outbox keys (jsonb) when not full
	changes int      // outbox entries that concern it
	rows    []dbRow
	// bases are the stored bases of rows (of every row when full); nil
	// for a mirror without editable columns.
	bases  map[string]base
	tab    syncd.TabInfo
	hasTab bool
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
// was empty.
func (s *Syncer) readBatch(ctx context.Context, info syncd.SpreadsheetInfo) (*batchRead, error) {
	s.mu.Lock()
	oids := s.tableOID
	s.mu.Unlock()
	var read *batchRead
	err := store.Snapshot(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		outbox, err := store.ReadOutbox(ctx, tx, s.opts.MaxBatch, oids)
		if err != nil || len(outbox.Changes) == 0 {
			return err
		}
		read = &batchRead{outbox: outbox}
		for _, m := range s.mirrors {
			q := outbox.For(m.Mirror)
			if q.Changes == 0 {
				continue
			}
			mr := mirrorRead{m: m, full: q.Full, keys: q.Keys, changes: q.Changes}
			mr.tab, mr.hasTab = s.locateTab(info, m)
			if !mr.hasTab {
				mr.full = true
			}
			if mr.full {
				err = m.readAll(ctx, tx, func(r dbRow) error { mr.rows = append(mr.rows, r); return nil })
			} else if len(mr.keys) > 0 {
				mr.rows, err = m.readKeys(ctx, tx, mr.keys)
			}
			if err != nil {
				return err
			}
			if len(m.Editable) > 0 {
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
	// grid is the whole tab from row 0 (the header), for a full resync.
	grid [][]syncd.Cell
	// keys holds one column per key column, editable one per editable
	// column, each from row 1 down, when not full.
	keys, editable [][][]syncd.Cell
}

// readTabs reads, in one call for all mirrors, the key columns of every
// affected tab (with the editable columns, so the batch does not overwrite
// an edit reconcile has yet to import), or the whole tab for a full
// resync. calls is incremented for the call.
func (s *Syncer) readTabs(ctx context.Context, read *batchRead, calls *int) ([]tabCells, error) {
	var ranges []syncd.Range
	for _, mr := range read.mirrors {
		if !mr.hasTab {
			continue
		}
		if mr.full {
			// A full resync reads the whole tab (still one call) so that
			// rows already showing the right values are not rewritten: a
			// report tab refreshed on every dependency change stays cheap.
			ranges = append(ranges, syncd.Range{Tab: mr.tab.Title, EndCol: len(mr.m.Columns)})
			continue
		}
		for _, k := range mr.m.Key {
			ranges = append(ranges, syncd.Range{Tab: mr.tab.Title, StartRow: 1, StartCol: k, EndCol: k + 1})
		}
		for _, e := range mr.m.Editable {
			ranges = append(ranges, syncd.Range{Tab: mr.tab.Title, StartRow: 1, StartCol: e, EndCol: e + 1})
		}
	}
	out := make([]tabCells, len(read.mirrors))
	if len(ranges) == 0 {
		return out, nil
	}
	got, err := s.opts.Sheet.Read(ctx, ranges)
	*calls++
	if err != nil {
		return nil, fmt.Errorf("read key columns: %w (%w)", err, errStaleTabs)
	}
	for i, mr := range read.mirrors {
		switch {
		case !mr.hasTab:
		case mr.full:
			out[i].grid, got = got[0], got[1:]
		default:
			nk, ne := len(mr.m.Key), len(mr.m.Editable)
			out[i].keys, out[i].editable, got = got[:nk], got[nk:nk+ne], got[nk+ne:]
		}
	}
	return out, nil
}
