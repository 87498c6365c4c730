package syncer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"go.uber.org/zap"
)

// The sheet's way back without waiting for the cron pass (CONTRACT.md §4
// sheets.poll_changes): every Options.PollChanges the syncer asks Drive
// for the spreadsheet's version, which costs Drive quota and no Sheets
// read. Only when the version moved past what syncd has accounted for
// does it read the tabs that take edits back and merge them (a "sheet
// pass": reconcile of those mirrors, logged as sheet_to_pg).
//
// What syncd has accounted for (versions.known) moves two ways:
//
//   - a sheet pass asks for the version before it reads the tabs: every
//     change up to that version is seen by the pass;
//   - every write of syncd's own is bracketed by two version reads. The
//     one after the write becomes known, so syncd's own writes never
//     trigger a pass. The one before tells whether something foreign
//     happened since known: then a pass is due whatever the version after
//     the write says (dirty), since the write's version swallows it.
//
// Drive may report a version late (the emulator's -drive-version-delay):
// then syncd's own write shows up as a bump at a later poll and costs one
// pass that finds nothing and writes nothing, after which the version is
// known again. A person's edit is never absorbed by a version syncd did
// not see it under, except one whose bump Drive reports only in the
// moment between the two reads around a write; the cron pass catches that.

// versions tracks a spreadsheet's Drive version against syncd's own
// writes and passes. Safe for concurrent use.
type versions struct {
	v     syncd.Versioner
	mu    sync.Mutex
	known int64
	has   bool
	// dirty: a change syncd has not seen happened before a write whose
	// version moved known past it.
	dirty bool
	// skipped: a pass accounted for a version but left rows with queued
	// changes to the change stream unseen; batches read whole rows until
	// those are written (typedover.go).
	skipped bool
}

// due reports whether a sheet pass is needed at version v.
func (vs *versions) due(v int64) bool {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return !vs.has || vs.dirty || v > vs.known
}

// passStarted records that a pass reads the tabs after version v.
func (vs *versions) passStarted(v int64) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if !vs.has || v > vs.known {
		vs.known, vs.has = v, true
	}
	vs.dirty = false
}

// passFailed makes the next poll pass again.
func (vs *versions) passFailed() {
	vs.mu.Lock()
	vs.dirty = true
	vs.mu.Unlock()
}

// wrote records one of syncd's writes between the versions pre and post
// (an error: not known).
func (vs *versions) wrote(pre int64, preErr error, post int64, postErr error) {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	if preErr != nil || !vs.has || pre > vs.known {
		vs.dirty = true
	}
	if postErr != nil {
		vs.dirty = true
		return
	}
	if preErr == nil && post > pre+1 {
		// More than this write moved the version: someone changed the
		// spreadsheet while it was under way, and the version after it
		// swallows that change.
		vs.dirty = true
	}
	if !vs.has || post > vs.known {
		vs.known, vs.has = post, true
	}
}

// trackedSheet is the Spreadsheet the engine writes through when the
// change poll is on: every Apply is bracketed by version reads (see
// versions.wrote). Reads and quota waits pass through.
type trackedSheet struct {
	syncd.Spreadsheet
	vs *versions
}

func (t *trackedSheet) Apply(ctx context.Context, ops []syncd.Op) (int, error) {
	pre, preErr := t.vs.v.Version(ctx)
	return t.applyAfter(ctx, preWrite{pre, preErr}, ops)
}

// AwaitQuota passes through to the wrapped Spreadsheet when it paces.
func (t *trackedSheet) AwaitQuota(ctx context.Context) error {
	if qa, ok := t.Spreadsheet.(syncd.QuotaAwaiter); ok {
		return qa.AwaitQuota(ctx)
	}
	return nil
}

// withChangePoll wraps opts.Sheet when the change poll is on and the
// spreadsheet can tell its version; it returns nil versions otherwise.
func withChangePoll(opts *Options) *versions {
	if opts.PollChanges <= 0 {
		return nil
	}
	v, ok := opts.Sheet.(syncd.Versioner)
	if !ok {
		return nil
	}
	vs := &versions{v: v}
	opts.Sheet = &trackedSheet{Spreadsheet: opts.Sheet, vs: vs}
	return vs
}

