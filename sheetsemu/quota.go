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

// quotas holds per-user read and write buckets, and a Drive bucket apart
// from them (Drive calls spend Drive's quota, not Sheets'); a limit of 0
// disables the corresponding bucket.
type quotas struct {
	read, write, drive int
	buckets            map[string]*bucket
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
	if !q.spend(key, limit, now) {
		return quotaExceeded(write, limit)
	}
	return nil
}

// takeDrive consumes one Drive request token for user or returns the
// answer Drive gives when its per-user per-minute quota is spent.
func (q *quotas) takeDrive(user string, now time.Time) *apiError {
	if q.drive <= 0 || q.spend("d:"+user, q.drive, now) {
		return nil
	}
	return driveRateLimited()
}

// spend takes a token from the bucket key (refilled at limit per minute),
// reporting false when it is empty.
func (q *quotas) spend(key string, limit int, now time.Time) bool {
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
		return false
	}
	b.tokens--
	return true
}

// DefaultDriveQuota is Drive's documented default of queries per minute
// per user ("Queries per 60 seconds per user: 12,000",
// developers.google.com/drive/api/guides/limits); -drive-quota's default.
const DefaultDriveQuota = 12000

// driveRateLimited is Drive's answer to a spent per-user quota: a 403
// userRateLimitExceeded in Drive's envelope (no "status"), not the Sheets
// 429 RESOURCE_EXHAUSTED. Of the two answers Drive documents (403 for the
// quota, 429 from "additional rate limit checks"), the 403 is the stricter:
// a client that retries only 429s gives up on it. The text is a real one
// (transloadit/uppy#1040); see CONFORMANCE.md.
func driveRateLimited() *apiError {
	const project = "0"
	msg := "User Rate Limit Exceeded. Rate of requests for user exceed configured project quota. " +
		"You may consider re-evaluating expected per-user traffic to the API and adjust project quota limits accordingly. " +
		"You may monitor aggregate quota usage and adjust limits in the API Console: " +
		"https://console.developers.google.com/apis/api/drive.googleapis.com/quotas?project=" + project
	return &apiError{Code: http.StatusForbidden, Message: msg, Errors: []any{map[string]any{
		"domain": "usageLimits", "reason": "userRateLimitExceeded", "message": msg,
		"extendedHelp": "https://console.developers.google.com/apis/api/drive.googleapis.com/quotas?project=" + project,
	}}}
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
