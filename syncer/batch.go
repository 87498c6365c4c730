package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"go.uber.org/zap"
)

// mirrorWork is what one batch does for one mirror.
type mirrorWork struct {
	m       *mirror
	full    bool     // rewrite from the whole table (truncate, query refresh, new tab)
	keys    []string // outbox keys (jsonb) when not full
	changes int      // outbox entries that concern it
	rows    []dbRow
	tab     syncd.TabInfo
	hasTab  bool
	ops     []syncd.Op
	stats   planStats
	es      *editState // mirrors with editable columns
}

// load reads the table oids and the sheet ids syncd owns, once.
func (s *Syncer) load(ctx context.Context) error {
	s.mu.Lock()
	loaded := s.tableOID != nil
	s.mu.Unlock()
	if loaded {
		return nil
	}
	seen := map[string]bool{}
	var tables []string
	for _, m := range s.opts.Mirrors {
		for _, t := range append([]string{m.Table}, m.DependsOn...) {
			if t != "" && !seen[t] {
				seen[t] = true
				tables = append(tables, t)
			}
		}
	}
	oids, err := store.TableOIDs(ctx, s.opts.Pool, tables)
	if err != nil {
		return err
	}
	ids, err := store.SheetIDs(ctx, s.opts.Pool)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.tableOID = oids
	for k, v := range ids {
		s.sheetIDs[k] = v
	}
	s.mu.Unlock()
	return nil
}

// Drain mirrors one batch of the outbox (at most MaxBatch entries) into the
// sheet with one write call, then deletes exactly the entries it read and
// records the batch in sync_log, in one transaction. It returns the number
// of outbox entries consumed (0 when the outbox was empty).
func (s *Syncer) Drain(ctx context.Context) (int, error) {
	n, err := s.drain(ctx)
	if errors.Is(err, errStaleTabs) {
		// People renamed or deleted a tab since the cache was filled: look
		// again and redo the batch once.
		s.forgetInfo()
		n, err = s.drain(ctx)
	}
	return n, err
}

// errStaleTabs marks a key read that failed, most likely because the cached
// tab titles are out of date.
var errStaleTabs = errors.New("tabs changed")

func (s *Syncer) drain(ctx context.Context) (int, error) {
	if err := s.load(ctx); err != nil {
		return 0, err
	}
	started := s.opts.Now()
	calls := 0
	// Look at the spreadsheet first: a mirror whose tab is missing needs
	// its whole table, which must come from the same snapshot as the rest.
	info, err := s.spreadsheetInfo(ctx, &calls)
	if err != nil {
		// Every mirror is stuck behind this (wrong id, not shared, revoked
		// key): say so in sync_log, where `syncd status` looks.
		s.recordFailure(ctx, nil, started, calls, 0, err)
		return 0, err
	}
	if qa, ok := s.opts.Sheet.(syncd.QuotaAwaiter); ok {
		// Only when there is work: an idle drain must not wait for quota.
		pending, err := store.HasChanges(ctx, s.opts.Pool)
		if err != nil {
			return 0, err
		}
		if !pending {
			return 0, nil
		}
		if err := qa.AwaitQuota(ctx); err != nil {
			return 0, fmt.Errorf("wait for quota: %w", err)
		}
	}
	outbox, work, err := s.readBatch(ctx, info)
	if err != nil || outbox == nil {
		return 0, err
	}
	changes := outbox.Changes
	if err := s.planBatch(ctx, info, work, &calls); err != nil {
		s.recordFailure(ctx, work, started, calls, len(changes), err)
		return 0, err
	}
	var ops []syncd.Op
	var conflicts []Conflict
	for _, w := range work {
		ops = append(ops, w.ops...)
		if w.es != nil {
			conflicts = append(conflicts, w.es.conflicts...)
		}
	}
	if len(conflicts) > 0 {
		// Stored before the sheet is overwritten, so nothing is lost if
		// the write succeeds and the commit below does not.
		err := store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error { return store.InsertConflicts(ctx, tx, conflicts) })
		if err != nil {
			return 0, err
		}
	}
	if len(ops) > 0 {
		n, err := s.opts.Sheet.Apply(ctx, ops)
		calls += n
		if err != nil {
			// The tab cache stays: if people deleted or renamed a tab, the
			// next batch's key read fails on it and refreshes the cache; a
			// transient failure (a 5xx on a write that must not be blindly
			// repeated) costs no extra call.
			err = fmt.Errorf("write batch to sheet: %w", err)
			s.recordFailure(ctx, work, started, calls, len(changes), err)
			return 0, err
		}
	}
	for _, w := range work {
		if !w.hasTab {
			continue
		}
		s.rememberTab(w.tab)
	}
	if err := s.commitBatch(ctx, outbox, work, started, calls); err != nil {
		return 0, err
	}
	s.mu.Lock()
	s.stats.Batches++
	s.stats.APICalls += calls
	s.stats.Changes += len(changes)
	s.stats.LastBatchAt = s.opts.Now()
	for _, w := range work {
		s.stats.RowsWritten += w.stats.Written + w.stats.Appended
		s.stats.RowsDeleted += w.stats.Deleted
	}
	s.mu.Unlock()
	for _, w := range work {
		s.log.Info("batch",
			zap.String("mirror", w.m.Name), zap.Int("changes", w.changes),
			zap.Int("rows_written", w.stats.Written+w.stats.Appended), zap.Int("rows_deleted", w.stats.Deleted),
			zap.Int("api_calls", calls), zap.Duration("duration", s.opts.Now().Sub(started)))
	}
	return len(changes), nil
}

