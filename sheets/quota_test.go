package sheets

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func TestLimiterBlocksUntilAWindowAfterTheResponse(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(3, clock)
	ctx := context.Background()
	var releases []func()
	for i := 0; i < 3; i++ {
		r, err := l.Wait(ctx)
		if err != nil {
			t.Fatalf("Wait %d: %v", i, err)
		}
		releases = append(releases, r)
	}
	admitted := make(chan error, 1)
	go func() {
		r, err := l.Wait(ctx)
		if err == nil {
			r()
		}
		admitted <- err
	}()
	clock.Advance(10 * time.Second) // responses arrive 10 s after sending
	releases[0]()
	releases[0]() // a second release is ignored
	clock.waitTimers(t, 1)
	if d := clock.next(); d != time.Minute {
		t.Fatalf("fourth request waits %v, want 1m after the first response", d)
	}
	clock.Advance(time.Minute - time.Nanosecond)
	select {
	case err := <-admitted:
		t.Fatalf("fourth request admitted before the window ended (err %v)", err)
	default:
	}
	clock.Advance(time.Nanosecond)
	if err := <-admitted; err != nil {
		t.Fatalf("fourth request: %v", err)
	}
	releases[1]()
	releases[2]()
}

func TestLimiterWaitReturnsWhenContextIsDone(t *testing.T) {
	clock := newFakeClock()
	l := NewLimiter(1, clock)
	release, err := l.Wait(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	release()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := l.Wait(ctx)
		done <- err
	}()
	clock.waitTimers(t, 1)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Wait after cancel: err = %v, want context.Canceled", err)
	}
	if n := clock.pending(); n != 0 {
		t.Errorf("%d timers left pending after cancel", n)
	}
	if _, err := NewLimiter(5, clock).Wait(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a done context and free capacity: err = %v", err)
	}
}

// TestLimiterNeverExceedsLimitInAnyMinute drives 150 requests through a
// limit of 60 and checks every sliding minute of response-to-response
// times, and that the limiter does not idle when it has capacity.
func TestLimiterNeverExceedsLimitInAnyMinute(t *testing.T) {
	const limit, total = 60, 150
	latency := 700 * time.Millisecond
	clock := newFakeClock()
	l := NewLimiter(limit, clock)
	start := clock.Now()
	var sent, answered []time.Time
	for i := 0; i < total; i++ {
		got := make(chan func(), 1)
		go func() {
			r, err := l.Wait(context.Background())
			if err != nil {
				t.Error(err)
			}
			got <- r
		}()
		var release func()
		for release == nil {
			select {
			case release = <-got:
			default:
				if clock.pending() > 0 {
					clock.Advance(clock.next())
				}
			}
		}
		sent = append(sent, clock.Now())
		clock.Advance(latency)
		answered = append(answered, clock.Now())
		release()
	}
	// Google counts each request somewhere in [sent, answered]; the worst
	// case packs them: count requests answered after a send in any window.
	for i := range sent {
		n := 0
		for j := range sent {
			if !sent[j].Before(sent[i]) && answered[j].Before(sent[i].Add(time.Minute)) {
				n++
			}
		}
		if n > limit {
			t.Fatalf("%d requests within a minute of request %d; limit %d", n, i, limit)
		}
	}
	// 150 requests = 2 full windows + 30: the third burst starts when the
	// second window of the second burst ends.
	if took := sent[total-1].Sub(start); took > 3*time.Minute {
		t.Errorf("150 requests at 60/min took %v to send; the limiter idles", took)
	}
}

var quotaTestRuns atomic.Int64

func TestSharedQuotaIsOnePerKey(t *testing.T) {
	// Keys unique to this run: the registry is process-wide (-count=N).
	run := quotaTestRuns.Add(1)
	keyA, keyB := fmt.Sprintf("test a %d", run), fmt.Sprintf("test b %d", run)
	a, created := SharedQuota(keyA, 10, 20)
	if !created || a.Read.Limit() != 10 || a.Write.Limit() != 20 {
		t.Fatalf("first SharedQuota: created %v, limits %d/%d", created, a.Read.Limit(), a.Write.Limit())
	}
	again, created := SharedQuota(keyA, 99, 99)
	if created || again != a {
		t.Errorf("same key gave another Quota (created %v)", created)
	}
	if b, _ := SharedQuota(keyB, 0, 0); b == a || b.Read.Limit() != DefaultRequestsPerMinute {
		t.Errorf("other key: shared %v, read limit %d", b == a, b.Read.Limit())
	}
}

// TestPacedLimiterSpacesRequestsAfterTheBurst: after its burst, a paced
// limiter admits one request per window/limit instead of spending the whole
// window's quota at once and then starving.
func TestPacedLimiterSpacesRequestsAfterTheBurst(t *testing.T) {
	clock := newFakeClock()
	l := NewPacedLimiter(60, 3, clock)
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		release, err := l.Wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		release()
	}
	got := make(chan time.Time, 1)
	go func() {
		release, err := l.Wait(ctx)
		if err == nil {
			release()
		}
		got <- clock.Now()
	}()
	start := clock.Now()
	clock.waitTimers(t, 1)
	clock.Advance(999 * time.Millisecond)
	select {
	case <-got:
		t.Fatal("4th request admitted before a second had passed")
	default:
	}
	clock.Advance(time.Millisecond)
	if at := <-got; at.Sub(start) != time.Second {
		t.Fatalf("4th request admitted after %v, want 1s", at.Sub(start))
	}
}

// TestReadyWaitsForASlotWithoutTakingIt: Ready returns when a request could
// be admitted, and the slot is still there for the Wait that follows.
func TestReadyWaitsForASlotWithoutTakingIt(t *testing.T) {
	clock := newFakeClock()
	l := NewPacedLimiter(60, 1, clock)
	ctx := context.Background()
	release, err := l.Wait(ctx) // spends the only token
	if err != nil {
		t.Fatal(err)
	}
	release()
	ready := make(chan error, 1)
	go func() { ready <- l.Ready(ctx) }()
	clock.waitTimers(t, 1)
	select {
	case <-ready:
		t.Fatal("Ready returned while no slot was free")
	default:
	}
	clock.Advance(time.Second)
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	select { // forget the timers made so far
	case <-clock.notify:
	default:
	}
	got := make(chan error, 1)
	go func() {
		r, err := l.Wait(ctx)
		if err == nil {
			r()
		}
		got <- err
	}()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-clock.notify:
		t.Fatal("Wait after Ready had to wait: Ready took the slot")
	}
}
