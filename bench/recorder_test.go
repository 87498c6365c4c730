package bench

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"google.golang.org/api/sheets/v4"
)

// recorder wraps the emulator's handler and notes every API request: who
// sent it (quotaUser; empty for the measured process), its body size, its
// status and when its response was ready. With keep on it also keeps the
// bodies of row writes, so that the time each key became visible can be
// read from them afterwards; parsing happens in landed, outside the
// handler, so the recorder costs the measured daemon almost nothing.
type recorder struct {
	mu     sync.Mutex
	keep   bool
	reqs   []request
	parsed int                 // reqs[:parsed] are in seen
	seen   map[int64]time.Time // key → when the write carrying it returned
}

// request is one API request the emulator served.
type request struct {
	began  time.Time
	end    time.Time
	user   string
	write  bool
	status int
	size   int
	body   []byte
	append bool // values.append (the naive mirror) rather than batchUpdate
}

func (c *recorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/v4/spreadsheets") {
			h.ServeHTTP(rw, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		st := &statusWriter{ResponseWriter: rw, code: http.StatusOK}
		began := time.Now()
		h.ServeHTTP(st, r)
		q := request{began: began, end: time.Now(), user: r.URL.Query().Get("quotaUser"), status: st.code, size: len(body),
			write: isWrite(r), append: strings.HasSuffix(r.URL.Path, ":append")}
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.keep && q.write && q.user == "" && q.status == http.StatusOK {
			q.body = body
		}
		c.reqs = append(c.reqs, q)
	})
}

// isWrite tells writes from reads as the emulator's quota does: every
// request but GET is a write, except the reads sent as POST (syncd reads
// ranges by id through values.batchGetByDataFilter). Counting those as
// writes made a batch's read-before-write look like a second write.
func isWrite(r *http.Request) bool {
	if r.Method == http.MethodGet {
		return false
	}
	for _, read := range []string{":getByDataFilter", ":batchGetByDataFilter", "/developerMetadata:search"} {
		if strings.HasSuffix(r.URL.Path, read) {
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (s *statusWriter) WriteHeader(code int) {
	s.code = code
	s.ResponseWriter.WriteHeader(code)
}

// start forgets everything seen so far and starts recording bodies when
// keep is set.
func (c *recorder) start(keep bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.keep, c.reqs, c.parsed, c.seen = keep, nil, 0, map[int64]time.Time{}
}

// apiCounts are the measured process's requests since start.
type apiCounts struct {
	Reads, Writes int // accepted
	Quota429      int
	Failed        int // other non-2xx answers
	MaxBody       int // largest request body, bytes
	// HandlerSeconds is the time the emulator spent on the requests,
	// its configured latency included: the part of a measurement that
	// is the emulator's (in the benchmark process), not the daemon's.
	HandlerSeconds float64
}

// Calls is every accepted request.
func (a apiCounts) Calls() int { return a.Reads + a.Writes }

func (c *recorder) counts() apiCounts {
	c.mu.Lock()
	defer c.mu.Unlock()
	var a apiCounts
	for _, q := range c.reqs {
		if q.user != "" {
			continue
		}
		a.MaxBody = max(a.MaxBody, q.size)
		a.HandlerSeconds += q.end.Sub(q.began).Seconds()
		switch {
		case q.status == http.StatusTooManyRequests:
			a.Quota429++
		case q.status/100 != 2:
			a.Failed++
		case q.write:
			a.Writes++
		default:
			a.Reads++
		}
	}
	return a
}

// writeTimes returns when each accepted write of the measured process
// returned, in order.
func (c *recorder) writeTimes() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ts []time.Time
	for _, q := range c.reqs {
		if q.user == "" && q.write && q.status == http.StatusOK {
			ts = append(ts, q.end)
		}
	}
	return ts
}

// landed parses the bodies recorded since the last call and returns, for
// every key written so far, when the write that first carried it returned.
// The key is the first cell of each row, written by syncd's appendCells /
// updateCells or by the naive mirror's values.append.
func (c *recorder) landed() map[int64]time.Time {
	c.mu.Lock()
	todo := c.reqs[c.parsed:len(c.reqs):len(c.reqs)]
	c.parsed = len(c.reqs)
	c.mu.Unlock()
	for _, q := range todo {
		if q.body == nil {
			continue
		}
		for _, k := range keysOf(q.body, q.append) {
			if _, ok := c.seen[k]; !ok {
				c.seen[k] = q.end
			}
		}
	}
	return c.seen
}

func keysOf(body []byte, isAppend bool) []int64 {
	var keys []int64
	if isAppend {
		var vr struct{ Values [][]any }
		if json.Unmarshal(body, &vr) == nil {
			for _, r := range vr.Values {
				if len(r) > 0 {
					if f, ok := r[0].(float64); ok {
						keys = append(keys, int64(f))
					}
				}
			}
		}
		return keys
	}
	var bu sheets.BatchUpdateSpreadsheetRequest
	if json.Unmarshal(body, &bu) != nil {
		return nil
	}
	rows := func(rs []*sheets.RowData) {
		for _, r := range rs {
			if len(r.Values) > 0 && r.Values[0].UserEnteredValue != nil && r.Values[0].UserEnteredValue.NumberValue != nil {
				keys = append(keys, int64(*r.Values[0].UserEnteredValue.NumberValue))
			}
		}
	}
	for _, r := range bu.Requests {
		switch {
		case r.AppendCells != nil:
			rows(r.AppendCells.Rows)
		case r.UpdateCells != nil && r.UpdateCells.Start != nil && r.UpdateCells.Start.ColumnIndex == 0:
			rows(r.UpdateCells.Rows)
		case r.UpdateCells != nil && r.UpdateCells.Range != nil && r.UpdateCells.Range.StartColumnIndex == 0:
			rows(r.UpdateCells.Rows)
		}
	}
	return keys
}
