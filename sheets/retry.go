package sheets

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// Backoff shape, as Google's "Resolve time-based quota errors" guidance
// gives it: wait min(2^n s + random_ms, maximum_backoff) before retry n,
// with random_ms ≤ 1000 and a 64 s cap, and keep retrying at the cap. That
// applies to 429 and 5xx answers without a Retry-After header, which is all
// of them in practice: none of the 306 recorded real 429s carries one. A
// Retry-After, when a server does send one, is waited out in full.
const (
	backoffInitial = time.Second
	backoffJitter  = time.Second // random_ms: uniform in [0, 1 s)
	backoffMax     = 64 * time.Second
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
	kindDrive              // a Drive read (files.get): Drive's own budget
)

// Stats counts a Client's traffic. All fields only grow.
type Stats struct {
	ReadCalls   uint64 // read requests sent (each attempt counts)
	WriteCalls  uint64 // write requests sent (each attempt counts)
	DriveCalls  uint64 // Drive requests sent (each attempt counts)
	RateLimited uint64 // 429 responses
	Retries     uint64 // attempts that followed a failed one
	Failures    uint64 // calls that returned an error to the caller
}

type counters struct {
	reads, writes, drives, rateLimited, retries, failures atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		ReadCalls: c.reads.Load(), WriteCalls: c.writes.Load(), DriveCalls: c.drives.Load(),
		RateLimited: c.rateLimited.Load(), Retries: c.retries.Load(), Failures: c.failures.Load(),
	}
}

// backOff is truncated exponential backoff with additive jitter. It is
// per call: no elapsed-time limit, because a mirror is never given up; only
// ctx ends the retries.
type backOff struct {
	n      int
	jitter func() time.Duration
}

// next is the wait before the next retry: min(2^n s + jitter, 64 s).
func (b *backOff) next() time.Duration {
	d := backoffMax
	if b.n < 6 { // 2^6 s already reaches the cap
		d = min(backoffInitial<<b.n+b.jitter(), backoffMax)
	}
	b.n++
	return d
}

func (c *Client) newBackOff() *backOff {
	return &backOff{jitter: func() time.Duration { return rand.N(backoffJitter) }}
}

// call runs do under the quota, retrying 429s, 5xx and transport errors
// with jittered exponential backoff (or exactly Retry-After when sent) until it
// succeeds, fails for good, or ctx is done. A kindWriteOnce call is
// repeated only when Google cannot have applied it (a 429, or no
// connection); otherwise it fails with ErrOutcomeUnknown. It returns the
// number of requests sent.
func (c *Client) call(ctx context.Context, kind callKind, what string, do func(context.Context) error) (int, error) {
	limiter := c.quota.Write
	switch kind {
	case kindRead:
		limiter = c.quota.Read
	case kindDrive:
		limiter = c.quota.Drive
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
		switch kind {
		case kindRead:
			c.stats.reads.Add(1)
		case kindDrive:
			c.stats.drives.Add(1)
		default:
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
		wait := b.next()
		if v.retryAfter > 0 {
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
