package syncer

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/rowkey"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/writeback"
)

// Typed rows are inserted exactly once, across crashes. A row typed
// without a key gets Postgres' key (identity, serial), which the pass
// writes back into the tab only after the INSERT committed: syncd killed
// in between left the row keyless in the tab, and the next pass inserted
// it again. So the INSERT's transaction also records the typed cells'
// fingerprint and the new key in syncd.sheet_inserts; a pass that meets a
// keyless row with a recorded fingerprint whose key the tab does not show
// writes that row back instead of inserting. An entry is dropped once its
// key is seen in the tab (or its row is found gone).

// typedPrint identifies a typed row by its cells (rowText: column → text).
func typedPrint(rowText string) string { return rowkey.Fingerprint(rowText) }

// insertLedger is a mirror's recorded inserts during one pass.
type insertLedger struct {
	recs    []store.InsertRecord
	claimed map[int64]bool
	gone    []int64
}

// openLedger reads the mirror's recorded inserts and drops those whose key
// the tab shows (tabKeys): their write-back happened.
func openLedger(ctx context.Context, tx pgx.Tx, m *mirror, tabKeys map[string]bool) (*insertLedger, error) {
	l := &insertLedger{claimed: map[int64]bool{}}
	if !m.SheetInserts || m.IsQuery() {
		return l, nil
	}
	recs, err := store.ReadInserts(ctx, tx, m.Name)
	if err != nil {
		return nil, err
	}
	var shown []int64
	for _, r := range recs {
		if tabKeys[r.Key] {
			shown = append(shown, r.ID)
		} else {
			l.recs = append(l.recs, r)
		}
	}
	return l, store.DropInserts(ctx, tx, shown)
}

// recall returns the stored row an earlier pass inserted for a keyless
// typed row with this fingerprint, or nil when there is none. Each entry
// answers one typed row per pass (two identical rows typed are two rows).
func (l *insertLedger) recall(ctx context.Context, door *writeback.Door, m *mirror, fp string) ([]syncd.Value, error) {
	for _, r := range l.recs {
		if l.claimed[r.ID] || r.Fingerprint != fp {
			continue
		}
		l.claimed[r.ID] = true
		parts, err := decodeKey(r.Key, len(m.Key))
		if err != nil {
			l.gone = append(l.gone, r.ID) // a key of another shape: the mirror's key changed
			continue
		}
		values, err := door.Fetch(ctx, m.Mirror, parts)
		if err != nil {
			return nil, err
		}
		if values == nil {
			l.gone = append(l.gone, r.ID) // deleted since: the typed row is new again
			continue
		}
		return values, nil
	}
	return nil, nil
}

// dropGone forgets the entries whose row is gone.
func (l *insertLedger) dropGone(ctx context.Context, tx pgx.Tx) error {
	return store.DropInserts(ctx, tx, l.gone)
}

// noteRecalled marks key as written back into its typed row this pass.
func (sr *sheetRowsDiff) noteRecalled(key string) {
	if sr.recalled == nil {
		sr.recalled = map[string]bool{}
	}
	sr.recalled[key] = true
	if sr.tabKeys != nil {
		sr.tabKeys[key] = true
	}
}

// dropRecalledAppends removes from the planned appends the rows of
// recalled keys: the diff saw them in the table but not in the tab and
// planned to append them, but they are written back into their typed row.
func (s *Syncer) dropRecalledAppends(m *mirror, d *mirrorDiff, ops []syncd.Op) []syncd.Op {
	sr := &d.sheetRows
	if len(sr.recalled) == 0 {
		return ops
	}
	out := ops[:0:0]
	for _, op := range ops {
		if a, ok := op.(syncd.AppendRows); ok && a.SheetID == d.tab.SheetID {
			var rows [][]syncd.Cell
			for _, r := range a.Rows {
				if key, ok := m.cellKey(r, s.opts.Codec, sr.loc); ok && sr.recalled[key] {
					d.drift.Appended--
					continue
				}
				rows = append(rows, r)
			}
			if len(rows) == 0 {
				continue
			}
			a.Rows = rows
			op = a
		}
		out = append(out, op)
	}
	return out
}
