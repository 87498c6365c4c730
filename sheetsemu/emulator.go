// Package emulator is an in-process Google Sheets API v4 server (plus the
// few Drive v3 file calls used to create and delete spreadsheets). The real
// google.golang.org/api/sheets/v4 client talks to it through
// option.WithEndpoint. It keeps Google's wire shapes, A1 semantics, error
// bodies, grid limits and per-minute quotas so that code tested against it
// behaves the same against the real service.
package sheetsemu

import (
	crand "crypto/rand"
	"encoding/base64"
	"math/rand/v2"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Options configure a Server. The zero value is a fast, unlimited,
// unauthenticated emulator.
type Options struct {
	// Logger receives request and persistence logs; nil discards them.
	// The server names it "emulator".
	Logger *zap.Logger
	// Latency is added to every API request before it is handled.
	Latency time.Duration
	// FailRate is the probability (0..1) that an API request fails with
	// 503 UNAVAILABLE before it is handled.
	FailRate float64
	// ReadQuota and WriteQuota are requests per minute per user
	// (credential); 0 means unlimited.
	ReadQuota, WriteQuota int
	// ProjectQuota is Sheets read and write requests per minute (each)
	// for all users of the project together, beside the per-user
	// ReadQuota and WriteQuota; Google's is DefaultProjectQuota. 0 means
	// unlimited.
	ProjectQuota int
	// ProjectNumber is the Cloud project number named in quota and
	// API-not-enabled bodies; empty means DefaultProjectNumber.
	ProjectNumber string
	// DisabledAPIs are APIs (APIDrive, APISheets) switched off at start,
	// as in a project that has not enabled them; unknown names are
	// logged and ignored (the command validates them first). EnableAPI
	// switches one on at run time.
	DisabledAPIs []string
	// RefusedAccounts maps service-account e-mails to the reason the
	// token endpoint refuses them (a deleted key, a deleted account);
	// see Server.RefuseServiceAccount.
	RefusedAccounts map[string]Refusal
	// DriveQuota is Drive v3 requests per minute per user, a bucket of
	// its own (Drive calls never spend the Sheets quotas); 0 means
	// unlimited. The command's default is DefaultDriveQuota.
	DriveQuota int
	// DriveVersionDelay makes Drive files.get report a spreadsheet's
	// version up to this long after the change that produced it, as
	// Google's may lag; 0 reports every change at once.
	DriveVersionDelay time.Duration
	// Now is the clock used for quotas and timestamps; nil means time.Now.
	Now func() time.Time
	// Seed makes sheet ids and fault injection reproducible when non-zero.
	Seed uint64
	// StatePath, when set, persists every spreadsheet to this JSON file
	// (debounced, atomically) and restores them on New.
	StatePath string
	// StateDebounce delays state writes after a change; 0 means 200ms.
	StateDebounce time.Duration
	// ServiceAccounts, when non-empty, switches authentication on: every
	// API request needs a bearer token issued by this server's token
	// endpoint to one of these accounts.
	ServiceAccounts []ServiceAccount
	// BeforeBatchUpdate, when set, lets a test act as a person editing
	// the sheet inside a client's read→write window; see
	// Server.SetBeforeBatchUpdate for the contract.
	BeforeBatchUpdate func(spreadsheetID string)
}

// Stats counts API requests for one spreadsheet. Rejected counts 429 and
// 5xx answers (quota and injected faults); they are not also counted as
// reads or writes. Drive v3 calls spend another quota than Sheets calls,
// so they are counted apart and never as Reads or Writes: DriveReads
// (files.get, export, comments), DriveWrites (create, copy, rename,
// delete) and DriveRejected (Drive's rate limit and injected faults).
type Stats struct {
	Reads         int64 `json:"reads"`
	Writes        int64 `json:"writes"`
	Rejected      int64 `json:"rejected"`
	DriveReads    int64 `json:"drive_reads"`
	DriveWrites   int64 `json:"drive_writes"`
	DriveRejected int64 `json:"drive_rejected"`
}

// Server is the emulator; it is an http.Handler and safe for concurrent
// use.
type Server struct {
	mu      sync.Mutex
	opts    Options
	log     *zap.Logger
	books   map[string]*book
	order   []string
	stats   map[string]*Stats
	rng     *rand.Rand
	quota   *quotas
	auth    *authority
	state   *stateWriter
	version uint64 // bumped on every change; drives HTML refresh and state
	// fileVersions are the spreadsheets' Drive versions (drive.go).
	fileVersions map[string]*fileVersion
	// rootID is "My Drive"'s id and folders the Drive folders (folders.go).
	rootID  string
	folders []*driveFolder
	// beforeWrite is the BeforeBatchUpdate hook, read without s.mu so
	// that it costs one atomic load when unset.
	beforeWrite atomic.Pointer[func(spreadsheetID string)]
	// disabled are the APIs switched off (apis.go).
	disabled map[string]bool
}

// New builds a Server. When opts.StatePath names an existing file its
// spreadsheets are restored; a corrupt state file is logged and ignored so
// the emulator always starts.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	log = log.Named("emulator")
	if opts.Now == nil {
		opts.Now = time.Now
	}
	seed := opts.Seed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	s := &Server{
		opts:  opts,
		log:   log,
		books: map[string]*book{},
		stats: map[string]*Stats{},
		// fileVersions before restoreState, which fills it.
		fileVersions: map[string]*fileVersion{},
		rng:          rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
	}
	s.SetBeforeBatchUpdate(opts.BeforeBatchUpdate)
	s.quota = s.newQuotas(opts.ReadQuota, opts.WriteQuota)
	s.quota.drive = opts.DriveQuota
	s.auth = newAuthority(opts.ServiceAccounts)
	for email, why := range opts.RefusedAccounts {
		s.auth.refused[email] = why
	}
	s.disabled = map[string]bool{}
	for _, api := range opts.DisabledAPIs {
		if n, err := ParseAPIName(api); err != nil {
			log.Warn("API not disabled", zap.Error(err))
		} else {
			s.disabled[n] = true
		}
	}
	if opts.StatePath != "" {
		if err := s.restoreState(opts.StatePath); err != nil {
			log.Warn("state not restored", zap.String("path", opts.StatePath), zap.Error(err))
		}
		s.state = newStateWriter(s, opts.StatePath, opts.StateDebounce)
	}
	return s
}

