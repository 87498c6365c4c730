package sheets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/syncd/syncd"
)

// Sentinel errors that classify what the Sheets API refused. Returned
// errors wrap one of them (test with errors.Is) together with the
// underlying *googleapi.Error (errors.As) and carry a message saying what
// to do about it.
var (
	// ErrNotShared: 403, the service account may not open the spreadsheet.
	ErrNotShared = errors.New("permission denied")
	// ErrNotFound: 404, there is no spreadsheet with this id.
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: 401 or a refused token request; the credentials
	// themselves are wrong, revoked or expired.
	ErrUnauthenticated = errors.New("credentials rejected")
	// ErrInvalidRequest: 400 or another 4xx; the request itself is wrong
	// (bad range, sheet id, cell limit) and retrying cannot help.
	// It is syncd.ErrInvalidRequest, so syncer can tell it apart.
	ErrInvalidRequest = syncd.ErrInvalidRequest
	// ErrOutcomeUnknown: a write that is not safe to repeat (it appends or
	// deletes rows, or adds a tab) failed in a way that leaves open whether
	// Google applied it. The caller must re-read before writing again.
	ErrOutcomeUnknown = errors.New("outcome unknown")
	// ErrUnknownTimeZone: the spreadsheet's time zone is not in the tz
	// database this binary uses; UTC is used instead.
	ErrUnknownTimeZone = errors.New("unknown time zone")
)

// Error is a refusal by the Sheets API, explained for an operator.
type Error struct {
	// Kind is one of the sentinel errors above.
	Kind error
	// Code is the HTTP status (0 for a refused token request).
	Code int
	// Hint says what is wrong and what to do, naming the spreadsheet and
	// the service account.
	Hint string
	// Err is the underlying error (*googleapi.Error, *oauth2.RetrieveError).
	Err error
}

// Error returns the hint: it already names the operation's target and the
// remedy, and the caller's wrapping adds the operation.
func (e *Error) Error() string { return e.Hint }

// Unwrap exposes both the kind and the underlying error to errors.Is/As.
func (e *Error) Unwrap() []error { return []error{e.Kind, e.Err} }

// verdict is what the retry loop does with an error.
type verdict struct {
	retry       bool          // worth another attempt
	rateLimited bool          // a 429
	sent        bool          // the request may have reached Google
	retryAfter  time.Duration // Retry-After, if the server sent one
}

// judge classifies an attempt's error. Context errors are never retried.
func judge(err error) verdict {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) && !isAttemptTimeout(err) {
		return verdict{}
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		// The token endpoint, not Sheets: the request was never sent.
		code := 0
		if rerr.Response != nil {
			code = rerr.Response.StatusCode
		}
		return verdict{retry: code == 0 || code == http.StatusTooManyRequests || code >= 500}
	}
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		v := verdict{sent: true, retryAfter: retryAfter(gerr.Header)}
		switch {
		case gerr.Code == http.StatusTooManyRequests || isQuota403(gerr):
			v.retry, v.rateLimited, v.sent = true, true, false // refused before processing
		case gerr.Code >= 500:
			v.retry = true
		}
		return v
	}
	// Transport errors: a failure to connect means nothing was sent.
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return verdict{retry: true}
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return verdict{retry: true}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) || isAttemptTimeout(err) {
		return verdict{retry: true, sent: true}
	}
	return verdict{}
}

// isQuota403 recognises the older way Google APIs report a rate limit: a
// 403 whose reason is rateLimitExceeded or userRateLimitExceeded.
func isQuota403(e *googleapi.Error) bool {
	if e.Code != http.StatusForbidden {
		return false
	}
	for _, item := range e.Errors {
		if item.Reason == "rateLimitExceeded" || item.Reason == "userRateLimitExceeded" {
			return true
		}
	}
	return strings.Contains(e.Message, "Quota exceeded")
}

// errAttemptTimeout marks an attempt cut off by Options.RequestTimeout
// rather than by the caller's context.
var errAttemptTimeout = errors.New("request timed out")

func isAttemptTimeout(err error) bool { return errors.Is(err, errAttemptTimeout) }

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}

// explain turns a final, non-retryable error into an actionable *Error.
// Errors it does not recognise are returned as they are.
func (c *Client) explain(err error) error {
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		return &Error{Kind: ErrUnauthenticated, Err: err, Hint: fmt.Sprintf(
			"the token endpoint refused the credentials in %s (%s): check that the service account key is current and not revoked",
			c.credentialsFile, oauthReason(rerr))}
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return err
	}
	e := &Error{Code: gerr.Code, Err: err}
	switch gerr.Code {
	case http.StatusForbidden:
		e.Kind = ErrNotShared
		switch {
		case strings.Contains(gerr.Message, "has not been used") || strings.Contains(gerr.Message, "is disabled"):
			e.Hint = fmt.Sprintf("the Google Sheets API is not enabled for the service account's project: %s", gerr.Message)
		case c.email != "":
			e.Hint = fmt.Sprintf("spreadsheet %s is not shared with %s: share it with that address as Editor", c.id, c.email)
		default:
			e.Hint = fmt.Sprintf("spreadsheet %s is not shared with the account syncd uses: share it with the service account's email as Editor", c.id)
		}
	case http.StatusNotFound:
		e.Kind = ErrNotFound
		e.Hint = fmt.Sprintf("spreadsheet %s not found: check sheets.spreadsheet_id (the id is the part of the sheet's URL between /d/ and /edit)", c.id)
	case http.StatusUnauthorized:
		e.Kind = ErrUnauthenticated
		e.Hint = fmt.Sprintf("the Sheets API rejected syncd's credentials (%s): check sheets.credentials_file", gerr.Message)
	default:
		e.Kind = ErrInvalidRequest
		e.Hint = fmt.Sprintf("the Sheets API rejected the request (%d): %s", gerr.Code, gerr.Message)
	}
	return e
}

func oauthReason(r *oauth2.RetrieveError) string {
	// The JWT flow leaves the error fields empty; the body has them.
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	if r.ErrorCode == "" && json.Unmarshal(r.Body, &body) == nil && body.Error != "" {
		r = &oauth2.RetrieveError{ErrorCode: body.Error, ErrorDescription: body.Description}
	}
	switch {
	case r.ErrorDescription != "":
		return r.ErrorCode + ": " + r.ErrorDescription
	case r.ErrorCode != "":
		return r.ErrorCode
	case r.Response != nil:
		return r.Response.Status
	}
	return "no reason given"
}
