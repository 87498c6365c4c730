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
	"go.uber.org/zap"
)

// change is one outbox entry.
type change struct {
	id  int64
	tbl uint32
	op  byte
	key string // jsonb text; "" for markers
}

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
	oids := map[uint32]string{}
	tables := map[string]bool{}
	for _, m := range s.opts.Mirrors {
		if m.Table != "" {
			tables[m.Table] = true
		}
		for _, d := range m.DependsOn {
			tables[d] = true
		}
	}
	for t := range tables {
		var oid uint32
		if err := s.opts.Pool.QueryRow(ctx, "SELECT $1::regclass::oid", t).Scan(&oid); err != nil {
			return fmt.Errorf("look up table %s: %w", t, err)
		}
		oids[oid] = t
	}
	ids := map[string]int64{}
	rows, err := s.opts.Pool.Query(ctx, "SELECT name, sheet_id FROM syncd.mirrors WHERE sheet_id IS NOT NULL")
	if err != nil {
		return fmt.Errorf("read mirror state: %w", err)
	}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			rows.Close()
			return fmt.Errorf("read mirror state: %w", err)
		}
		ids[name] = id
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read mirror state: %w", err)
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
		var pending bool
		if err := s.opts.Pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM syncd.changes)").Scan(&pending); err != nil {
			return 0, fmt.Errorf("look at outbox: %w", err)
		}
		if !pending {
			return 0, nil
		}
		if err := qa.AwaitQuota(ctx); err != nil {
			return 0, fmt.Errorf("wait for quota: %w", err)
		}
	}
	changes, work, err := s.readBatch(ctx, info)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
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
		err := pgx.BeginFunc(ctx, s.opts.Pool, func(tx pgx.Tx) error { return writeConflicts(ctx, tx, conflicts) })
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
	if err := s.commitBatch(ctx, changes, work, started, calls); err != nil {
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
// name, all in one REPEATABLE READ snapshot.
func (s *Syncer) readBatch(ctx context.Context, info syncd.SpreadsheetInfo) ([]change, []*mirrorWork, error) {
	tx, err := s.opts.Pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, nil, fmt.Errorf("begin snapshot: %w", err)
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT id, tbl::oid, op, coalesce(key::text, '') FROM syncd.changes ORDER BY id LIMIT $1`, s.opts.MaxBatch)
	if err != nil {
		return nil, nil, fmt.Errorf("read outbox: %w", err)
	}
	var changes []change
	for rows.Next() {
		var c change
		var op string
		if err := rows.Scan(&c.id, &c.tbl, &op, &c.key); err != nil {
			rows.Close()
			return nil, nil, fmt.Errorf("read outbox: %w", err)
		}
		c.op = op[0]
		changes = append(changes, c)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read outbox: %w", err)
	}
	if len(changes) == 0 {
		return nil, nil, nil
	}
	s.mu.Lock()
	oids := s.tableOID
	s.mu.Unlock()
	type tableChanges struct {
		full  bool
		keys  map[string]bool
		count int
	}
	byTable := map[string]*tableChanges{}
	for _, c := range changes {
		name, ok := oids[c.tbl]
		if !ok {
			continue // a table no longer mirrored: consume and forget
		}
		tc := byTable[name]
		if tc == nil {
			tc = &tableChanges{keys: map[string]bool{}}
			byTable[name] = tc
		}
		tc.count++
		switch c.op {
		case 'T':
			tc.full = true
		case 'I', 'U', 'D':
			tc.keys[c.key] = true
		}
	}
	var work []*mirrorWork
	for i := range s.opts.Mirrors {
		m := s.mirrors[i]
		w := &mirrorWork{m: m}
		if m.IsQuery() {
			for _, d := range m.DependsOn {
				if tc := byTable[d]; tc != nil {
					w.full = true
					w.changes += tc.count
				}
			}
		} else if tc := byTable[m.Table]; tc != nil {
			w.full = tc.full
			w.changes = tc.count
			for k := range tc.keys {
				w.keys = append(w.keys, k)
			}
			sort.Strings(w.keys)
		}
		if w.changes == 0 {
			continue
		}
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
			return nil, nil, err
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
				return nil, nil, err
			}
		}
		work = append(work, w)
	}
	if err := tx.Commit(ctx); err != nil {
		return nil, nil, fmt.Errorf("end snapshot: %w", err)
	}
	return changes, work, nil
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
func (s *Syncer) commitBatch(ctx context.Context, changes []change, work []*mirrorWork, started time.Time, calls int) error {
	ids := make([]int64, len(changes))
	for i, c := range changes {
		ids[i] = c.id
	}
	finished := s.opts.Now()
	return pgx.BeginFunc(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "DELETE FROM syncd.changes WHERE id = ANY($1)", ids); err != nil {
			return fmt.Errorf("delete mirrored outbox entries: %w", err)
		}
		for _, w := range work {
			details, _ := json.Marshal(map[string]any{"full": w.full, "appended": w.stats.Appended, "updated": w.stats.Written})
			_, err := tx.Exec(ctx, `INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status,
				rows_written, rows_deleted, api_calls, changes, warnings, details)
				VALUES ($1, 'pg_to_sheet', 'change', $2, $3, 'ok', $4, $5, $6, $7, $8, $9)`,
				w.m.Name, started, finished, w.stats.Written+w.stats.Appended, w.stats.Deleted, calls, w.changes, w.stats.Truncated, details)
			if err != nil {
				return fmt.Errorf("record batch: %w", err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO syncd.mirrors (name, sheet_id) VALUES ($1, $2)
				ON CONFLICT (name) DO UPDATE SET sheet_id = EXCLUDED.sheet_id WHERE mirrors.sheet_id IS DISTINCT FROM EXCLUDED.sheet_id`,
				w.m.Name, w.tab.SheetID); err != nil {
				return fmt.Errorf("record tab of mirror %s: %w", w.m.Name, err)
			}
			if w.es != nil {
				if err := writeStates(ctx, tx, w.m.Name, w.es.states); err != nil {
					return err
				}
			}
			s.mu.Lock()
			s.sheetIDs[w.m.Name] = w.tab.SheetID
			s.mu.Unlock()
		}
		if len(work) == 0 && len(changes) > 0 {
			// Entries of tables no mirror follows any more.
			s.log.Info("discarded outbox entries of unmirrored tables", zap.Int("changes", len(changes)))
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
		_, err := s.opts.Pool.Exec(rctx, `INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status, api_calls, changes, error)
			VALUES ($1, 'pg_to_sheet', 'change', $2, $3, 'error', $4, $5, $6)`, name, started, s.opts.Now(), calls, nchanges, msg)
		if err != nil {
			s.log.Warn("could not record failed batch", zap.String("mirrors", strings.Join(names, ",")), zap.Error(err))
			return
		}
	}
}
