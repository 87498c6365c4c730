package retry_test

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/retry"
)

func TestSleepWaitsForTheDuration(t *testing.T) {
	t.Parallel()
	const d = 20 * time.Millisecond
	start := time.Now()
	if !retry.Sleep(context.Background(), d) {
		t.Fatal("Sleep = false with a live context")
	}
	if took := time.Since(start); took < d {
		t.Fatalf("Sleep returned after %v, want at least %v", took, d)
	}
}

func TestSleepStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if retry.Sleep(ctx, time.Hour) {
		t.Fatal("Sleep = true after the context was cancelled")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Sleep took %v to notice the cancellation", took)
	}
}

func TestSleepWithoutDurationReportsTheContext(t *testing.T) {
	t.Parallel()
	for _, d := range []time.Duration{0, -time.Second} {
		if !retry.Sleep(context.Background(), d) {
			t.Errorf("Sleep(live, %v) = false, want true", d)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if retry.Sleep(ctx, d) {
			t.Errorf("Sleep(cancelled, %v) = true, want false", d)
		}
	}
}