// keepsState reports whether syncd keeps the mirror's rows' bases in
// syncd.row_state: only where something reads them — the merge of a tab
// that takes edits back, and "syncd showed this row", which outlives a
// restart there and in a query tab (the rows syncd wrote are the report's;
// any other was typed: batch_plan.go). Elsewhere they would only grow.
func (m *mirror) keepsState() bool { return m.takesEditsBack() || m.IsQuery() }

// takesEditsBack reports whether a mirror's tab carries anything people
// type back to Postgres: editable cells, inserted or deleted rows.
func (m *mirror) takesEditsBack() bool {
	return !m.IsQuery() && (len(m.Editable) > 0 || m.SheetInserts || m.SheetDeletes)
}

// sheetPassMirrors names the mirrors a sheet pass covers.
func (s *Syncer) sheetPassMirrors() []string {
	var out []string
	for _, m := range s.mirrors {
		if m.takesEditsBack() {
			out = append(out, m.Name)
		}
	}
	return out
}

// PollChanges asks Drive for the spreadsheet's version once and, when it
// moved past what syncd accounted for, runs a sheet pass: the mirrors that
// take edits back are read and merged, and the conflicts tab is brought
// in step. It reports whether a pass ran. Run calls it every
// Options.PollChanges; like Drain and Reconcile it must not run
// concurrently with them.
func (s *Syncer) PollChanges(ctx context.Context) (bool, error) {
	vs := s.versions
	if vs == nil {
		return false, nil
	}
	v, err := vs.v.Version(ctx)
	if err != nil {
		return false, err
	}
	if !vs.due(v) {
		return false, nil
	}
	vs.passStarted(v)
	if err := s.sheetPass(ctx); err != nil {
		vs.passFailed()
		return true, err
	}
	return true, nil
}

// sheetPass reconciles the mirrors that take edits back and then the
// conflicts tab.
func (s *Syncer) sheetPass(ctx context.Context) error {
	var errs []error
	if names := s.sheetPassMirrors(); len(names) > 0 {
		if _, err := s.Reconcile(ctx, ReconcileOptions{only: names, bySheet: true}); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.syncConflictsTab(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// selects reports whether a pass with these options covers mirror name.
func (o ReconcileOptions) selects(name string) bool {
	if o.only != nil {
		for _, n := range o.only {
			if n == name {
				return true
			}
		}
		return false
	}
	return o.Mirror == "" || o.Mirror == name
}

// pollTick runs PollChanges for Run, logging a failure (the next tick
// retries).
func (s *Syncer) pollTick(ctx context.Context) {
	ran, err := s.PollChanges(ctx)
	if err != nil && ctx.Err() == nil {
		s.log.Warn("sheet pass failed; the next poll retries", zap.Error(err))
		return
	}
	if ran {
		s.log.Debug("sheet pass")
	}
}

// logSheetPass records a sheet pass of one mirror in sync_log: direction
// sheet_to_pg, kind reconcile (it is a reconcile of the mirrors that take
// edits back; kind change stays the outbox's batches, which status and
// the benchmarks count), the edits and rows carried to Postgres, and in
// details what the tab needed.
func logSheetPass(ctx context.Context, tx pgx.Tx, m *mirror, dr MirrorDrift, started, finished time.Time, calls int, drift *int, details []byte) error {
	_, err := store.InsertLog(ctx, tx, store.LogEntry{Mirror: m.Name, Direction: store.FromSheet, Kind: store.KindReconcile,
		Status: store.StatusOK, StartedAt: started, FinishedAt: finished, RowsWritten: dr.EditsImported + dr.Inserted,
		RowsDeleted: dr.Deleted, APICalls: calls, Drift: drift, Details: details})
	return err
}

// fullPassStarting tells the change poll that a reconcile of every mirror
// is about to read the tabs, so the first poll after it does not read them
// again; the returned func reports how it ended (a failed pass leaves the
// next poll due).
func (s *Syncer) fullPassStarting(ctx context.Context) func(ok bool) {
	vs := s.versions
	if vs == nil {
		return func(bool) {}
	}
	v, err := vs.v.Version(ctx)
	if err != nil {
		return func(bool) {}
	}
	vs.passStarted(v)
	return func(ok bool) {
		if !ok {
			vs.passFailed()
		}
	}
}