// SetBeforeBatchUpdate installs f (nil removes it). f is called with the
// spreadsheet id of every spreadsheets.batchUpdate and every values write
// (update, append, clear, batchUpdate, batchClear and their ByDataFilter
// forms) after the request arrived and before it is authenticated,
// charged to a quota or applied, whether it then succeeds or not. It runs
// on the request's goroutine without any emulator lock held, so it may
// itself read and write the emulator (over HTTP, through the real
// client); what it writes is applied before the request that triggered
// it. Its own writes trigger it again: a hook that writes must guard
// against re-entry itself (for example act only once). Concurrent
// requests call it concurrently.
func (s *Server) SetBeforeBatchUpdate(f func(spreadsheetID string)) {
	if f == nil {
		s.beforeWrite.Store(nil)
		return
	}
	s.beforeWrite.Store(&f)
}

// SetLatency changes the per-request latency.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Latency = d
}

// SetFailRate changes the probability of an injected 503.
func (s *Server) SetFailRate(p float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.FailRate = p
}

// SetQuota changes the per-minute read and write quotas (0 = unlimited)
// and refills the buckets.
func (s *Server) SetQuota(readsPerMinute, writesPerMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	drive := s.quota.drive
	s.quota = s.newQuotas(readsPerMinute, writesPerMinute)
	s.quota.drive = drive
}

// SetProjectQuota changes the per-project read and write quotas
// (Options.ProjectQuota; 0 = unlimited) and refills the project's buckets.
func (s *Server) SetProjectQuota(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.ProjectQuota = perMinute
	s.quota.projectLimit = perMinute
	delete(s.quota.buckets, "pr")
	delete(s.quota.buckets, "pw")
}

