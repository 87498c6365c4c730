package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/writeback"
	"go.uber.org/zap"
)

// ReconcileOptions select what a reconcile pass does.
type ReconcileOptions struct {
	// Mirror limits the pass to one mirror; empty means all.
	Mirror string
	// DryRun reports what would change and changes nothing anywhere.
	DryRun bool

	// only, when non-nil, limits the pass to these mirrors, and bySheet
	// marks the change poll's sheet pass (logged sheet_to_pg; poll.go).
	only    []string
	bySheet bool
	// late marks the pass run again because the sheet moved during the
	// first one: it writes whatever the version says (bounded replans).
	late bool
}

// ReconcileReport is what a pass found and did.
type ReconcileReport struct {
	Mirrors  []MirrorDrift
	APICalls int
	DryRun   bool
}

// Drift is the total number of repairs across mirrors.
func (r ReconcileReport) Drift() int {
	n := 0
	for _, m := range r.Mirrors {
		n += m.Drift()
	}
	return n
}

// chunkRows bounds the rows of one range when a tab is read, so a very large
// tab does not come back as one enormous value range.
const chunkRows = 25000

// Reconcile proves each tab equals its table and repairs what differs: one
// read of all tabs, one database snapshot, one write for all repairs. Cells
// people changed in editable columns are carried back to Postgres (three-way
// against what syncd last wrote); every value it does not apply is kept in
// syncd.conflicts. Rows with changes queued in the outbox are left to the
// change stream. Run it between batches, never concurrently with Drain.
//
// Mirrors are isolated: when the pass fails, each mirror is passed alone,
// so one mirror's failure (a duplicate key, a dropped table) never keeps
// the others from being repaired. Every failure is recorded in sync_log
// (status error, with its text) for the mirror it concerns, unless DryRun;
// the error returned joins them.
func (s *Syncer) Reconcile(ctx context.Context, opts ReconcileOptions) (out ReconcileReport, err error) {
	defer func() { s.notePending(out) }() // typedover.go
	rep, err := s.reconcileReplanned(ctx, opts)
	if err == nil || ctx.Err() != nil {
		return rep, err
	}
	if opts.Mirror != "" || len(s.mirrors) < 2 || len(opts.only) == 1 {
		if !opts.DryRun {
			s.recordReconcileFailure(ctx, opts.Mirror, err)
		}
		return rep, err
	}
	s.log.Warn("reconcile failed; passing each mirror alone", zap.Error(err))
	total := ReconcileReport{DryRun: opts.DryRun, APICalls: rep.APICalls}
	var errs []error
	for _, m := range s.mirrors {
		if !opts.selects(m.Name) {
			continue
		}
		one := opts
		one.Mirror, one.only = m.Name, nil
		r, err := s.reconcileReplanned(ctx, one)
		total.APICalls += r.APICalls
		total.Mirrors = append(total.Mirrors, r.Mirrors...)
		if err != nil {
			if !opts.DryRun {
				s.recordReconcileFailure(ctx, m.Name, err)
			}
			errs = append(errs, err)
		}
	}
	return total, errors.Join(errs...)
}

// reconcileReplanned is one pass, passed once more when a table changed
// under it: it has looked at the catalog again (a dropped table's mirror is
// stopped now).
func (s *Syncer) reconcileReplanned(ctx context.Context, opts ReconcileOptions) (ReconcileReport, error) {
	rep, err := s.reconcile(ctx, opts)
	if err != nil && errors.Is(err, errReplan) {
		opts.late = true
		return s.reconcile(ctx, opts)
	}
	return rep, err
}

