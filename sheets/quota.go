package sheets

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// DefaultRequestsPerMinute is Google's per-user quota for Sheets reads and
// for writes, used when Options leave the rates at zero.
const DefaultRequestsPerMinute = 60

// Clock is the time source for quota waits and retry backoff. Tests inject
// a fake one to drive both without sleeping.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that fires once, d from now.
	NewTimer(d time.Duration) Timer
}

// Timer is the part of *time.Timer the package uses.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// SystemClock is the real Clock.
var SystemClock Clock = systemClock{}

type systemClock struct{}

func (systemClock) Now() time.Time                 { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer { return sysTimer{time.NewTimer(d)} }

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time { return t.t.C }
func (t sysTimer) Stop() bool          { return t.t.Stop() }

// Limiter admits at most Limit requests in any window of Window, counted
// from each request's *response*: a token is held while its request is in
// flight and comes back Window after the response arrived. Google counts a
// request somewhere between our send and its response, so this is the only
// accounting under which a limit of 60 never lets Google see 61 in a
// minute, whatever the latency. (A classic refilling token bucket of size
// N can let up to 2N through in one minute.) It is safe for concurrent use.
type Limiter struct {
	limit  int
	window time.Duration
	clock  Clock

	mu       sync.Mutex
	inFlight int
	returns  []time.Time // when spent tokens come back, ascending
	changed  chan struct{}

	// Pacing (burst > 0): a token bucket refilled at limit per window and
	// holding at most burst tokens, on top of the window. Without it, a
	// busy daemon spends a minute's quota in its first seconds and then
	// sends nothing for the rest of the minute, so a change committed then
	// waits tens of seconds; paced, batches leave about once per
	// window/limit (1 s at 60/min) and a change is visible within about a
	// second.
	burst  int
	tokens float64
	filled time.Time
}

// NewLimiter returns a Limiter for perMinute requests per minute
// (DefaultRequestsPerMinute when perMinute ≤ 0). clock nil means
// SystemClock.
func NewLimiter(perMinute int, clock Clock) *Limiter {
	if perMinute <= 0 {
		perMinute = DefaultRequestsPerMinute
	}
	if clock == nil {
		clock = SystemClock
	}
	return &Limiter{limit: perMinute, window: time.Minute, clock: clock, changed: make(chan struct{})}
}

// NewPacedLimiter is NewLimiter plus pacing: besides the window, requests
// are spaced to the limit's average rate, with at most burst of them back
// to back.
func NewPacedLimiter(perMinute, burst int, clock Clock) *Limiter {
	l := NewLimiter(perMinute, clock)
	if burst > 0 {
		l.burst, l.tokens, l.filled = burst, float64(burst), l.clock.Now()
	}
	return l
}

// refill adds the pacing tokens earned since the last refill.
func (l *Limiter) refill(now time.Time) {
	if l.burst == 0 {
		return
	}
	rate := float64(l.limit) / l.window.Seconds()
	l.tokens = min(float64(l.burst), l.tokens+now.Sub(l.filled).Seconds()*rate)
	l.filled = now
}

// Limit returns the requests admitted per minute.
func (l *Limiter) Limit() int { return l.limit }

// Wait blocks until a request may be sent or ctx is done, in which case it
// returns ctx's error. On success the caller must call release exactly once
// when the response (or the transport error) arrives; extra calls are
// ignored.
func (l *Limiter) Wait(ctx context.Context) (release func(), err error) {
	return l.wait(ctx, true)
}

// wait is Wait; with take false it only waits until a slot is free.
func (l *Limiter) wait(ctx context.Context, take bool) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for quota: %w", err)
	}
	for {
		l.mu.Lock()
		now := l.clock.Now()
		n := sort.Search(len(l.returns), func(i int) bool { return l.returns[i].After(now) })
		l.returns = l.returns[n:]
		l.refill(now)
		windowOK := l.inFlight+len(l.returns) < l.limit
		paceOK := l.burst == 0 || l.tokens >= 1
		if windowOK && paceOK {
			if !take {
				l.mu.Unlock()
				return nil, nil
			}
			l.inFlight++
			if l.burst > 0 {
				l.tokens--
			}
			l.mu.Unlock()
			return l.releaser(), nil
		}
		changed := l.changed
		var wait time.Duration
		if !paceOK {
			rate := float64(l.limit) / l.window.Seconds()
			wait = time.Duration((1 - l.tokens) / rate * float64(time.Second))
		}
		if !windowOK && len(l.returns) > 0 {
			wait = max(wait, l.returns[0].Sub(now))
		}
		var timer Timer
		var fire <-chan time.Time
		if wait > 0 { // else every token is in flight: wait for a release
			timer = l.clock.NewTimer(wait)
			fire = timer.C()
		}
		l.mu.Unlock()
		select {
		case <-ctx.Done():
			if timer != nil {
				timer.Stop()
			}
			return nil, fmt.Errorf("wait for quota: %w", ctx.Err())
		case <-changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// Ready blocks until a request could be admitted at once, without taking
// the slot, or until ctx is done. The syncer calls it (through
// Client.AwaitQuota) before it takes its database snapshot, so the wait for
// quota happens before the snapshot instead of between the snapshot and the
// write: changes committed meanwhile make it into the batch.
func (l *Limiter) Ready(ctx context.Context) error {
	release, err := l.wait(ctx, false)
	if release != nil {
		release()
	}
	return err
}

func (l *Limiter) releaser() func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.inFlight--
			back := l.clock.Now().Add(l.window)
			i := sort.Search(len(l.returns), func(i int) bool { return l.returns[i].After(back) })
			l.returns = append(l.returns, time.Time{})
			copy(l.returns[i+1:], l.returns[i:])
			l.returns[i] = back
			close(l.changed)
			l.changed = make(chan struct{})
		})
	}
}

