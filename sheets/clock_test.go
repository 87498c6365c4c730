package sheets

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeClock is a Clock whose time moves only when the test says so.
type fakeClock struct {
	mu      sync.Mutex
	cond    *sync.Cond
	now     time.Time
	timers  []*fakeTimer
	created []time.Duration // every NewTimer duration, in order
	notify  chan struct{}   // gets a token whenever a timer is created
}

type fakeTimer struct {
	clock *fakeClock
	at    time.Time
	c     chan time.Time
}

func newFakeClock() *fakeClock {
	f := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), notify: make(chan struct{}, 1)}
	f.cond = sync.NewCond(&f.mu)
	return f
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) NewTimer(d time.Duration) Timer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := &fakeTimer{clock: f, at: f.now.Add(d), c: make(chan time.Time, 1)}
	f.created = append(f.created, d)
	if d <= 0 {
		t.c <- f.now
	} else {
		f.timers = append(f.timers, t)
	}
	f.cond.Broadcast()
	select {
	case f.notify <- struct{}{}:
	default:
	}
	return t
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	f := t.clock
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, x := range f.timers {
		if x == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			f.cond.Broadcast()
			return true
		}
	}
	return false
}

// Advance moves time by d and fires the timers that are due.
func (f *fakeClock) Advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = f.now.Add(d)
	kept := f.timers[:0]
	for _, t := range f.timers {
		if !t.at.After(f.now) {
			t.c <- f.now
		} else {
			kept = append(kept, t)
		}
	}
	f.timers = kept
}

// waitTimers blocks until at least n timers are pending: the point where
// the code under test has committed to waiting. It is a synchronisation
// point, not a sleep.
func (f *fakeClock) waitTimers(t testing.TB, n int) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		f.mu.Lock()
		for len(f.timers) < n {
			f.cond.Wait()
		}
		f.mu.Unlock()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("no %d pending timers after 10s (deadlock?)", n)
	}
}

// next returns the earliest pending timer's remaining duration.
func (f *fakeClock) next() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	ats := make([]time.Time, len(f.timers))
	for i, t := range f.timers {
		ats[i] = t.at
	}
	sort.Slice(ats, func(i, j int) bool { return ats[i].Before(ats[j]) })
	return ats[0].Sub(f.now)
}

func (f *fakeClock) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.timers)
}

func (f *fakeClock) timerDurations() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.created...)
}

// runUntil fires every timer as soon as it is created, moving time to it,
// until done delivers; it returns what done delivered.
func (f *fakeClock) runUntil(t testing.TB, done <-chan error) error {
	t.Helper()
	for {
		for f.pending() > 0 {
			f.Advance(f.next())
		}
		select {
		case err := <-done:
			return err
		case <-f.notify:
		case <-time.After(30 * time.Second):
			t.Fatal("nothing happened for 30s (deadlock?)")
		}
	}
}