// reconcile is one pass over the mirrors opts selects (see Reconcile).
func (s *Syncer) reconcile(ctx context.Context, opts ReconcileOptions) (ReconcileReport, error) {
	rep := ReconcileReport{DryRun: opts.DryRun}
	if err := s.load(ctx); err != nil {
		return rep, err
	}
	if err := s.followSchema(ctx); err != nil {
		return rep, err
	}
	var mirrors []*mirror
	for i := range s.opts.Mirrors {
		if s.stopped(s.opts.Mirrors[i].Name) {
			continue
		}
		if opts.selects(s.opts.Mirrors[i].Name) {
			mirrors = append(mirrors, s.mirrors[i])
		}
	}
	if len(mirrors) == 0 {
		return rep, fmt.Errorf("reconcile %q: %w", opts.Mirror, errNoMirror)
	}
	if err := s.load(ctx); err != nil {
		return rep, err
	}
	started := s.opts.Now()
	// The row counts syncd last left the tabs with (a lower bound): what
	// the grids lost since, syncd did not delete (tabscan.go).
	left := s.tabRowCounts()
	// People may have renamed or deleted tabs: never trust the cache here.
	// Each spreadsheet is read and written with its own calls; calls
	// counts them per sheet key, for each mirror's sync_log row.
	s.forgetInfo()
	startV := s.passVersion(ctx, mirrors)
	calls := map[string]int{}
	infos, err := s.spreadsheetInfos(ctx, mirrors, calls)
	rep.APICalls = sum(calls)
	if err != nil {
		return rep, err
	}
	inputs := make([]diffInput, len(mirrors))
	ranges := map[string][]syncd.Range{}
	owners := map[string][]int{}
	kept := map[string]map[int]bool{} // sheet key → indexes of ranges that read a kept-rows tab
	for i, m := range mirrors {
		in := &inputs[i]
		key := s.sheetKey(m)
		info := infos[key]
		in.loc = info.TimeZone
		in.info = info
		in.tab, in.hasTab = s.locateTab(info, m)
		in.layout = s.layoutOf(m.Name)
		if !in.hasTab {
			continue
		}
		n, ok := left[in.tab.SheetID]
		if !ok && m.SheetDeletes {
			// Not in memory (a restart): as syncd last recorded it.
			if n, ok, err = store.TabRows(ctx, s.opts.Pool, m.Name); err != nil {
				return rep, err
			}
		}
		if ok && in.tab.RowCount > 0 {
			in.rowBudget = max(n-in.tab.RowCount, 0)
		}
		if m.takesEditsBack() {
			// syncd's own writes are the only writers of this state, and
			// none runs during the pass: read before the tab.
			if in.unverified, err = store.ReadUnverified(ctx, s.opts.Pool, m.Name); err != nil {
				return rep, err
			}
			if kt, ok := m.keptTab(info); ok && in.unverified.KeptRows > 0 {
				r := byID(kt)
				r.StartRow, r.EndRow, r.EndCol = 0, min(in.unverified.KeptRows, max(kt.RowCount, 1)), max(kt.ColCount, 1)
				if kept[key] == nil {
					kept[key] = map[int]bool{}
				}
				kept[key][len(ranges[key])] = true
				ranges[key] = append(ranges[key], r)
				owners[key] = append(owners[key], i)
			}
		}
		rows := max(in.tab.RowCount, 1)
		for start := 0; start < rows; start += chunkRows {
			r := byID(in.tab)
			r.StartRow, r.EndRow, r.EndCol = start, min(start+chunkRows, rows), wholeWidth(in.tab)
			ranges[key] = append(ranges[key], r)
			owners[key] = append(owners[key], i)
		}
	}
	// The sheets are read before the database: anything committed after
	// these reads is either in the snapshot below (and wins) or queued in
	// the outbox (and those rows are skipped), so a pass never undoes a
	// change.
	for _, key := range s.sheetKeys(mirrors) {
		if len(ranges[key]) == 0 {
			continue
		}
		read, err := s.sheet(key).Read(ctx, ranges[key])
		calls[key]++
		rep.APICalls++
		if err != nil {
			return rep, fmt.Errorf("read tabs: %w", err)
		}
		for j, cells := range read {
			in := &inputs[owners[key][j]]
			if kept[key][j] {
				in.kept, in.keptRead = cells, true
				continue
			}
			start := ranges[key][j].StartRow
			for len(in.grid) < start {
				in.grid = append(in.grid, nil)
			}
			in.grid = append(in.grid, cells...)
		}
	}
	if err := s.readForReconcile(ctx, mirrors, inputs); err != nil {
		// A table changed under the pass: look at the catalog again.
		if err = schemaError(err); errors.Is(err, errReplan) {
			if ferr := s.followSchema(ctx); ferr != nil {
				return rep, ferr
			}
		}
		return rep, err
	}
	diffs := make([]*mirrorDiff, len(mirrors))
	ops := map[string][]syncd.Op{}
	for i, m := range mirrors {
		if inputs[i].pending == nil {
			// A full resync is queued: the change stream rewrites the tab.
			rep.Mirrors = append(rep.Mirrors, MirrorDrift{Mirror: m.Name, Lines: []string{"full resync queued; left to the change stream"}})
			continue
		}
		diffs[i] = s.diffMirror(m, inputs[i])
		if err := diffs[i].err; err != nil {
			return rep, fmt.Errorf("reconcile mirror %s: %w", m.Name, err)
		}
	}
	if opts.DryRun {
		for _, d := range diffs {
			if d != nil {
				rep.Mirrors = append(rep.Mirrors, d.drift)
			}
		}
		return rep, nil
	}
	// Edits and conflicts are stored before the sheet is touched: if the
	// write then fails, nothing a person typed has been lost.
	if err := s.storeEdits(ctx, mirrors, diffs); err != nil {
		return rep, err
	}
	for i, d := range diffs {
		if d != nil {
			s.settleSheetRows(mirrors[i], d) // rows people added or deleted (sheetrows.go)
			key := s.sheetKey(mirrors[i])
			ops[key] = append(ops[key], d.ops...)
		}
	}
	// One batchUpdate per spreadsheet; one that fails leaves the ones
	// written before it written (the next pass finds them settled).
	// landed: the write provably hit the rows it aimed at (typedover.go).
	landed := map[string]bool{}
	for _, key := range s.sheetKeys(mirrors) {
		if len(ops[key]) == 0 {
			continue
		}
		n, clean, err := s.applyUnmoved(ctx, key, ops[key], startV, opts.late)
		landed[key] = clean
		calls[key] += n
		rep.APICalls += n
		if err != nil {
			s.forgetInfo()
			return rep, fmt.Errorf("write repairs: %w", err)
		}
	}
	for i, d := range diffs {
		if d == nil {
			continue
		}
		s.rememberTab(s.sheetKey(mirrors[i]), d.tab)
		if d.keptTab.SheetID != 0 {
			s.rememberTab(s.sheetKey(mirrors[i]), d.keptTab)
		}
		rep.Mirrors = append(rep.Mirrors, d.drift)
	}
	if err := s.finishReconcile(ctx, mirrors, diffs, started, calls, landed, opts.bySheet); err != nil {
		return rep, err
	}
	for i, d := range diffs {
		if d != nil {
			s.layoutDone(mirrors[i].Name, inputs[i].layout)
		}
	}
	for _, d := range diffs {
		if d != nil {
			s.log.Info("reconcile", zap.String("mirror", d.drift.Mirror), zap.Int("drift", d.drift.Drift()),
				zap.Int("appended", d.drift.Appended), zap.Int("rewritten", d.drift.Rewritten), zap.Int("removed", d.drift.Removed),
				zap.Int("edits_imported", d.drift.EditsImported), zap.Int("conflicts", len(d.drift.Conflicts)),
				zap.Int("api_calls", rep.APICalls))
		}
	}
	return rep, nil
}

