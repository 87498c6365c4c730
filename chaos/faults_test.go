package chaos

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// faults wraps the emulator with the failures the real Sheets API and the
// network between produce. Rates are per API request. The checker's
// requests (quotaUser=checker) pass untouched: faults are for the daemon.
type faults struct {
	// Rates of: a 503 UNAVAILABLE, a 429 RESOURCE_EXHAUSTED, a connection
	// reset before the request reaches the emulator (nothing applied) and
	// one after the emulator handled it (applied, answer lost: the case
	// that duplicates rows if a client blindly repeats an append).
	unavailable, throttled, resetBefore, resetAfter float64
	// jitter is the upper bound of the uniformly random latency added to
	// every request.
	jitter time.Duration

	on  atomic.Bool
	mu  sync.Mutex
	rng *rand.Rand

	// onWrite, when set, is called (once; it is cleared) after the
	// emulator applied a daemon's spreadsheets.batchUpdate and before the
	// answer is sent: the chaos test kills the daemon there, in the window
	// between the sheet write and the outbox commit.
	onWrite atomic.Pointer[func()]

	// Counts of injected faults, for the report.
	n503, n429, nResetBefore, nResetAfter, passed atomic.Int64
}

func newFaults(seed uint64) *faults {
	return &faults{
		unavailable: 0.10, throttled: 0.05, resetBefore: 0.02, resetAfter: 0.02,
		jitter: 60 * time.Millisecond,
		rng:    rand.New(rand.NewPCG(seed, seed^0x5eed)),
	}
}

func (f *faults) roll() (float64, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rng.Float64(), time.Duration(f.rng.Int64N(int64(f.jitter) + 1))
}

func (f *faults) String() string {
	return fmt.Sprintf("%d × 503, %d × 429, %d resets before and %d after the emulator handled the request, %d passed",
		f.n503.Load(), f.n429.Load(), f.nResetBefore.Load(), f.nResetAfter.Load(), f.passed.Load())
}

func (f *faults) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := strings.Contains(r.URL.Path, "/spreadsheets")
		if !f.on.Load() || !api || r.URL.Query().Get("quotaUser") == testworld.CheckerUser {
			h.ServeHTTP(w, r)
			return
		}
		p, delay := f.roll()
		// Jittered latency: the workload's shape, not a readiness wait.
		time.Sleep(delay)
		switch {
		case p < f.unavailable:
			f.n503.Add(1)
			googleError(w, http.StatusServiceUnavailable, `{"error":{"code":503,"message":"The service is currently unavailable.","status":"UNAVAILABLE"}}`)
		case p < f.unavailable+f.throttled:
			f.n429.Add(1)
			googleError(w, http.StatusTooManyRequests, quota429)
		case p < f.unavailable+f.throttled+f.resetBefore:
			f.nResetBefore.Add(1)
			io.Copy(io.Discard, r.Body)
			reset(w)
		case p < f.unavailable+f.throttled+f.resetBefore+f.resetAfter:
			f.nResetAfter.Add(1)
			h.ServeHTTP(httptest.NewRecorder(), r) // applied...
			reset(w)                               // ...but the answer never arrives
		case strings.HasSuffix(r.URL.Path, ":batchUpdate") && f.onWrite.Load() != nil:
			hook := f.onWrite.Swap(nil)
			if hook == nil {
				h.ServeHTTP(w, r) // another request took the hook
				return
			}
			f.passed.Add(1)
			h.ServeHTTP(httptest.NewRecorder(), r)
			(*hook)()
			reset(w)
		default:
			f.passed.Add(1)
			h.ServeHTTP(w, r)
		}
	})
}

// quota429 is the body Google sends for the per-minute write quota (as
// sheetsemu renders it).
const quota429 = `{"error":{"code":429,"message":"Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"RATE_LIMIT_EXCEEDED","domain":"googleapis.com","metadata":{"consumer":"projects/0","quota_limit":"WriteRequestsPerMinutePerUser","quota_limit_value":"60","quota_metric":"sheets.googleapis.com/write_requests","service":"sheets.googleapis.com"}}]}}`

func googleError(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	io.WriteString(w, body+"\n")
}

// reset closes the client's connection with a TCP RST and no response.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(fmt.Sprintf("chaos: cannot hijack: %v", err)) // http.Server recovers and closes the connection
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}
