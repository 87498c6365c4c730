package sheetsemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// maxBodyBytes caps request bodies; Google recommends 2 MB but accepts
// more, so the cap is generous and only protects the process.
const maxBodyBytes = 256 << 20

// apiRequest is one parsed API call handed to an endpoint handler.
type apiRequest struct {
	r       *http.Request
	id      string // spreadsheet id ("" for create/list)
	rng     string // unescaped range from /values/{range}
	verb    string
	query   url.Values
	body    []byte
	user    string // service-account email or "anonymous"
	isWrite bool
	drive   bool // a Drive v3 call: its own quota and counters
	// edit is a batchUpdate or values write of a spreadsheet: the
	// requests the BeforeBatchUpdate hook runs before.
	edit bool
}

// decode unmarshals the body into v, mapping malformed JSON to Google's
// 400 answer.
func (q *apiRequest) decode(v any) error {
	if len(q.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(q.body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return badRequest("Invalid value at '%s' (%s), %s", te.Field, te.Value, truncate(string(q.body), 80))
		}
		return badRequest("Invalid JSON payload received. %s", err.Error())
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// noContent makes the pipeline answer 204 with no body (Drive delete).
type noContent struct{}

type handlerFunc func(q *apiRequest) (any, error)

// ServeHTTP routes emulator pages and API calls. The API path is split at
// the last literal ':' of the escaped path (the verb) before the range is
// unescaped, because the Go client percent-encodes ':' inside ranges.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// A bug must never take the emulator down with it; report it the
		// way Google reports internal errors.
		if v := recover(); v != nil {
			s.log.Error("handler panic", zap.Any("panic", v), zap.String("path", r.URL.Path))
			writeAPIError(w, &apiError{Code: http.StatusInternalServerError, Status: "INTERNAL", Message: fmt.Sprintf("Internal error encountered: %v", v)})
		}
	}()
	path := r.URL.EscapedPath()
	switch {
	case path == "/" || path == "/index.html":
		s.serveHTML(w, r)
		return
	case path == "/_emulator/stats":
		writeJSON(w, http.StatusOK, s.Stats())
		return
	case path == "/_emulator/version":
		s.mu.Lock()
		v := s.version
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]uint64{"version": v})
		return
	case path == "/_emulator/apis":
		s.serveAPIsAdmin(w, r)
		return
	case path == "/_emulator/accounts":
		s.serveAccountsAdmin(w, r)
		return
	case path == "/token" || path == "/oauth2/v4/token":
		s.serveToken(w, r)
		return
	}
	q := &apiRequest{r: r, query: r.URL.Query()}
	var h handlerFunc
	var err error
	switch {
	case strings.HasPrefix(path, "/drive/v3/files") || strings.HasPrefix(path, "/upload/drive/"):
		h, err = s.routeDrive(q, path)
	case strings.Contains(path, "/spreadsheets"):
		h, err = s.routeSheets(q, path)
	default:
		err = notFound()
	}
	if err != nil {
		writeAPIError(w, asAPIError(err))
		return
	}
	s.serveAPI(w, q, h)
}

func asAPIError(err error) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae
	}
	return &apiError{Code: http.StatusInternalServerError, Status: "INTERNAL", Message: err.Error()}
}

// routeSheets maps a Sheets API path to its handler.
func (s *Server) routeSheets(q *apiRequest, path string) (handlerFunc, error) {
	i := strings.Index(path, "/spreadsheets")
	rest := strings.TrimPrefix(path[i+len("/spreadsheets"):], "/")
	m := q.r.Method
	if rest == "" {
		if m == http.MethodPost {
			q.isWrite = true
			return s.handleCreate, nil
		}
		return nil, notFound()
	}
	if j := strings.LastIndexByte(rest, ':'); j >= 0 && !strings.Contains(rest[j+1:], "/") && knownVerbs[rest[j+1:]] {
		q.verb = rest[j+1:]
		rest = rest[:j]
	}
	parts := strings.SplitN(rest, "/", 3)
	id, err := url.PathUnescape(parts[0])
	if err != nil || id == "" {
		return nil, notFound()
	}
	q.id = id
	q.isWrite = m != http.MethodGet
	key := m + " " + q.verb
	if len(parts) == 1 {
		switch key {
		case "GET ":
			return s.handleGet, nil
		case "POST batchUpdate":
			q.edit = true
			return s.handleBatchUpdate, nil
		case "POST getByDataFilter":
			q.isWrite = false
			return s.handleGetByDataFilter, nil
		}
		return nil, notFound()
	}
	switch parts[1] {
	case "values":
		if len(parts) == 2 {
			return s.routeValuesBatch(q, key)
		}
		rng, err := url.PathUnescape(parts[2])
		if err != nil {
			return nil, badRequest("Unable to parse range: %s", parts[2])
		}
		q.rng = rng
		q.edit = key != "GET "
		switch key {
		case "GET ":
			return s.handleValuesGet, nil
		case "PUT ":
			return s.handleValuesUpdate, nil
		case "POST append":
			return s.handleValuesAppend, nil
		case "POST clear":
			return s.handleValuesClear, nil
		}
	case "developerMetadata":
		if len(parts) == 2 && key == "POST search" {
			q.isWrite = false
			return s.handleMetadataSearch, nil
		}
		if len(parts) == 3 && key == "GET " {
			q.rng = parts[2]
			return s.handleMetadataGet, nil
		}
	case "sheets":
		if len(parts) == 3 && key == "POST copyTo" {
			q.rng = parts[2]
			return s.handleCopyTo, nil
		}
	}
	return nil, notFound()
}

