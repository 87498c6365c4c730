package syncer

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v4"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/retry"
	"go.uber.org/zap"
)

// Doorbell tells the syncer when the outbox may have new entries. It is
// implemented by pglisten.Listener. The syncer polls on its own as well, so
// a Doorbell only makes mirroring faster, never more correct.
type Doorbell interface {
	// Ring receives when there may be new changes; true means the
	// notification connection was (re)established and wake-ups may have
	// been missed.
	Ring() <-chan bool
	// Idle tells the doorbell the outbox was found empty, so it may ask to
	// be notified of the next change (and ring once more after arming).
	Idle()
}

// Options configure a Syncer. Pool, Sheet, Codec and Mirrors are required.
type Options struct {
	Pool *pgxpool.Pool
	// Sheet is the default spreadsheet: every mirror's whose key
	// (SpreadsheetKey) Sheets lacks, and the conflicts tab's.
	Sheet syncd.Spreadsheet
	// Sheets holds the other spreadsheets, by SpreadsheetKey of the
	// mirrors in them (see spreadsheets.go). The change poll follows
	// Sheet only.
	Sheets  map[string]syncd.Spreadsheet
	Codec   syncd.Codec
	Mirrors []syncd.Mirror
	// Doorbell wakes the syncer early; nil means poll only.
	Doorbell Doorbell
	// PollInterval is how often the outbox is drained without a ring
	// (default 10 s).
	PollInterval time.Duration
	// MaxBatch bounds the outbox entries one batch takes (default 10,000).
	MaxBatch int
	// Logger is named "syncer"; default no logging.
	Logger *zap.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Resolver lets the syncer follow the application's DDL without a
	// restart (see schema.go); nil means it does not.
	Resolver Resolver
	// ShutdownGrace is how long a batch already under way may take to
	// finish after Run's context is cancelled (default 10 s). Past it the
	// batch is abandoned: its outbox entries stay and are mirrored again.
	ShutdownGrace time.Duration
	// PollChanges is how often Run asks each spreadsheet (Sheet and every
	// one of Sheets that is a syncd.Versioner) for its version
	// (sheets.poll_changes) and reads that spreadsheet's tabs that take
	// edits back when it moved; 0 is off (see poll.go).
	PollChanges time.Duration
	// ConflictsTab is the title of the tab listing open conflicts
	// (sheets.conflicts_tab); "" is off (see package conflicts).
	ConflictsTab string
}

// Syncer mirrors the outbox into the spreadsheet. Its methods must not be
// called concurrently with each other, except Stats.
type Syncer struct {
	opts    Options
	log     *zap.Logger
	mirrors []*mirror // one per opts.Mirrors, in config order
	byName  map[string]*mirror

	mu       sync.Mutex
	info     map[string]*syncd.SpreadsheetInfo // by sheet key, cached; none forces a spreadsheets.get
	sheetIDs map[string]int64                  // mirror name → the tab syncd owns
	tableOID map[uint32]string
	stats    Stats
	// needFull names the mirrors whose next batch must be a full resync:
	// their tab's structure was found damaged, or a write was refused.
	needFull map[string]bool
	// parked are the mirrors left out of the change stream because their
	// batches fail on their own (see isolate.go).
	parked map[string]*parking

	// reconcileCh asks Run for a reconcile pass (buffered 1: requests
	// coalesce).
	reconcileCh chan struct{}
	// schema is what the syncer knows of its tables' shapes.
	schema *schemaState

	// versions tracks, by sheet key, the Drive version of each spreadsheet
	// the change poll follows; nil when it is off (poll.go).
	versions map[string]*versions
	// sheetRows remembers, per mirror, the keys its tab showed at the last
	// pass (sheetrows.go).
	sheetRows sheetRowMemory
}

// Stats are running totals since the Syncer was created.
type Stats struct {
	Batches, FailedBatches int
	RowsWritten            int
	RowsDeleted            int
	APICalls               int
	Changes                int
	LastBatchAt            time.Time
}

// New returns a Syncer; it does not touch the database or the sheet.
func New(opts Options) *Syncer {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 10 * time.Second
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 10000
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = 10 * time.Second
	}
	s := &Syncer{opts: opts, log: opts.Logger, info: map[string]*syncd.SpreadsheetInfo{}, byName: map[string]*mirror{}, sheetIDs: map[string]int64{},
		needFull: map[string]bool{}, parked: map[string]*parking{}, reconcileCh: make(chan struct{}, 1),
		schema: newSchemaState(opts.Mirrors)}
	s.versions = withChangePoll(&s.opts)
	for i := range s.opts.Mirrors {
		m := &mirror{&s.opts.Mirrors[i]}
		s.mirrors = append(s.mirrors, m)
		s.byName[m.Name] = m
	}
	return s
}

// Stats returns a snapshot of the running totals.
func (s *Syncer) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// RequestReconcile asks Run for a reconcile pass of every mirror after the
// current batch. It never blocks; requests made before the pass starts
// coalesce into one. Run performs passes itself, so a pass never runs
// concurrently with a batch.
func (s *Syncer) RequestReconcile() {
	select {
	case s.reconcileCh <- struct{}{}:
	default:
	}
}

