package testworld

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Moment says where a Window holds one of syncd's spreadsheets.batchUpdate
// calls.
type Moment int

const (
	// BeforeForward holds the call before the emulator sees it: syncd has
	// read the tab (positions, keys) and waits for its write, so whatever
	// a test does then happens inside syncd's read→write window. Dropping
	// the call there means syncd's write never lands (and, since the
	// batch's Postgres side of a sheet pass is committed before its
	// write, "syncd committed, the sheet never heard").
	BeforeForward Moment = iota + 1
	// AfterApply holds the call after the emulator applied it and before
	// syncd hears back: a kill there is "after the sheet write, before
	// syncd's bookkeeping".
	AfterApply
)

func (m Moment) String() string {
	switch m {
	case BeforeForward:
		return "before forwarding"
	case AfterApply:
		return "after the emulator applied it"
	}
	return "unknown moment"
}

// batchUpdatePath matches spreadsheets.batchUpdate, not values:batchUpdate.
var batchUpdatePath = regexp.MustCompile(`^/v4/spreadsheets/[^/]+:batchUpdate$`)

// maxHold bounds how long a Window holds a call nobody resumes or drops (a
// test that failed before it did): the call then goes on, so that servers
// can close at the end of the test.
const maxHold = 2 * time.Minute

// Window is HTTP middleware (for Options.Wrap or World.Serve) in front of
// the emulator that recognises syncd's own spreadsheets.batchUpdate calls
// (those whose quotaUser is none of the test's own users: CheckerUser,
// PersonUser, the emulator's "browser", and those given to NewWindow) and
// holds one at a chosen Moment until the test resumes or drops it. Other
// requests pass untouched. It numbers syncd's batchUpdates from 1 in the
// order they arrive. Call Close when the test ends (t.Cleanup after New,
// so that it runs before the server closes); a held call is released
// after two minutes anyway.
type Window struct {
	others map[string]bool

	mu    sync.Mutex
	seen  int
	traps []*Trap
	// Idleness: writing counts syncd's batchUpdates in flight, polled
	// its Drive reads that ended since the last one ended.
	writing int
	polled  int

	closed    chan struct{}
	closeOnce sync.Once
}

// NewWindow returns a Window that treats requests with quotaUser
// CheckerUser, PersonUser, "browser" or one of users as not syncd's.
func NewWindow(users ...string) *Window {
	w := &Window{others: map[string]bool{CheckerUser: true, PersonUser: true, "browser": true}, closed: make(chan struct{})}
	for _, u := range users {
		w.others[u] = true
	}
	return w
}

// Close releases every held call (it goes on as if resumed) and disarms
// every trap. It is idempotent.
func (w *Window) Close() { w.closeOnce.Do(func() { close(w.closed) }) }

// Count is the number of syncd's batchUpdate calls seen so far.
func (w *Window) Count() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.seen
}

// Trap is an armed request to hold one of syncd's batchUpdates; Wait
// returns the held call.
type Trap struct {
	moment Moment
	n      int                    // hold call number n; 0: the next one match accepts
	match  func(body []byte) bool // nil accepts any
	fired  atomic.Bool
	stops  chan *Stop
}

// Stop is one of syncd's batchUpdate calls held by a Window. Exactly one
// of Resume and Drop must be called (Close does it for a forgotten one).
type Stop struct {
	// Moment is where the call is held.
	Moment Moment
	// N is the call's number among syncd's batchUpdates (from 1).
	N int
	// Body is the request's JSON body.
	Body    []byte
	verdict chan bool // true: go on; false: drop
	once    sync.Once
}

// Resume lets the call go on: forwarded to the emulator (BeforeForward),
// or its answer sent to syncd (AfterApply).
func (s *Stop) Resume() { s.once.Do(func() { s.verdict <- true }) }

// Drop ends the call with a reset connection: the emulator never sees it
// (BeforeForward), or syncd never hears that it was applied (AfterApply).
// Tests kill syncd first, so that the drop is never seen.
func (s *Stop) Drop() { s.once.Do(func() { s.verdict <- false }) }

// At arms a trap for syncd's batchUpdate number n (counted from 1 since
// the Window was made), held at m.
func (w *Window) At(n int, m Moment) *Trap {
	return w.arm(&Trap{moment: m, n: n})
}

// Next arms a trap for the next of syncd's batchUpdates whose body match
// accepts (nil: any), held at m. match runs on the request's goroutine,
// before the call is forwarded; it may query the database.
func (w *Window) Next(m Moment, match func(body []byte) bool) *Trap {
	return w.arm(&Trap{moment: m, match: match})
}