// readBatch takes up to MaxBatch outbox entries and reads the rows they
// name, all in one REPEATABLE READ snapshot. The outbox is nil when it was
// empty.
func (s *Syncer) readBatch(ctx context.Context, info syncd.SpreadsheetInfo) (*store.Outbox, []*mirrorWork, error) {
	s.mu.Lock()
	oids := s.tableOID
	s.mu.Unlock()
	var outbox *store.Outbox
	var work []*mirrorWork
	err := store.Snapshot(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		var err error
		if outbox, err = store.ReadOutbox(ctx, tx, s.opts.MaxBatch, oids); err != nil {
			return err
		}
		if len(outbox.Changes) == 0 {
			outbox = nil
			return nil
		}
		for _, m := range s.mirrors {
			q := outbox.For(m.Mirror)
			if q.Changes == 0 {
				continue
			}
			w := &mirrorWork{m: m, full: q.Full, keys: q.Keys, changes: q.Changes}
			w.tab, w.hasTab = s.locateTab(info, m)
			if !w.hasTab {
				w.full = true
			}
			if w.full {
				err = m.readAll(ctx, tx, func(r dbRow) error { w.rows = append(w.rows, r); return nil })
			} else if len(w.keys) > 0 {
				w.rows, err = m.readKeys(ctx, tx, w.keys)
			}
			if err != nil {
				return err
			}
			if len(m.Editable) > 0 {
				var keys []string
				if !w.full {
					for _, r := range w.rows {
						keys = append(keys, r.Key)
					}
				}
				w.es = &editState{cells: map[int][]syncd.Cell{}}
				if w.es.bases, err = m.readBases(ctx, tx, keys); err != nil {
					return err
				}
			}
			work = append(work, w)
		}
		return nil
	})
	if err != nil || outbox == nil {
		return nil, nil, err
	}
	return outbox, work, nil
}

// planBatch reads the key columns of every affected tab (one read call for
// all) and plans each mirror's ops.
func (s *Syncer) planBatch(ctx context.Context, info syncd.SpreadsheetInfo, work []*mirrorWork, calls *int) error {
	var ranges []syncd.Range
	for _, w := range work {
		if !w.hasTab {
			continue
		}
		if w.full {
			// A full resync reads the whole tab (still one call) so that
			// rows already showing the right values are not rewritten: a
			// report tab refreshed on every dependency change stays cheap.
			ranges = append(ranges, syncd.Range{Tab: w.tab.Title, EndCol: len(w.m.Columns)})
			continue
		}
		for _, k := range w.m.Key {
			ranges = append(ranges, syncd.Range{Tab: w.tab.Title, StartRow: 1, StartCol: k, EndCol: k + 1})
		}
		if w.es != nil {
			// The editable cells come with the keys (same read call): the
			// batch must not overwrite an edit reconcile has yet to import.
			for _, e := range w.m.Editable {
				ranges = append(ranges, syncd.Range{Tab: w.tab.Title, StartRow: 1, StartCol: e, EndCol: e + 1})
			}
		}
	}
	var read [][][]syncd.Cell
	if len(ranges) > 0 {
		var err error
		read, err = s.opts.Sheet.Read(ctx, ranges)
		*calls++
		if err != nil {
			return fmt.Errorf("read key columns: %w (%w)", err, errStaleTabs)
		}
	}
	loc := info.TimeZone
	for _, w := range work {
		m := w.m
		if !w.hasTab {
			id := newSheetID(info, m.Name)
			w.tab = syncd.TabInfo{SheetID: id, Title: m.Sheet, RowCount: 1 + len(w.rows), ColCount: len(m.Columns), FrozenRows: 1}
			w.hasTab = true
			w.ops = append(w.ops, syncd.AddTab{SheetID: id, Title: m.Sheet, Header: m.header(), Formats: m.formats(s.opts.Codec)})
			ops, st := m.planChanges(id, tabKeys{rows: map[string][]int{}}, w.rows, s.opts.Codec, loc, w.es)
			w.ops = append(w.ops, ops...)
			w.stats = st
			continue
		}
		var tk tabKeys
		headerOK := true
		if w.full {
			grid := read[0]
			read = read[1:]
			var head []syncd.Cell
			if len(grid) > 0 {
				head, grid = grid[0], grid[1:]
			}
			for i, h := range m.header() {
				headerOK = headerOK && cellAt(head, i) == syncd.StringCell(h)
			}
			tk = m.indexGrid(grid, s.opts.Codec, loc, w.es)
		} else {
			tk = m.indexKeys(read[:len(m.Key)], s.opts.Codec, loc)
			read = read[len(m.Key):]
		}
		if w.es != nil && !w.full {
			ed := read[:len(m.Editable)]
			read = read[len(m.Editable):]
			for j := range ed {
				for i, cells := range ed[j] {
					row := i + 1
					if w.es.cells[row] == nil {
						w.es.cells[row] = make([]syncd.Cell, len(m.Editable))
					}
					if len(cells) > 0 {
						w.es.cells[row][j] = cells[0]
					}
				}
			}
		}
		if w.tab.Title != m.Sheet {
			w.ops = append(w.ops, syncd.RenameTab{SheetID: w.tab.SheetID, Title: m.Sheet})
			w.tab.Title = m.Sheet
		}
		rows := w.rows
		if w.full {
			// Rows the tab has but the table no longer has are removed;
			// blank and unparseable rows are left for reconcile.
			if !headerOK {
				w.ops = append(w.ops, syncd.FormatColumns{SheetID: w.tab.SheetID, Header: m.header(), Formats: m.formats(s.opts.Codec)})
			}
			present := make(map[string]bool, len(rows))
			for _, r := range rows {
				present[r.Key] = true
			}
			var gone []string
			for k := range tk.rows {
				if !present[k] {
					gone = append(gone, k)
				}
			}
			sort.Strings(gone)
			for _, k := range gone {
				rows = append(rows, dbRow{Key: k})
			}
		}
		ops, st := m.planChanges(w.tab.SheetID, tk, rows, s.opts.Codec, loc, w.es)
		w.ops = append(w.ops, ops...)
		w.stats = st
	}
	return nil
}

