// Package retry holds what syncd's retry loops share, so that the
// reconnecting supervisor of dedicated connections and the syncer's batch
// retries wait the same way.
package retry

import (
	"context"
	"time"
)

// Sleep waits for d or until ctx is done, whichever comes first, and
// reports whether d elapsed: false means the caller should stop retrying.
// A d of zero or less does not wait; it reports whether ctx is still live,
// so a retry loop with a zero backoff still stops once ctx is done. The
// timer is released either way.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