func (w *Window) arm(tr *Trap) *Trap {
	tr.stops = make(chan *Stop, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.traps = append(w.traps, tr)
	return tr
}

// Wait returns the held call once the trap fired, failing t when it did
// not within timeout (the trap is then disarmed). Call it from the test's
// goroutine.
func (tr *Trap) Wait(t testing.TB, timeout time.Duration) *Stop {
	t.Helper()
	select {
	case s := <-tr.stops:
		return s
	case <-time.After(timeout):
		if tr.fired.CompareAndSwap(false, true) {
			t.Fatalf("no batchUpdate of syncd's was held %s within %v", tr.moment, timeout)
		}
		return <-tr.stops // it fired just now
	}
}

// drivePath matches Drive's files.get (syncd's version poll).
var drivePath = regexp.MustCompile(`^/drive/v3/files/[^/]+$`)

// Idle reports whether syncd has finished its last write: none of its
// batchUpdates is in flight and two of its Drive version reads ended
// after the last one did, so syncd has taken the version its own write
// produced as known. A person's gesture before that may be mistaken for
// syncd's own write; tests that mean to act outside syncd's window wait
// for Idle first. The string says what is missing.
func (w *Window) Idle() (bool, string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.writing > 0:
		return false, fmt.Sprintf("%d batchUpdates of syncd's in flight", w.writing)
	case w.polled < 2:
		return false, fmt.Sprintf("%d Drive version reads of syncd's since its last write", w.polled)
	}
	return true, ""
}

// note records one of syncd's requests starting (start) or ending.
func (w *Window) note(write, start bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case write && start:
		w.writing++
	case write:
		w.writing--
		w.polled = 0
	case !start:
		w.polled++
	}
}

// Wrap puts the Window in front of h.
func (w *Window) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if w.others[r.URL.Query().Get("quotaUser")] {
			h.ServeHTTP(rw, r)
			return
		}
		if r.Method == http.MethodGet && drivePath.MatchString(r.URL.Path) {
			h.ServeHTTP(rw, r)
			w.note(false, false)
			return
		}
		if r.Method != http.MethodPost || !batchUpdatePath.MatchString(r.URL.Path) {
			h.ServeHTTP(rw, r)
			return
		}
		w.note(true, true)
		defer w.note(true, false)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.mu.Lock()
		w.seen++
		n := w.seen
		traps := append([]*Trap(nil), w.traps...)
		w.mu.Unlock()
		before, after := w.claim(traps, BeforeForward, n, body), w.claim(traps, AfterApply, n, body)
		if before != nil && !w.hold(before, BeforeForward, n, body) {
			reset(rw)
			return
		}
		if after == nil {
			h.ServeHTTP(rw, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if !w.hold(after, AfterApply, n, body) {
			reset(rw)
			return
		}
		for k, v := range rec.Header() {
			rw.Header()[k] = v
		}
		rw.WriteHeader(rec.Code)
		rw.Write(rec.Body.Bytes())
	})
}

// claim returns the first armed trap at m that call n with body fires,
// and disarms it.
func (w *Window) claim(traps []*Trap, m Moment, n int, body []byte) *Trap {
	for _, tr := range traps {
		if tr.moment != m || tr.fired.Load() {
			continue
		}
		if tr.n != 0 && tr.n != n || tr.n == 0 && tr.match != nil && !tr.match(body) {
			continue
		}
		if tr.fired.CompareAndSwap(false, true) {
			w.disarm(tr)
			return tr
		}
	}
	return nil
}

func (w *Window) disarm(tr *Trap) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, x := range w.traps {
		if x == tr {
			w.traps = append(w.traps[:i], w.traps[i+1:]...)
			return
		}
	}
}

// hold hands the call to the trap's waiter and reports whether it goes on.
func (w *Window) hold(tr *Trap, m Moment, n int, body []byte) bool {
	s := &Stop{Moment: m, N: n, Body: body, verdict: make(chan bool, 1)}
	tr.stops <- s
	select {
	case ok := <-s.verdict:
		return ok
	case <-w.closed:
		return true
	case <-time.After(maxHold):
		return true
	}
}

// reset closes the client's connection without an answer (a TCP RST).
func reset(rw http.ResponseWriter) {
	conn, _, err := http.NewResponseController(rw).Hijack()
	if err != nil {
		http.Error(rw, "dropped", http.StatusServiceUnavailable)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
