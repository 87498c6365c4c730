package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"go.uber.org/zap"
)

// A batch is a pipeline of stages, each with its own input and output:
//
//	readBatch        one database snapshot (outbox, rows, bases) → batchRead
//	readTabs         one Sheets read of keys or whole tabs       → []tabCells
//	planBatch        pure, no I/O                                → batchPlan
//	storeBeforeWrite one transaction: the plan's conflicts, tabs it deletes rows of
//	applyBatch       one write to the spreadsheet
//	commitBatch      one transaction: outbox ids, sync_log, bases
//
// The order is what makes a batch safe: the sheet is written only after
// its conflicts are stored, and the outbox is touched only once the sheet
// has the data.

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
//
// When the tab is not as the batch expected (people renamed or deleted a
// tab, deleted columns or rows, cleared the header) the batch looks at the
// spreadsheet again and replans once, rewriting the damaged tabs whole
// after repairing their structure. Only if that fails too is the failure
// recorded in sync_log; Run retries it with backoff, still replanning.
func (s *Syncer) Drain(ctx context.Context) (int, error) {
	s.retryParked(ctx)
	n, tried, err := s.drainReplanning(ctx, nil)
	if err == nil || ctx.Err() != nil || !s.isolate(ctx, tried) {
		return n, err
	}
	// The mirrors at fault are parked: the others go on at once.
	n, _, err = s.drainReplanning(ctx, nil)
	return n, err
}

// drainReplanning runs one batch (of every mirror not parked, or of alone
// only, see drain), replanning when the tabs were not as expected. It
// returns the mirrors the batch concerned.
func (s *Syncer) drainReplanning(ctx context.Context, alone *mirror) (int, []*mirror, error) {
	for attempt := 1; ; attempt++ {
		// A read that failed (a renamed tab, a grid narrower than the
		// cache says) is replanned from a fresh Info; that replan may
		// find the header damaged and replan once more as a full resync.
		final := attempt == maxReplans+1
		n, tried, err := s.drain(ctx, final, alone)
		if final || !errors.Is(err, errReplan) {
			return n, tried, err
		}
		s.log.Info("tab not as expected; looking again and replanning", zap.Error(err))
		s.forgetInfo()
	}
}

// maxReplans bounds how often one Drain replans a batch.
const maxReplans = 2

// errReplan marks a batch that failed because its picture of the tabs was
// out of date: a read outside the grid or of a missing tab, a header that
// is not the mirror's, a write the API refused as invalid.
var errReplan = errors.New("tabs changed")

// drain runs one batch; final is false for the first attempt, whose
// replannable failures are not recorded (Drain tries again at once). With
// alone nil the batch covers every mirror not parked and consumes outbox
// entries; with alone set it is a full resync of that mirror only and
// consumes none (see retryParked). It returns the mirrors concerned.
func (s *Syncer) drain(ctx context.Context, final bool, alone *mirror) (int, []*mirror, error) {
	n, read, err := s.drainRead(ctx, final, alone)
	if read != nil {
		return n, read.affected(), err
	}
	if alone != nil {
		return n, []*mirror{alone}, err
	}
	return n, s.unparked(), err
}