// readForReconcile reads, in one snapshot, each mirror's whole table, its
// row bases, and the keys with changes still queued in the outbox (read
// through the same Outbox as the change stream, so a pass skips exactly
// what the next batch will write). A mirror with a queued full resync gets
// a nil pending set.
func (s *Syncer) readForReconcile(ctx context.Context, mirrors []*mirror, inputs []diffInput) error {
	s.mu.Lock()
	oids := s.tableOID
	s.mu.Unlock()
	return store.Snapshot(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		outbox, err := store.ReadOutbox(ctx, tx, 0, oids)
		if err != nil {
			return err
		}
		for i, m := range mirrors {
			in := &inputs[i]
			q := outbox.For(m.Mirror)
			if q.Full {
				continue // pending stays nil: the change stream rewrites the tab
			}
			in.pending = map[string]bool{}
			if len(q.Keys) > 0 {
				queued, err := m.readKeys(ctx, tx, q.Keys)
				if err != nil {
					return err
				}
				for _, r := range queued {
					in.pending[r.Key] = true
				}
			}
			err := m.readAll(ctx, tx, func(r dbRow) error { in.rows = append(in.rows, r); return nil })
			if err != nil {
				return err
			}
			if in.bases, err = m.readBases(ctx, tx, nil); err != nil {
				return err
			}
		}
		return nil
	})
}