// commitBatch deletes exactly the consumed outbox ids and records the batch,
// in one transaction. A crash before it commits only repeats the
// (idempotent) sheet write.
func (s *Syncer) commitBatch(ctx context.Context, outbox *store.Outbox, work []*mirrorWork, started time.Time, calls int) error {
	finished := s.opts.Now()
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		if err := store.DeleteChanges(ctx, tx, outbox.IDs()); err != nil {
			return err
		}
		for _, w := range work {
			details, _ := json.Marshal(map[string]any{"full": w.full, "appended": w.stats.Appended, "updated": w.stats.Written})
			_, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: w.m.Name, Direction: store.ToSheet, Kind: store.KindChange,
				Status: store.StatusOK, StartedAt: started, FinishedAt: finished,
				RowsWritten: w.stats.Written + w.stats.Appended, RowsDeleted: w.stats.Deleted, APICalls: calls,
				Changes: w.changes, Warnings: w.stats.Truncated, Details: details})
			if err != nil {
				return err
			}
			if err := store.SaveSheetID(ctx, tx, w.m.Name, w.tab.SheetID); err != nil {
				return err
			}
			if w.es != nil {
				if err := store.WriteRowStates(ctx, tx, w.m.Name, w.es.states); err != nil {
					return err
				}
			}
			s.mu.Lock()
			s.sheetIDs[w.m.Name] = w.tab.SheetID
			s.mu.Unlock()
		}
		if len(work) == 0 && len(outbox.Changes) > 0 {
			// Entries of tables no mirror follows any more.
			s.log.Info("discarded outbox entries of unmirrored tables", zap.Int("changes", len(outbox.Changes)))
		}
		return nil
	})
}

// recordFailure logs a failed batch in sync_log (status 'error'). The outbox
// is untouched, so the batch is retried. Recording is best effort: the
// database may be what failed.
func (s *Syncer) recordFailure(ctx context.Context, work []*mirrorWork, started time.Time, calls, nchanges int, cause error) {
	s.mu.Lock()
	s.stats.FailedBatches++
	s.stats.APICalls += calls
	s.mu.Unlock()
	if errors.Is(cause, context.Canceled) {
		return
	}
	msg := cause.Error()
	names := make([]string, 0, len(work))
	for _, w := range work {
		names = append(names, w.m.Name)
	}
	if len(names) == 0 {
		for _, m := range s.opts.Mirrors {
			names = append(names, m.Name)
		}
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	for _, name := range names {
		_, err := store.InsertLog(rctx, s.opts.Pool, store.LogEntry{Mirror: name, Direction: store.ToSheet, Kind: store.KindChange,
			Status: store.StatusError, StartedAt: started, FinishedAt: s.opts.Now(), APICalls: calls, Changes: nchanges, Error: msg})
		if err != nil {
			s.log.Warn("could not record failed batch", zap.String("mirrors", strings.Join(names, ",")), zap.Error(err))
			return
		}
	}
}