// drainRead is drain; read is nil when the batch failed before its
// snapshot was read.
func (s *Syncer) drainRead(ctx context.Context, final bool, alone *mirror) (n int, read *batchRead, err error) {
	if err := s.load(ctx); err != nil {
		return 0, nil, err
	}
	if err := s.followSchema(ctx); err != nil {
		return 0, nil, err
	}
	started := s.opts.Now()
	calls := map[string]int{} // by sheet key: sync_log counts each spreadsheet's own
	scope := s.unparked()
	if alone != nil {
		scope = []*mirror{alone}
	}
	// Look at the spreadsheets first: a mirror whose tab is missing needs
	// its whole table, which must come from the same snapshot as the rest.
	infos, err := s.spreadsheetInfos(ctx, scope, calls)
	if err != nil {
		// Every mirror is stuck behind this (wrong id, not shared, revoked
		// key): say so in sync_log, where `syncd status` looks. With
		// several spreadsheets, isolation then parks the mirrors of the
		// one at fault and the others go on.
		s.recordFailure(ctx, nil, started, sum(calls), 0, err)
		return 0, nil, err
	}
	if alone == nil && s.paces(scope) {
		// Only when there is work: an idle drain must not wait for quota.
		pending, err := store.HasChanges(ctx, s.opts.Pool)
		if err != nil {
			return 0, nil, err
		}
		if !pending {
			return 0, nil, nil
		}
		if err := s.awaitQuota(ctx, s.sheetKeys(scope)); err != nil {
			return 0, nil, err
		}
	}
	read, err = s.readBatch(ctx, infos, alone)
	if err != nil {
		mirrors := s.unparked()
		if alone != nil {
			mirrors = []*mirror{alone}
		}
		s.recordFailure(ctx, mirrors, started, sum(calls), 0, err)
		return 0, nil, err
	}
	if read == nil {
		return 0, nil, nil
	}
	fail := func(err error) (int, *batchRead, error) {
		if !final && errors.Is(err, errReplan) {
			s.mu.Lock()
			s.stats.APICalls += sum(calls)
			s.mu.Unlock()
			return 0, read, err
		}
		s.recordFailure(ctx, read.affected(), started, sum(calls), len(read.outbox.Changes), err)
		return 0, read, err
	}
	nchanges := len(read.outbox.Changes)
	read.wholeRows = s.wholeRowsDue(read)
	tabs, err := s.readTabs(ctx, read, calls)
	if err != nil {
		return fail(err)
	}
	if err := s.checkStructure(read, tabs); err != nil {
		return fail(err)
	}
	plan, err := planBatch(read, tabs, infos, s.opts.Codec)
	if err != nil {
		return fail(err)
	}
	plan, pre, err := s.lookAgainIfTyped(ctx, read, infos, plan, calls)
	if err != nil {
		return fail(err)
	}
	if over := overCellLimit(plan.mirrors, infos); len(over) > 0 {
		// Google would refuse the whole write (celllimit.go): those
		// mirrors are left out and parked, the others' writes go.
		if alone != nil {
			for _, err := range over {
				return fail(err)
			}
		}
		keep := plan.mirrors[:0:0]
		for i, p := range plan.mirrors {
			err, ok := over[i]
			if !ok {
				keep = append(keep, p)
				continue
			}
			s.park(p.m, err)
			s.recordFailure(ctx, []*mirror{p.m}, started, 0, p.changes, err)
		}
		plan.mirrors = keep
	}
	if err := s.storeBeforeWrite(ctx, &plan, infos); err != nil {
		return fail(err)
	}
	landed := map[string]bool{}
	if err := s.applyBatch(ctx, plan, pre, calls, landed); err != nil {
		if errors.Is(err, syncd.ErrInvalidRequest) {
			// Refused as invalid: repeating it cannot help. The tabs are
			// not what the plan assumed; rewrite them whole from a fresh
			// look, now and on every retry until one succeeds.
			s.setFull(read.affected(), true)
			err = fmt.Errorf("%w (%w)", err, errReplan)
		}
		return fail(err)
	}
	for _, p := range plan.mirrors {
		s.rememberTab(p.sheet, p.tab)
		if p.keptTab.SheetID != 0 {
			s.rememberTab(p.sheet, p.keptTab)
		}
	}
	if err := s.commitBatch(ctx, plan, started, calls, landed); err != nil {
		// The sheet has the data and the outbox is intact: the retry
		// rewrites the same cells.
		return fail(err)
	}
	s.rememberKeys(read, tabs, plan, pre, landed, infos) // keycache.go
	s.setFull(read.affected(), false)
	s.wroteWholeRows(read, nchanges)
	s.mu.Lock()
	s.stats.Batches++
	s.stats.APICalls += sum(calls)
	s.stats.Changes += nchanges
	s.stats.LastBatchAt = s.opts.Now()
	for _, p := range plan.mirrors {
		s.stats.RowsWritten += p.stats.Written + p.stats.Appended
		s.stats.RowsDeleted += p.stats.Deleted
	}
	s.mu.Unlock()
	for _, p := range plan.mirrors {
		s.log.Info("batch",
			zap.String("mirror", p.m.Name), zap.Int("changes", p.changes),
			zap.Int("rows_written", p.stats.Written+p.stats.Appended), zap.Int("rows_deleted", p.stats.Deleted),
			zap.Int("api_calls", calls[p.sheet]), zap.Duration("duration", s.opts.Now().Sub(started)))
	}
	return nchanges, read, nil
}