// storeEdits carries editable cells back to Postgres and records conflicts,
// in one transaction, through the guarded door (package writeback): each
// edit applies only if the row still holds what the pass saw, and a value
// Postgres refuses (too long, a check constraint, an unknown enum label)
// becomes a conflict with the reason.
func (s *Syncer) storeEdits(ctx context.Context, mirrors []*mirror, diffs []*mirrorDiff) error {
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		door := writeback.New(tx)
		for i, d := range diffs {
			if d == nil {
				continue
			}
			m := mirrors[i]
			states, err := s.importEdits(ctx, door, m, d)
			if err != nil {
				return err
			}
			if err := m.writeStates(ctx, tx, states); err != nil {
				return err
			}
			if err := s.storeSheetRows(ctx, tx, door, m, d); err != nil {
				return err
			}
			if m.takesEditsBack() {
				// Written ahead: the pass's own writes address rows by
				// index too (store.Unverified), and keep what they
				// replace (keep.go).
				d.keepBeforeWrite(m)
				if _, err := store.MarkUnverified(ctx, tx, m.Name, d.aim); err != nil {
					return err
				}
			}
			if len(states) > 0 && s.soleMirrorOf(m) {
				// The sheet already shows these values and the bases say
				// so: the outbox entries the edits just produced would only
				// rewrite the same cells. Dropping them (only the door's
				// own) keeps a settled sheet at zero writes.
				if err := door.DropOwnChanges(ctx, m.Table); err != nil {
					return err
				}
			}
			if err := store.InsertConflicts(ctx, tx, d.drift.Conflicts); err != nil {
				return err
			}
		}
		return nil
	})
}

// importEdits applies a mirror's edits, one UPDATE each, and returns the
// bases they move. Edits of the same row are applied in turn, each
// guarded by the row as the previous one left it.
func (s *Syncer) importEdits(ctx context.Context, door *writeback.Door, m *mirror, d *mirrorDiff) ([]stateUpdate, error) {
	var states []stateUpdate
	rows := map[string][]syncd.Value{} // rows as this pass's updates stored them
	for _, e := range d.edits {
		col := m.Columns[e.col]
		seen, ok := rows[e.key]
		if !ok {
			seen = e.row
		}
		stored, err := door.Update(ctx, m.Mirror, seen, map[int]syncd.Value{e.col: e.value})
		var refused *writeback.RefusedError
		if errors.As(err, &refused) {
			d.drift.Conflicts = append(d.drift.Conflicts, Conflict{Mirror: m.Name, Key: m.keyMap(e.key), Column: col.Name,
				SheetValue: cellText(e.cell), DBValue: valuePtr(e.expect), Reason: store.ReasonBadValue,
				Message: fmt.Sprintf("Postgres rejected the sheet value: %v", err)})
			// The cell shows the database's value again; what was typed
			// is in the conflict ("use sheet" tries it again).
			d.rewriteCell(m, s.opts.Codec, e.at, e.col, seen, d.sheetRows.loc)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("import edit of %s: %w", col.Name, err)
		}
		if stored == nil {
			continue // Postgres changed meanwhile; the next pass sees both sides
		}
		rows[e.key] = stored
		d.drift.EditsImported++
		states = append(states, stateUpdate{Key: e.key, Cells: base{col.Name: valuePtr(e.value)}})
	}
	return states, nil
}