// Run drains the outbox whenever the doorbell rings or the poll interval
// passes, and reconciles at start, after every doorbell reconnect and when
// asked (RequestReconcile), until ctx is
// cancelled. A failed batch or pass is logged, recorded in sync_log and
// retried with backoff; nothing is dropped. It returns nil on cancellation.
func (s *Syncer) Run(ctx context.Context) error {
	var ring <-chan bool
	if s.opts.Doorbell != nil {
		ring = s.opts.Doorbell.Ring()
	}
	poll := time.NewTicker(s.opts.PollInterval)
	defer poll.Stop()
	// The sheets' change poll (poll.go): one ticker, each tick asks every
	// polled spreadsheet once.
	var changed <-chan time.Time
	if len(s.versions) > 0 {
		t := time.NewTicker(s.opts.PollChanges)
		defer t.Stop()
		changed = t.C
	}
	bo := backoff.NewExponentialBackOff()
	bo.InitialInterval = time.Second
	bo.MaxInterval = 2 * time.Minute
	bo.MaxElapsedTime = 0
	// Work runs on a context that outlives ctx by the grace period, so a
	// SIGTERM lets the batch under way finish instead of repeating it.
	work, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(s.opts.ShutdownGrace, cancel) })
	defer stop()
	// A pass at start-up repairs whatever happened while nobody mirrored;
	// the doorbell's first "connected" ring is covered by it.
	s.RequestReconcile()
	firstConnect := true
	for {
		if ctx.Err() != nil {
			return nil
		}
		select {
		case <-s.reconcileCh:
			// Drain first so the pass sees the tab as current as it can
			// be; a failed drain never holds the pass up (it is recorded,
			// and the pass works around queued rows).
			_, _ = s.Drain(work)
			passEnded := s.fullPassStarting(work) // the change poll need not read again (poll.go)
			_, err := s.Reconcile(work, ReconcileOptions{})
			passEnded(err == nil)
			if err != nil && ctx.Err() == nil {
				s.log.Warn("reconcile failed; will retry", zap.Error(err))
				time.AfterFunc(time.Minute, s.RequestReconcile)
			}
			if err := s.syncConflictsTab(work); err != nil && ctx.Err() == nil {
				s.log.Warn("conflicts tab not brought in step; the next pass retries", zap.Error(err))
			}
		default:
		}
		// Checked between batches too, so a busy change stream never
		// holds the sheet's edits back.
		select {
		case <-changed:
			s.pollTick(work)
		default:
		}
		n, err := s.Drain(work)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil:
			wait := bo.NextBackOff()
			s.log.Warn("batch failed; will retry", zap.Error(err), zap.Duration("retry_in", wait))
			if !retry.Sleep(ctx, wait) {
				return nil
			}
			continue
		case n >= s.opts.MaxBatch:
			bo.Reset()
			continue // more is waiting
		case n > 0:
			bo.Reset()
			continue // drain until a batch finds nothing
		}
		if s.opts.Doorbell != nil {
			s.opts.Doorbell.Idle()
		}
		select {
		case <-ctx.Done():
			return nil
		case reconnected := <-ring:
			if reconnected && firstConnect {
				firstConnect = false
			} else if reconnected {
				// Wake-ups may have been missed while disconnected.
				s.RequestReconcile()
			}
		case <-poll.C:
		case <-changed:
			s.pollTick(work)
		case <-s.reconcileCh:
			s.RequestReconcile() // handled at the top of the loop
		}
	}
}

// needsFull reports whether a mirror's next batch must be a full resync.
func (s *Syncer) needsFull(name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.needFull[name]
}

// setFull marks (or, with full false, clears) mirrors for a full resync.
func (s *Syncer) setFull(mirrors []*mirror, full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range mirrors {
		if full {
			s.needFull[m.Name] = true
		} else {
			delete(s.needFull, m.Name)
		}
	}
}

// locateTab finds a mirror's tab: by the sheet id syncd owns (so a renamed
// tab is found, and renamed back), else, before syncd owns one, by title.
func (s *Syncer) locateTab(info syncd.SpreadsheetInfo, m *mirror) (syncd.TabInfo, bool) {
	s.mu.Lock()
	id, known := s.sheetIDs[m.Name]
	s.mu.Unlock()
	if known {
		// Once syncd owns a tab, a title never redirects it: a tab under
		// the mirror's title after syncd's was deleted is a person's (a
		// stale copy pasted there would read as edits). syncd's tab is
		// created again, beside it if the title is taken (chooseTitle).
		for _, t := range info.Tabs {
			if t.SheetID == id {
				return t, true
			}
		}
		return syncd.TabInfo{}, false
	}
	t, ok := info.Tab(m.Sheet)
	return t, ok
}

// newSheetID picks a stable id for a mirror's new tab that no tab uses.
func newSheetID(info syncd.SpreadsheetInfo, name string) int64 { return info.NewSheetID(name) }

// errNoMirror is returned for an unknown mirror name.
var errNoMirror = errors.New("no such mirror")

// Mirror returns the named mirror.
func (s *Syncer) Mirror(name string) (*syncd.Mirror, error) {
	m, ok := s.byName[name]
	if !ok {
		return nil, fmt.Errorf("mirror %q: %w", name, errNoMirror)
	}
	return m.Mirror, nil
}