var knownVerbs = map[string]bool{
	"batchUpdate": true, "getByDataFilter": true, "batchGet": true, "batchClear": true,
	"batchGetByDataFilter": true, "batchUpdateByDataFilter": true, "batchClearByDataFilter": true,
	"append": true, "clear": true, "search": true, "copyTo": true, "copy": true,
}

func (s *Server) routeValuesBatch(q *apiRequest, key string) (handlerFunc, error) {
	q.edit = key != "GET batchGet" && key != "POST batchGetByDataFilter"
	switch key {
	case "GET batchGet":
		return s.handleValuesBatchGet, nil
	case "POST batchUpdate":
		return s.handleValuesBatchUpdate, nil
	case "POST batchClear":
		return s.handleValuesBatchClear, nil
	case "POST batchGetByDataFilter":
		q.isWrite = false
		return s.handleBatchGetByDataFilter, nil
	case "POST batchUpdateByDataFilter":
		return s.handleBatchUpdateByDataFilter, nil
	case "POST batchClearByDataFilter":
		return s.handleBatchClearByDataFilter, nil
	}
	return nil, notFound()
}

// serveAPI runs the common pipeline: latency, authentication, quota,
// fault injection, the handler, and accounting.
func (s *Server) serveAPI(w http.ResponseWriter, q *apiRequest, h handlerFunc) {
	s.mu.Lock()
	latency := s.opts.Latency
	s.mu.Unlock()
	if latency > 0 {
		t := time.NewTimer(latency)
		select {
		case <-t.C:
		case <-q.r.Context().Done():
			t.Stop()
			return
		}
	}
	body, err := io.ReadAll(io.LimitReader(q.r.Body, maxBodyBytes))
	if err != nil {
		writeAPIError(w, badRequest("read request body: %v", err))
		return
	}
	q.body = body
	if q.edit {
		if f := s.beforeWrite.Load(); f != nil {
			(*f)(q.id) // outside s.mu: the hook may call the emulator
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	user, aerr := s.authenticate(q)
	if aerr != nil {
		writeAPIError(w, aerr)
		return
	}
	q.user = user
	// An API the project has not enabled answers before any quota is
	// spent: Google checks the service before the consumer's quota.
	if e := s.apiDisabled(q); e != nil {
		writeAPIError(w, e)
		return
	}
	var quotaErr *apiError
	if q.drive { // Drive calls spend Drive's quota, never the Sheets one
		quotaErr = s.quota.takeDrive(user, s.now())
	} else {
		quotaErr = s.quota.take(user, q.isWrite, s.now())
	}
	if e := quotaErr; e != nil {
		s.reject(q)
		// No Retry-After: none of the 306 real 429s recorded by gspread
		// carries one (testdata/google-recordings/SOURCES.md).
		writeAPIError(w, e)
		return
	}
	if s.opts.FailRate > 0 && s.rng.Float64() < s.opts.FailRate {
		s.reject(q)
		writeAPIError(w, unavailable())
		return
	}
	existed := s.books[q.id] != nil
	out, err := h(q)
	known := existed || s.books[q.id] != nil
	if err != nil {
		ae := asAPIError(err)
		s.log.Debug("api error", zap.String("method", q.r.Method), zap.String("path", q.r.URL.Path),
			zap.Int("code", ae.Code), zap.String("message", ae.Message))
		if known && (ae.Code >= 500 || ae.Code == http.StatusTooManyRequests) {
			s.countRejected(q)
		} else if known {
			s.count(q)
		}
		writeAPIError(w, ae)
		return
	}
	if known {
		s.count(q)
	}
	s.log.Debug("api", zap.String("method", q.r.Method), zap.String("path", q.r.URL.Path), zap.String("spreadsheet", q.id))
	if _, ok := out.(noContent); ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if rb, ok := out.(rawBody); ok {
		w.Header().Set("Content-Type", rb.contentType)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(rb.data)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// reject counts a 429/5xx answer against the addressed spreadsheet.
func (s *Server) reject(q *apiRequest) {
	if s.books[q.id] != nil {
		s.countRejected(q)
	}
}

func (s *Server) countRejected(q *apiRequest) {
	if q.drive {
		s.statsFor(q.id).DriveRejected++
	} else {
		s.statsFor(q.id).Rejected++
	}
}

func (s *Server) count(q *apiRequest) {
	st := s.statsFor(q.id)
	switch {
	case q.drive && q.isWrite:
		st.DriveWrites++
	case q.drive:
		st.DriveReads++
	case q.isWrite:
		st.Writes++
	default:
		st.Reads++
	}
}

// lookup returns the spreadsheet a request addresses, checking that the
// caller may see it.
func (s *Server) lookup(q *apiRequest) (*book, error) {
	b := s.books[q.id]
	if b == nil {
		return nil, notFound()
	}
	if !s.auth.canAccess(q.user, b) {
		return nil, permissionDenied()
	}
	return b, nil
}

// commit installs a modified copy of a spreadsheet.
func (s *Server) commit(b *book) {
	b.Modified = s.now()
	s.books[b.ID] = b
	s.bumpFileVersion(b.ID) // every change of a spreadsheet moves its Drive version
	s.changed()
}

// queryBool parses a boolean query parameter leniently ("true", "True",
// "1"); anything else is false.
func queryBool(v string) bool {
	b, err := strconv.ParseBool(v)
	return err == nil && b
}