// Quota is the request budget of one credential: Google counts reads and
// writes separately, per user (service account) per minute, so every
// Client acting as the same service account must share one Quota.
type Quota struct {
	Read  *Limiter // values.batchGet and spreadsheets.get
	Write *Limiter // spreadsheets.batchUpdate
	// Drive is the Drive API's budget (files.get for Version): Drive
	// counts its own quota, apart from Sheets reads and writes. Nil means
	// DefaultDriveRequestsPerMinute.
	Drive *Limiter
}

// NewQuota returns a Quota with the given per-minute Sheets rates
// (defaults for values ≤ 0) and the default Drive budget. clock nil means
// SystemClock.
func NewQuota(readsPerMinute, writesPerMinute int, clock Clock) *Quota {
	return &Quota{Read: NewLimiter(readsPerMinute, clock), Write: NewLimiter(writesPerMinute, clock),
		Drive: NewLimiter(DefaultDriveRequestsPerMinute, clock)}
}

var (
	quotasMu sync.Mutex
	quotas   = map[string]*Quota{}
)

// SharedQuota returns the process-wide Quota for key, creating it with the
// given rates the first time. New uses it with the service account's email
// (or the endpoint when there are no credentials) as the key, so that all
// mirrors of all spreadsheets syncd writes as one account share one budget.
// Later calls with other rates get the existing Quota; created reports
// whether this call made it.
func SharedQuota(key string, readsPerMinute, writesPerMinute int) (q *Quota, created bool) {
	quotasMu.Lock()
	defer quotasMu.Unlock()
	if q, ok := quotas[key]; ok {
		return q, false
	}
	// The daemon's quota is paced (see Limiter.burst): bursts of 3 cover a
	// batch's read, its write and a retry without delaying them.
	q = &Quota{Read: NewPacedLimiter(readsPerMinute, 3, nil), Write: NewPacedLimiter(writesPerMinute, 3, nil),
		Drive: NewPacedLimiter(DefaultDriveRequestsPerMinute, 3, nil)}
	quotas[key] = q
	return q, true
}
