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

// quotas holds per-user read and write buckets, the project's read and
// write buckets shared by every user, and a Drive bucket apart from them
// (Drive calls spend Drive's quota, not Sheets'); a limit of 0 disables
// the corresponding bucket. project is the project number the 429 bodies
// name.
type quotas struct {
	read, write, drive int
	// projectLimit is Sheets requests per minute for all users together,
	// reads and writes each (Google's 300).
	projectLimit int
	project      string
	buckets      map[string]*bucket
}

func newQuotas(read, write int) *quotas {
	return &quotas{read: read, write: write, buckets: map[string]*bucket{}}
}

// take consumes one request token for user, then one of the project's,
// or returns Google's 429 body for the quota that is spent. A request the
// project's quota refuses has still spent the user's token (the stricter
// answer; see CONFORMANCE.md).
func (q *quotas) take(user string, write bool, now time.Time) *apiError {
	limit := q.read
	key, pkey := "r:"+user, "pr"
	if write {
		limit, key, pkey = q.write, "w:"+user, "pw"
	}
	if limit > 0 && !q.spend(key, limit, now) {
		return quotaExceeded(write, limit, false, q.projectNumber())
	}
	if q.projectLimit > 0 && !q.spend(pkey, q.projectLimit, now) {
		return quotaExceeded(write, q.projectLimit, true, q.projectNumber())
	}
	return nil
}

func (q *quotas) projectNumber() string {
	if q.project == "" {
		return DefaultProjectNumber
	}
	return q.project
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

// DefaultProjectQuota is Google's Sheets quota per project: 300 read and
// 300 write requests a minute for all users together
// (developers.google.com/sheets/api/limits); -project-quota's value when
// the project quota is wanted at Google's size.
const DefaultProjectQuota = 300

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
// for the per-user per-minute limit ("Write requests per minute per user",
// WriteRequestsPerMinutePerUser) or, with perProject, the project's
// ("Write requests per minute", WriteRequestsPerMinute).
func quotaExceeded(write bool, limit int, perProject bool, project string) *apiError {
	metric, limitName, short := "read_requests", "ReadRequestsPerMinute", "Read requests"
	if write {
		metric, limitName, short = "write_requests", "WriteRequestsPerMinute", "Write requests"
	}
	label := short + " per minute"
	if !perProject {
		limitName += "PerUser"
		label += " per user"
	}
	return &apiError{
		Code:   http.StatusTooManyRequests,
		Status: "RESOURCE_EXHAUSTED",
		Message: fmt.Sprintf("Quota exceeded for quota metric '%s' and limit '%s' of service 'sheets.googleapis.com' for consumer 'project_number:%s'.",
			short, label, project),
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