// newQuotas builds empty buckets with the server's project quota and
// number; callers hold s.mu or are New.
func (s *Server) newQuotas(read, write int) *quotas {
	q := newQuotas(read, write)
	q.projectLimit = s.opts.ProjectQuota
	q.project = s.projectNumber()
	return q
}

// SetDriveQuota changes the per-minute Drive quota (0 = unlimited) and
// refills the Drive buckets.
func (s *Server) SetDriveQuota(perMinute int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.quota.buckets {
		if k[0] == 'd' {
			delete(s.quota.buckets, k)
		}
	}
	s.quota.drive = perMinute
}

// SetDriveVersionDelay changes how long after a change Drive files.get
// reports the version it produced (Options.DriveVersionDelay).
func (s *Server) SetDriveVersionDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.DriveVersionDelay = d
}

// SetClock replaces the clock used for quotas and timestamps, so tests
// can advance time without sleeping.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.opts.Now = now
}

// Stats returns a copy of the per-spreadsheet request counters.
func (s *Server) Stats() map[string]Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]Stats, len(s.stats))
	for id, st := range s.stats {
		out[id] = *st
	}
	return out
}

// SpreadsheetIDs lists spreadsheet ids in creation order.
func (s *Server) SpreadsheetIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...)
}

// Close flushes pending state to disk. The server keeps serving.
func (s *Server) Close() error {
	if s.state == nil {
		return nil
	}
	return s.state.flush()
}

func (s *Server) now() time.Time { return s.opts.Now() }

func (s *Server) statsFor(id string) *Stats {
	st := s.stats[id]
	if st == nil {
		st = &Stats{}
		s.stats[id] = st
	}
	return st
}

// newSpreadsheetID mimics Google's 44-character base64url ids.
func newSpreadsheetID() string {
	b := make([]byte, 33)
	_, _ = crand.Read(b)
	return "1" + base64.RawURLEncoding.EncodeToString(b)[:43]
}

// newSheetID picks an unused random sheet id, like Google's 9-10 digit ids.
func (s *Server) newSheetID(b *book) int64 {
	for {
		id := int64(s.rng.Int32N(2_000_000_000)) + 1
		if b.sheetByID(id) == nil {
			return id
		}
	}
}

func (s *Server) newObjectID() int64 { return int64(s.rng.Int32N(2_000_000_000)) + 1 }

// addBook registers b; callers hold s.mu.
func (s *Server) addBook(b *book) {
	if _, ok := s.books[b.ID]; !ok {
		s.order = append(s.order, b.ID)
	}
	s.books[b.ID] = b
	s.bumpFileVersion(b.ID)
	s.changed()
}

func (s *Server) deleteBook(id string) bool {
	if _, ok := s.books[id]; !ok {
		return false
	}
	delete(s.books, id)
	delete(s.fileVersions, id)
	for i, x := range s.order {
		if x == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	s.changed()
	return true
}

// changed records a mutation; callers hold s.mu.
func (s *Server) changed() {
	s.version++
	if s.state != nil {
		s.state.schedule()
	}
}

// newBook creates an empty spreadsheet with one default sheet.
func (s *Server) newBook(title string) *book {
	now := s.now()
	b := &book{ID: newSpreadsheetID(), Props: defaultSpreadsheetProps(title), Created: now, Modified: now}
	b.Sheets = []*sheet{{Props: newSheetProps(0, "Sheet1", 0)}}
	return b
}

// CreateSpreadsheet adds an empty spreadsheet with one 1000×26 "Sheet1"
// and returns its id.
func (s *Server) CreateSpreadsheet(title string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.newBook(title)
	s.addBook(b)
	return b.ID
}

// sortedIDs returns spreadsheet ids in creation order.
func (s *Server) sortedIDs() []string {
	ids := append([]string(nil), s.order...)
	sort.SliceStable(ids, func(i, j int) bool { return s.books[ids[i]].Created.Before(s.books[ids[j]].Created) })
	return ids
}

var _ http.Handler = (*Server)(nil)
