package sheets

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// TestBackOffScheduleIsGoogles checks the schedule Google prescribes:
// min(2^n s + random_ms, 64 s) with random_ms < 1 s, staying at the cap.
func TestBackOffScheduleIsGoogles(t *testing.T) {
	for _, jit := range []time.Duration{0, 999 * time.Millisecond} {
		b := &backOff{jitter: func() time.Duration { return jit }}
		want := []time.Duration{1, 2, 4, 8, 16, 32, 64, 64, 64}
		for n, w := range want {
			got := b.next()
			exp := min(w*time.Second+jit, backoffMax)
			if got != exp {
				t.Errorf("jitter %v: wait %d = %v, want %v", jit, n, got, exp)
			}
		}
	}
	// The default jitter stays within [0, 1 s).
	c := &Client{}
	b := c.newBackOff()
	for i := 0; i < 200; i++ {
		if j := b.jitter(); j < 0 || j >= time.Second {
			t.Fatalf("jitter %v outside [0,1s)", j)
		}
	}
}

// TestRetries429WithoutRetryAfterBackOffExponentially replays what Google
// really sends (a 429 with no Retry-After, see testdata/google-recordings)
// several times and checks each wait against the schedule.
func TestRetries429WithoutRetryAfterBackOffExponentially(t *testing.T) {
	const failures = 8
	waits, c := failThenSucceed(t, quota429, failures, writeOnce)
	for n, w := range waits {
		lo := min(time.Second<<n, backoffMax)
		hi := min(lo+time.Second, backoffMax+time.Nanosecond)
		if w < lo || w >= hi {
			t.Errorf("wait %d = %v, want in [%v, %v)", n, w, lo, hi)
		}
	}
	if st := c.Stats(); st.RateLimited != failures || st.Retries != failures {
		t.Errorf("stats %+v", st)
	}
}

// TestRetryAfterIsWaitedOutExactly: a Retry-After, when present, replaces
// the exponential wait (even when shorter than it).
func TestRetryAfterIsWaitedOutExactly(t *testing.T) {
	clock := newFakeClock()
	s := &scripted{steps: []step{unavail, unavail, unavail,
		{code: 503, body: unavail.body, header: map[string]string{"Retry-After": "3"}}, ok200}}
	c := newTestClient(t, s, Options{Clock: clock})
	res := applyAsync(c, context.Background(), overwrite)
	for i := 0; i < 4; i++ {
		clock.waitTimers(t, 1)
		clock.Advance(clock.next())
	}
	if r := <-res; r.err != nil || r.calls != 5 {
		t.Fatalf("Apply = %d calls, %v", r.calls, r.err)
	}
	waits := clock.timerDurations()
	if len(waits) != 4 || waits[3] != 3*time.Second {
		t.Fatalf("waits %v, want the 4th to be exactly the Retry-After 3s", waits)
	}
	if waits[2] < 4*time.Second || waits[2] >= 5*time.Second {
		t.Errorf("third wait %v, want in [4s,5s)", waits[2])
	}
}

// failThenSucceed applies ops against a server that answers fail failures
// times and then 200, advancing a fake clock through every backoff, and
// returns the waits and the client. It fails the test unless the Apply
// succeeded after exactly failures retries.
func failThenSucceed(t *testing.T, fail step, failures int, ops []syncd.Op) ([]time.Duration, *Client) {
	t.Helper()
	clock := newFakeClock()
	steps := make([]step, failures, failures+1)
	for i := range steps {
		steps[i] = fail
	}
	c := newTestClient(t, &scripted{steps: append(steps, ok200)}, Options{Clock: clock})
	res := applyAsync(c, context.Background(), ops)
	for i := 0; i < failures; i++ {
		clock.waitTimers(t, 1)
		clock.Advance(clock.next())
	}
	r := <-res
	if r.err != nil || r.calls != failures+1 {
		t.Fatalf("Apply = %d calls, %v; want %d, nil", r.calls, r.err, failures+1)
	}
	waits := clock.timerDurations()
	if len(waits) != failures {
		t.Fatalf("%d backoff waits, want %d: %v", len(waits), failures, waits)
	}
	return waits, c
}
