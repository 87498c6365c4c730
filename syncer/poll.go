package syncer

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
	"go.uber.org/zap"
)

// The sheet's way back without waiting for the cron pass (CONTRACT.md §4
// sheets.poll_changes): every Options.PollChanges the syncer asks Drive
// for the version of each spreadsheet it writes (the default one and every
// mirror's own, each through its own client and so on its credential's
// Drive budget: one call per spreadsheet per period), which costs no
// Sheets read. Only when a version moved past what syncd has accounted
// for does it read the tabs of that spreadsheet that take edits back and
// merge them (a "sheet pass": reconcile of those mirrors, logged as
// sheet_to_pg; several spreadsheets due share one pass). Everything below
// holds per spreadsheet: a write to one never accounts for another.
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

// versions tracks one spreadsheet's Drive version against syncd's own
// writes and passes; the syncer keeps one per polled sheet key
// (Syncer.versions). Safe for concurrent use.
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
	// keys is the key cache, valid at version keys.at only; writing is
	// the entry a batch's write took out of service (keycache.go).
	keys, writing *sheetCache
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

// withChangePoll wraps, when the change poll is on, every spreadsheet
// that can tell its version — Options.Sheet under sheet key "" and each of
// Options.Sheets under its own — and returns their versions by sheet key
// (nil when none is polled). Options.Sheets is copied, not changed in
// place: the caller's map stays its own.
func withChangePoll(opts *Options) map[string]*versions {
	if opts.PollChanges <= 0 {
		return nil
	}
	out := map[string]*versions{}
	track := func(sh syncd.Spreadsheet) syncd.Spreadsheet {
		v, ok := sh.(syncd.Versioner)
		if !ok {
			return sh
		}
		vs := &versions{v: v}
		return &trackedSheet{Spreadsheet: sh, vs: vs}
	}
	if opts.Sheet != nil {
		opts.Sheet = track(opts.Sheet)
		if t, ok := opts.Sheet.(*trackedSheet); ok {
			out[""] = t.vs
		}
	}
	if opts.Sheets != nil {
		sheets := make(map[string]syncd.Spreadsheet, len(opts.Sheets))
		for k, sh := range opts.Sheets {
			sheets[k] = track(sh)
			if t, ok := sheets[k].(*trackedSheet); ok {
				out[k] = t.vs
			}
		}
		opts.Sheets = sheets
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// versionsOf is the change poll's tracking of the spreadsheet of a sheet
// key; nil when that spreadsheet is not polled.
func (s *Syncer) versionsOf(key string) *versions { return s.versions[key] }

// polledKeys are the sheet keys whose spreadsheets the change poll
// follows: "" first, then the others in sorted order (a stable order for
// the Drive calls and the logs).
func (s *Syncer) polledKeys() []string {
	keys := make([]string, 0, len(s.versions))
	for k := range s.versions {
		keys = append(keys, k)
	}
	sort.Strings(keys) // "" sorts first
	return keys
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

// sheetPassMirrors names the mirrors a sheet pass of the spreadsheets
// due covers: those that take edits back and live in one of them.
func (s *Syncer) sheetPassMirrors(due map[string]bool) []string {
	var out []string
	for _, m := range s.mirrors {
		if m.takesEditsBack() && due[s.sheetKey(m)] {
			out = append(out, m.Name)
		}
	}
	return out
}

// PollChanges asks Drive for the version of every polled spreadsheet
// once (each client on its own credential's Drive budget) and, when any
// moved past what syncd accounted for, runs one sheet pass over the
// mirrors of the spreadsheets due that take edits back, then brings the
// conflicts tab (in the default spreadsheet) in step. It reports whether
// a pass ran. A spreadsheet whose version cannot be read is left for the
// next poll; the others are passed all the same. Run calls it every
// Options.PollChanges; like Drain and Reconcile it must not run
// concurrently with them.
func (s *Syncer) PollChanges(ctx context.Context) (bool, error) {
	var errs []error
	due := map[string]bool{}
	for _, k := range s.polledKeys() {
		vs := s.versions[k]
		v, err := vs.v.Version(ctx)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if vs.due(v) {
			vs.passStarted(v)
			due[k] = true
		}
	}
	if len(due) == 0 {
		return false, errors.Join(errs...)
	}
	if err := s.sheetPass(ctx, due); err != nil {
		for k := range due {
			s.versions[k].passFailed()
		}
		errs = append(errs, err)
	}
	return true, errors.Join(errs...)
}

// sheetPass reconciles the mirrors of the spreadsheets due that take
// edits back and then the conflicts tab.
func (s *Syncer) sheetPass(ctx context.Context, due map[string]bool) error {
	var errs []error
	if names := s.sheetPassMirrors(due); len(names) > 0 {
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
// again (each polled spreadsheet whose version Drive tells); the returned
// func reports how it ended (a failed pass leaves the next poll due).
func (s *Syncer) fullPassStarting(ctx context.Context) func(ok bool) {
	var started []*versions
	for _, k := range s.polledKeys() {
		vs := s.versions[k]
		v, err := vs.v.Version(ctx)
		if err != nil {
			continue
		}
		vs.passStarted(v)
		started = append(started, vs)
	}
	return func(ok bool) {
		if ok {
			return
		}
		for _, vs := range started {
			vs.passFailed()
		}
	}
}
