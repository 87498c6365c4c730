package sheets

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cenkalti/backoff/v4"
	"go.uber.org/zap"
)

// Backoff shape: Google asks for truncated exponential backoff with jitter
// and a 32–64 s cap; the quota refills within a minute. The jitter is ±1/3
// around an interval capped at 48 s, so waits at the cap spread over
// [32 s, 64 s] and clients that failed together do not retry together.
const (
	backoffInitial    = time.Second
	backoffMultiplier = 2
	backoffJitter     = 1.0 / 3
	backoffMax        = 48 * time.Second
)

// DefaultRequestTimeout bounds one attempt. Google gives up on a request
// after 180 s, so a response later than this is never coming.
const DefaultRequestTimeout = 200 * time.Second

// callKind says which quota a call draws on and how it may be retried.
type callKind int

const (
	kindRead      callKind = iota
	kindWrite              // idempotent: overwriting cells, formats, titles
	kindWriteOnce          // appends rows, deletes rows or adds a tab
)

// Stats counts a Client's traffic. All fields only grow.
type Stats struct {
	ReadCalls   uint64 // read requests sent (each attempt counts)
	WriteCalls  uint64 // write requests sent (each attempt counts)
	RateLimited uint64 // 429 responses
	Retries     uint64 // attempts that followed a failed one
	Failures    uint64 // calls that returned an error to the caller
}

type counters struct {
	reads, writes, rateLimited, retries, failures atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		ReadCalls: c.reads.Load(), WriteCalls: c.writes.Load(),
		RateLimited: c.rateLimited.Load(), Retries: c.retries.Load(), Failures: c.failures.Load(),
	}
}

// newBackOff returns the backoff for one call: no elapsed-time limit,
// because a mirror is never given up; only ctx ends the retries.
func (c *Client) newBackOff() backoff.BackOff {
	return backoff.NewExponentialBackOff(
		backoff.WithInitialInterval(backoffInitial),
		backoff.WithMultiplier(backoffMultiplier),
		backoff.WithRandomizationFactor(backoffJitter),
		backoff.WithMaxInterval(backoffMax),
		backoff.WithMaxElapsedTime(0),
		backoff.WithClockProvider(c.clock),
	)
}

// call runs do under the quota, retrying 429s, 5xx and transport errors
// with jittered exponential backoff (at least Retry-After) until it
// succeeds, fails for good, or ctx is done. A kindWriteOnce call is
// repeated only when Google cannot have applied it (a 429, or no
// connection); otherwise it fails with ErrOutcomeUnknown. It returns the
// number of requests sent.
func (c *Client) call(ctx context.Context, kind callKind, what string, do func(context.Context) error) (int, error) {
	limiter := c.quota.Write
	if kind == kindRead {
		limiter = c.quota.Read
	}
	b := c.newBackOff()
	calls := 0
	for {
		release, err := limiter.Wait(ctx)
		if err != nil {
			c.stats.failures.Add(1)
			return calls, err
		}
		calls++
		if kind == kindRead {
			c.stats.reads.Add(1)
		} else {
			c.stats.writes.Add(1)
		}
		err = c.attempt(ctx, do)
		release()
		if err == nil {
			return calls, nil
		}
		if ctx.Err() != nil {
			c.stats.failures.Add(1)
			return calls, ctx.Err()
		}
		v := judge(err)
		if v.rateLimited {
			c.stats.rateLimited.Add(1)
		}
		if !v.retry {
			c.stats.failures.Add(1)
			return calls, c.explain(err)
		}
		if kind == kindWriteOnce && v.sent {
			c.stats.failures.Add(1)
			return calls, &Error{Kind: ErrOutcomeUnknown, Err: err, Hint: fmt.Sprintf(
				"%s may or may not have been applied (%v); it appends or deletes rows, so it is not repeated blindly: re-read the tab first", what, err)}
		}
		wait := b.NextBackOff()
		if v.retryAfter > wait {
			wait = v.retryAfter
		}
		c.stats.retries.Add(1)
		// Handled here: the caller never sees this error, so log it.
		c.log.Warn("sheets request failed, retrying",
			zap.String("call", what), zap.Int("attempt", calls), zap.Duration("wait", wait), zap.Error(err))
		if err := c.sleep(ctx, wait); err != nil {
			c.stats.failures.Add(1)
			return calls, err
		}
	}
}

// attempt runs do with the per-attempt timeout, marking a timeout of its
// own so that it is retried rather than taken for the caller's deadline.
func (c *Client) attempt(ctx context.Context, do func(context.Context) error) error {
	actx, cancel := context.WithTimeoutCause(ctx, c.requestTimeout, errAttemptTimeout)
	defer cancel()
	err := do(actx)
	if err != nil && ctx.Err() == nil && errors.Is(context.Cause(actx), errAttemptTimeout) {
		return fmt.Errorf("%w: %w", errAttemptTimeout, err)
	}
	return err
}

// sleep waits d on the Client's clock, or until ctx is done.
func (c *Client) sleep(ctx context.Context, d time.Duration) error {
	t := c.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C():
		return nil
	}
}
