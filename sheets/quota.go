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

// Limit returns the requests admitted per minute.
func (l *Limiter) Limit() int { return l.limit }

// Wait blocks until a request may be sent or ctx is done, in which case it
// returns ctx's error. On success the caller must call release exactly once
// when the response (or the transport error) arrives; extra calls are
// ignored.
func (l *Limiter) Wait(ctx context.Context) (release func(), err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wait for quota: %w", err)
	}
	for {
		l.mu.Lock()
		now := l.clock.Now()
		n := sort.Search(len(l.returns), func(i int) bool { return l.returns[i].After(now) })
		l.returns = l.returns[n:]
		if l.inFlight+len(l.returns) < l.limit {
			l.inFlight++
			l.mu.Unlock()
			return l.releaser(), nil
		}
		changed := l.changed
		var timer Timer
		var fire <-chan time.Time
		if len(l.returns) > 0 { // else every token is in flight: wait for a release
			timer = l.clock.NewTimer(l.returns[0].Sub(now))
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
}

// NewQuota returns a Quota with the given per-minute rates (defaults for
// values ≤ 0). clock nil means SystemClock.
func NewQuota(readsPerMinute, writesPerMinute int, clock Clock) *Quota {
	return &Quota{Read: NewLimiter(readsPerMinute, clock), Write: NewLimiter(writesPerMinute, clock)}
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
	q = NewQuota(readsPerMinute, writesPerMinute, nil)
	quotas[key] = q
	return q, true
}