// checkStructure marks for a full resync the mirrors whose header, read
// with their keys, shows the tab's structure damaged, and then fails with
// errReplan: the full resync needs its rows from a new snapshot.
func (s *Syncer) checkStructure(read *batchRead, tabs []tabCells) error {
	var damaged []*mirror
	var names []string
	for i, mr := range read.mirrors {
		if mr.hasTab && !mr.full && tabs[i].damaged(mr.m) {
			damaged = append(damaged, mr.m)
			names = append(names, fmt.Sprintf("%s (tab %q)", mr.m.Name, mr.tab.Title))
		}
	}
	if len(damaged) == 0 {
		return nil
	}
	s.setFull(damaged, true)
	return fmt.Errorf("header row of %s is not the mirror's: %w", strings.Join(names, ", "), errReplan)
}

// storeBeforeWrite records, before the sheet is written, the plan's
// conflicts (so nothing a person typed is lost if the write succeeds and
// the commit does not) and which mirrors' tabs the write deletes rows of
// by position (store.MarkRemovalsUnverified: absence from those tabs is
// no evidence until a full read has seen them again; tabscan.go).
func (s *Syncer) storeBeforeWrite(ctx context.Context, plan *batchPlan, infos map[string]syncd.SpreadsheetInfo) error {
	var conflicts []Conflict
	marks := false
	for _, p := range plan.mirrors {
		conflicts = append(conflicts, p.conflicts...)
		marks = marks || p.positional()
	}
	if len(conflicts) == 0 && !marks {
		return nil
	}
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		for i := range plan.mirrors {
			p := &plan.mirrors[i]
			if !p.positional() {
				continue
			}
			before, err := store.ReadUnverified(ctx, tx, p.m.Name)
			if err != nil {
				return err
			}
			// What the write replaces is kept first (keep.go).
			k := p.m.keepRows(infos[p.sheet], p.readTab, p.order, touched(p.rowOps), before.KeptRows, p.readTab.ColCount, p.was, p.rowOps, before)
			p.ops = insertOps(p.ops, p.rowOpsAt, k.ops)
			p.aim.Kept, p.aim.KeptRows, p.keptTab = k.runs, k.used, k.tab
			p.keptUnsure = k.unsure
			if _, err := store.MarkUnverified(ctx, tx, p.m.Name, p.aim); err != nil {
				return err
			}
			p.wasVerified = before.Clean()
		}
		return store.InsertConflicts(ctx, tx, conflicts)
	})
}

// positional reports whether a mirror that takes edits back has rows
// written or deleted by index in this batch.
func (p mirrorPlan) positional() bool {
	return p.m.takesEditsBack() && !p.aim.Clean()
}

// deletesRows reports whether ops delete tab rows by position.
func deletesRows(ops []syncd.Op) bool {
	for _, op := range ops {
		if _, ok := op.(syncd.DeleteRows); ok {
			return true
		}
	}
	return false
}