// finishReconcile stores the new bases, the sync_log rows and the mirror
// statistics `syncd status` shows.
func (s *Syncer) finishReconcile(ctx context.Context, mirrors []*mirror, diffs []*mirrorDiff, started time.Time, callsBySheet map[string]int, landed map[string]bool, bySheet bool) error {
	finished := s.opts.Now()
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		for i, d := range diffs {
			if d == nil {
				continue
			}
			m := mirrors[i]
			calls := callsBySheet[s.sheetKey(m)] // its spreadsheet's calls
			if err := m.writeStates(ctx, tx, d.states); err != nil {
				return err
			}
			if err := settleUnverified(ctx, tx, m, d, landed[s.sheetKey(m)]); err != nil {
				return err
			}
			if m.SheetDeletes {
				if err := store.SaveTabRows(ctx, tx, m.Name, d.tab.RowCount); err != nil {
					return err
				}
			}
			dr := d.drift
			drift := dr.Drift()
			details, _ := json.Marshal(s.withSpreadsheet(m, s.sheetKey(m), map[string]any{"appended": dr.Appended, "rewritten": dr.Rewritten, "cells": dr.Cells,
				"removed": dr.Removed, "tab_created": dr.TabCreated, "tab_renamed": dr.TabRenamed, "header_fixed": dr.HeaderFixed,
				"conflicts": len(dr.Conflicts), "pending": dr.Pending, "edits_imported": dr.EditsImported,
				"inserted": dr.Inserted, "deleted": dr.Deleted, "held_back": dr.HeldBack, "max_sheet_deletes": m.MaxSheetDeletes,
				store.TitleClashDetail: nilIfEmpty(dr.TitleClash)}))
			s.sheetRows.remember(m.Name, d.sheetRows.tabKeys)
			if bySheet {
				// The change poll's pass (poll.go): one sheet_to_pg row.
				if err := logSheetPass(ctx, tx, m, dr, started, finished, calls, &drift, details); err != nil {
					return err
				}
			} else {
				_, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: m.Name, Direction: store.ToSheet, Kind: store.KindReconcile,
					Status: store.StatusOK, StartedAt: started, FinishedAt: finished, RowsWritten: dr.Appended + dr.Rewritten,
					RowsDeleted: dr.Removed, APICalls: calls, Drift: &drift, Details: details})
				if err != nil {
					return err
				}
			}
			if !bySheet && dr.EditsImported+dr.Inserted+dr.Deleted > 0 {
				_, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: m.Name, Direction: store.FromSheet, Kind: store.KindReconcile,
					Status: store.StatusOK, StartedAt: started, FinishedAt: finished, RowsWritten: dr.EditsImported + dr.Inserted,
					RowsDeleted: dr.Deleted})
				if err != nil {
					return err
				}
			}
			if err := store.SaveReconcile(ctx, tx, m.Name, d.tab.SheetID, finished, dr.RowsInTable, dr.RowsInTab, drift); err != nil {
				return err
			}
			s.mu.Lock()
			s.sheetIDs[m.Name] = d.tab.SheetID
			s.mu.Unlock()
		}
		return nil
	})
}

// recordReconcileFailure logs a failed pass in sync_log for the named
// mirror (every mirror when name is ""), best effort.
func (s *Syncer) recordReconcileFailure(ctx context.Context, name string, cause error) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	now := s.opts.Now()
	for _, m := range s.opts.Mirrors {
		if name != "" && m.Name != name {
			continue
		}
		_, err := store.InsertLog(rctx, s.opts.Pool, store.LogEntry{Mirror: m.Name, Direction: store.ToSheet, Kind: store.KindReconcile,
			Status: store.StatusError, StartedAt: now, FinishedAt: now, Error: cause.Error()})
		if err != nil {
			s.log.Warn("could not record failed reconcile", zap.Error(err))
			return
		}
	}
}

// soleMirrorOf reports whether m is the only mirror that follows its table
// (no other table mirror, no query depending on it).
func (s *Syncer) soleMirrorOf(m *mirror) bool {
	for i := range s.opts.Mirrors {
		o := s.mirrors[i]
		if o != m && o.Table == m.Table {
			return false
		}
		for _, d := range o.DependsOn {
			if d == m.Table {
				return false
			}
		}
	}
	return true
}
