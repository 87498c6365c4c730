package sheetsemu

import (
	"fmt"
	"net/http"
	"time"
)

// bucket is a token bucket refilled continuously at capacity per minute,
// which approximates Google's per-minute quota windows without letting a
// burst at a window edge double the rate.
type bucket struct {
	tokens float64
	last   time.Time
}

// quotas holds per-user read and write buckets; a limit of 0 disables the
// corresponding bucket.
type quotas struct {
	read, write int
	buckets     map[string]*bucket
}

func newQuotas(read, write int) *quotas {
	return &quotas{read: read, write: write, buckets: map[string]*bucket{}}
}

// take consumes one request token for user or returns Google's 429 body.
func (q *quotas) take(user string, write bool, now time.Time) *apiError {
	limit := q.read
	key := "r:" + user
	if write {
		limit, key = q.write, "w:"+user
	}
	if limit <= 0 {
		return nil
	}
	b := q.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(limit), last: now}
		q.buckets[key] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(float64(limit), b.tokens+el.Minutes()*float64(limit))
		b.last = now
	}
	if b.tokens < 1 {
		return quotaExceeded(write, limit)
	}
	b.tokens--
	return nil
}

// quotaExceeded builds the exact 429 RESOURCE_EXHAUSTED error Google sends
// for the per-user per-minute limit.
func quotaExceeded(write bool, limit int) *apiError {
	metric, limitName, short := "read_requests", "ReadRequestsPerMinutePerUser", "Read requests"
	if write {
		metric, limitName, short = "write_requests", "WriteRequestsPerMinutePerUser", "Write requests"
	}
	const project = "0"
	return &apiError{
		Code:   http.StatusTooManyRequests,
		Status: "RESOURCE_EXHAUSTED",
		Message: fmt.Sprintf("Quota exceeded for quota metric '%s' and limit '%s per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:%s'.",
			short, short, project),
		Details: []any{map[string]any{
			"@type":  "type.googleapis.com/google.rpc.ErrorInfo",
			"reason": "RATE_LIMIT_EXCEEDED",
			"domain": "googleapis.com",
			"metadata": map[string]string{
				"consumer":          "projects/" + project,
				"quota_limit":       limitName,
				"quota_limit_value": fmt.Sprint(limit),
				"quota_metric":      "sheets.googleapis.com/" + metric,
				"service":           "sheets.googleapis.com",
			},
		}},
	}
}