// applyBatch writes each spreadsheet's ops in one call (split by the
// client only past its request size): one atomic batchUpdate per
// spreadsheet. calls counts the calls per sheet key. A spreadsheet written
// before another one failed is written again by the retry (idempotent).
// pre holds, by sheet key, the version read that brackets the write to
// each polled spreadsheet (typedover.go); a polled spreadsheet without one
// reads its own in Apply. landed gets the spreadsheets whose write
// provably hit the rows it aimed at.
func (s *Syncer) applyBatch(ctx context.Context, plan batchPlan, pre preWrites, calls map[string]int, landed map[string]bool) error {
	var keys []string
	ops := map[string][]syncd.Op{}
	for _, p := range plan.mirrors {
		if _, ok := ops[p.sheet]; !ok {
			keys = append(keys, p.sheet)
		}
		ops[p.sheet] = append(ops[p.sheet], p.ops...)
	}
	for _, k := range keys {
		if len(ops[k]) == 0 {
			continue
		}
		var n int
		var err error
		if vs := s.versionsOf(k); vs != nil {
			vs.takeKeys() // written: not served until rememberKeys (keycache.go)
		}
		if t, ok := s.sheet(k).(*trackedSheet); ok && hasPre(pre, k) {
			n, landed[k], err = t.applyBracketed(ctx, pre[k], ops[k])
		} else {
			n, err = s.sheet(k).Apply(ctx, ops[k])
		}
		calls[k] += n
		if err != nil {
			// The tab cache stays: if people deleted or renamed a tab, the
			// next batch's key read fails on it and refreshes the cache; a
			// transient failure (a 5xx on a write that must not be blindly
			// repeated) costs no extra call.
			return fmt.Errorf("write batch to sheet: %w", err)
		}
	}
	return nil
}

// commitBatch deletes exactly the consumed outbox ids and records the batch,
// in one transaction. A crash before it commits only repeats the
// (idempotent) sheet write.
func (s *Syncer) commitBatch(ctx context.Context, plan batchPlan, started time.Time, calls map[string]int, landed map[string]bool) error {
	finished := s.opts.Now()
	return store.InTx(ctx, s.opts.Pool, func(tx pgx.Tx) error {
		if err := store.DeleteChanges(ctx, tx, plan.outbox.IDs()); err != nil {
			return err
		}
		for _, p := range plan.mirrors {
			details, _ := json.Marshal(s.withSpreadsheet(p.m, p.sheet, map[string]any{"full": p.full, "appended": p.stats.Appended, "updated": p.stats.Written,
				store.TitleClashDetail: nilIfEmpty(p.titleClash)}))
			_, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: p.m.Name, Direction: store.ToSheet, Kind: store.KindChange,
				Status: store.StatusOK, StartedAt: started, FinishedAt: finished,
				RowsWritten: p.stats.Written + p.stats.Appended, RowsDeleted: p.stats.Deleted, APICalls: calls[p.sheet],
				Changes: p.changes, Warnings: p.stats.Truncated, Details: details})
			if err != nil {
				return err
			}
			if err := store.SaveSheetID(ctx, tx, p.m.Name, p.tab.SheetID); err != nil {
				return err
			}
			if err := p.m.writeStates(ctx, tx, p.states); err != nil {
				return err
			}
			if p.m.SheetDeletes {
				if err := store.SaveTabRows(ctx, tx, p.m.Name, p.tab.RowCount); err != nil {
					return err
				}
			}
			if p.positional() && p.wasVerified && landed[p.sheet] && !p.keptUnsure {
				// The write hit what it aimed at, and nothing else was
				// unverified: the marks storeBeforeWrite made are void.
				if err := store.ClearUnverified(ctx, tx, p.m.Name); err != nil {
					return err
				}
			}
			s.mu.Lock()
			s.sheetIDs[p.m.Name] = p.tab.SheetID
			s.mu.Unlock()
		}
		if len(plan.mirrors) == 0 && len(plan.outbox.Changes) > 0 {
			// Entries of tables no mirror follows any more.
			s.log.Info("discarded outbox entries of unmirrored tables", zap.Int("changes", len(plan.outbox.Changes)))
		}
		return nil
	})
}

// recordFailure logs a failed batch in sync_log (status 'error'). The outbox
// is untouched, so the batch is retried. Recording is best effort: the
// database may be what failed.
func (s *Syncer) recordFailure(ctx context.Context, mirrors []*mirror, started time.Time, calls, nchanges int, cause error) {
	s.mu.Lock()
	s.stats.FailedBatches++
	s.stats.APICalls += calls
	s.mu.Unlock()
	if errors.Is(cause, context.Canceled) {
		return
	}
	msg := cause.Error()
	names := make([]string, 0, len(mirrors))
	for _, m := range mirrors {
		names = append(names, m.Name)
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
