package sheets

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/syncd/syncd"
)

// scripted answers the i-th request with steps[i] (the last step repeats)
// and counts requests.
type scripted struct {
	mu    sync.Mutex
	steps []step
	n     int
	auth  []string
}

type step struct {
	code   int
	header map[string]string
	body   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	s.mu.Lock()
	st := s.steps[min(s.n, len(s.steps)-1)]
	s.n++
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.mu.Unlock()
	for k, v := range st.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(st.code)
	_, _ = io.WriteString(w, st.body)
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

func apiError(code int, status, msg string) step {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"code": code, "message": msg, "status": status}})
	return step{code: code, body: string(b)}
}

var (
	ok200     = step{code: 200, body: `{"spreadsheetId":"sid","replies":[{}]}`}
	quota429  = apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:1'.")
	unavail   = apiError(503, "UNAVAILABLE", "The service is currently unavailable.")
	writeOnce = []syncd.Op{syncd.AppendRows{SheetID: 1, Rows: [][]syncd.Cell{{syncd.NumberCell(1)}}}}
	overwrite = []syncd.Op{syncd.WriteRows{SheetID: 1, Row: 1, Rows: [][]syncd.Cell{{syncd.NumberCell(1)}}}}
)

// applyAsync runs Apply in the background; the result arrives on the channel.
func applyAsync(c *Client, ctx context.Context, ops []syncd.Op) <-chan applyResult {
	ch := make(chan applyResult, 1)
	go func() {
		calls, err := c.Apply(ctx, ops)
		ch <- applyResult{calls, err}
	}()
	return ch
}

type applyResult struct {
	calls int
	err   error
}

func TestApplyRetries429HonouringRetryAfter(t *testing.T) {
	clock := newFakeClock()
	s := &scripted{steps: []step{{code: 429, body: quota429.body, header: map[string]string{"Retry-After": "30"}}, ok200}}
	c := newTestClient(t, s, Options{Clock: clock})
	res := applyAsync(c, context.Background(), writeOnce)
	clock.waitTimers(t, 1)
	if d := clock.next(); d < 30*time.Second {
		t.Errorf("backoff after a 429 with Retry-After: 30 is %v", d)
	}
	clock.Advance(clock.next())
	r := <-res
	if r.err != nil || r.calls != 2 {
		t.Fatalf("Apply = %d calls, %v; want 2 calls, nil", r.calls, r.err)
	}
	if st := c.Stats(); st.RateLimited != 1 || st.Retries != 1 || st.WriteCalls != 2 || st.Failures != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestRetriesBackOffWithJitterUpToTheCap checks that the waits between
// 503s grow, stay within the jitter band, and never pass 64 s.
func TestRetriesBackOffWithJitterUpToTheCap(t *testing.T) {
	const failures = 12
	waits, _ := failThenSucceed(t, unavail, failures, overwrite)
	if waits[0] < time.Second || waits[0] >= 2*time.Second {
		t.Errorf("first wait %v, want 1s plus under 1s of jitter", waits[0])
	}
	for i, w := range waits {
		if w > 64*time.Second {
			t.Errorf("wait %d is %v, over the 64s cap", i, w)
		}
	}
	if last := waits[len(waits)-1]; last < 30*time.Second {
		t.Errorf("after %d failures the wait is only %v", failures, last)
	}
}

func TestOldStyleQuota403IsRetried(t *testing.T) {
	clock := newFakeClock()
	s := &scripted{steps: []step{apiError(403, "PERMISSION_DENIED", "Quota exceeded for quota group 'WriteGroup'"), ok200}}
	c := newTestClient(t, s, Options{Clock: clock})
	res := applyAsync(c, context.Background(), writeOnce)
	clock.waitTimers(t, 1)
	clock.Advance(clock.next())
	if r := <-res; r.err != nil || r.calls != 2 || c.Stats().RateLimited != 1 {
		t.Fatalf("Apply = %d calls, %v, stats %+v; want the quota 403 retried", r.calls, r.err, c.Stats())
	}
}

func TestReadRangeWidensWhatA1CannotSay(t *testing.T) {
	for _, tt := range []struct {
		r    syncd.Range
		a1   string
		crop crop
	}{
		{syncd.Range{Tab: "T", StartRow: 1}, "T", crop{rows: 1}},
		{syncd.Range{Tab: "T", StartCol: 2}, "T", crop{cols: 2}},
		{syncd.Range{Tab: "T", StartRow: 4, EndRow: 10, StartCol: 1}, "T!5:10", crop{cols: 1}},
		{syncd.Range{Tab: "T", StartRow: 1, EndCol: 3}, "T!A2:C", crop{}},
	} {
		a1, cr, err := readRange(tt.r)
		if err != nil || a1 != tt.a1 || cr != tt.crop {
			t.Errorf("readRange(%+v) = %q, %+v, %v; want %q, %+v", tt.r, a1, cr, err, tt.a1, tt.crop)
		}
	}
	rows := [][]syncd.Cell{{syncd.NumberCell(1), syncd.NumberCell(2)}, {syncd.NumberCell(3)}, {syncd.NumberCell(4), syncd.NumberCell(5)}}
	got := crop{rows: 1, cols: 1}.apply(rows)
	if len(got) != 2 || len(got[0]) != 0 || got[1][0] != syncd.NumberCell(5) {
		t.Errorf("crop = %v", got)
	}
	if _, _, err := readRange(syncd.Range{StartRow: 1}); err == nil {
		t.Error("a range without a tab and without an A1 form was accepted")
	}
}

func TestWriteOnceIsNotReplayedWhenItsOutcomeIsUnknown(t *testing.T) {
	s := &scripted{steps: []step{apiError(500, "INTERNAL", "Internal error encountered."), ok200}}
	c := newTestClient(t, s, Options{Clock: newFakeClock()})
	calls, err := c.Apply(context.Background(), writeOnce)
	if !errors.Is(err, ErrOutcomeUnknown) || calls != 1 || s.count() != 1 {
		t.Fatalf("Apply(AppendRows) after a 500 = %d calls (%d sent), %v; want 1 and ErrOutcomeUnknown", calls, s.count(), err)
	}
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != 500 {
		t.Errorf("the googleapi.Error is not reachable with errors.As: %v", err)
	}
}

// dialFailer fails the first n round trips as a refused connection would.
type dialFailer struct {
	n    atomic.Int32
	next http.RoundTripper
}

func (d *dialFailer) RoundTrip(r *http.Request) (*http.Response, error) {
	if d.n.Add(-1) >= 0 {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	}
	return d.next.RoundTrip(r)
}

func TestWriteOnceIsRetriedWhenNothingWasSent(t *testing.T) {
	clock := newFakeClock()
	s := &scripted{steps: []step{ok200}}
	df := &dialFailer{next: http.DefaultTransport}
	df.n.Store(2)
	c := newTestClient(t, s, Options{Clock: clock, HTTPClient: &http.Client{Transport: df}})
	res := applyAsync(c, context.Background(), writeOnce)
	for i := 0; i < 2; i++ {
		clock.waitTimers(t, 1)
		clock.Advance(clock.next())
	}
	if r := <-res; r.err != nil || r.calls != 3 || s.count() != 1 {
		t.Fatalf("Apply = %d calls (%d reached the server), %v; want 3 and 1", r.calls, s.count(), r.err)
	}
}

func TestApplyReturnsCanceledDuringBackoff(t *testing.T) {
	clock := newFakeClock()
	s := &scripted{steps: []step{unavail}}
	c := newTestClient(t, s, Options{Clock: clock})
	ctx, cancel := context.WithCancel(context.Background())
	res := applyAsync(c, ctx, overwrite)
	clock.waitTimers(t, 1)
	cancel()
	r := <-res
	if !errors.Is(r.err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", r.err)
	}
	if r.calls != 1 {
		t.Errorf("calls = %d, want 1", r.calls)
	}
}

func TestClientErrorsAreActionableAndNotRetried(t *testing.T) {
	tests := []struct {
		name string
		step step
		kind error
		want string
	}{
		{"403 names the account", apiError(403, "PERMISSION_DENIED", "The caller does not have permission"), ErrNotShared,
			"spreadsheet sid is not shared with syncd@proj.iam.gserviceaccount.com: share it with that address as Editor"},
		{"404 names the spreadsheet", apiError(404, "NOT_FOUND", "Requested entity was not found."), ErrNotFound, "spreadsheet sid not found"},
		{"401 blames the credentials", apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials."), ErrUnauthenticated, "check sheets.credentials_file"},
		{"400 carries Google's message", apiError(400, "INVALID_ARGUMENT", "Invalid requests[0].deleteDimension: No grid with id: 1"), ErrInvalidRequest, "No grid with id: 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &scripted{steps: []step{tt.step, ok200}}
			c := newTestClient(t, s, Options{Clock: newFakeClock()})
			c.email = "syncd@proj.iam.gserviceaccount.com" // as New sets it from a key file
			calls, err := c.Apply(context.Background(), overwrite)
			if !errors.Is(err, tt.kind) {
				t.Fatalf("err = %v, want %v", err, tt.kind)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not say %q", err, tt.want)
			}
			if calls != 1 || s.count() != 1 {
				t.Errorf("%d calls, %d sent; a 4xx must not be retried", calls, s.count())
			}
			if st := c.Stats(); st.Failures != 1 || st.Retries != 0 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestLoadZone(t *testing.T) {
	// Offsets in January.
	for name, offset := range map[string]int{"Europe/Berlin": 3600, "UTC": 0, "GMT+03:00": 3 * 3600, "GMT-05:30": -(5*3600 + 1800), "UTC+01": 3600} {
		loc, err := loadZone(name)
		if err != nil {
			t.Errorf("loadZone(%q): %v", name, err)
			continue
		}
		if _, off := time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Zone(); off != offset {
			t.Errorf("loadZone(%q) has offset %d, want %d", name, off, offset)
		}
	}
	for _, bad := range []string{"Mars/Olympus", "GMT+", "GMT+3:00x", ""} {
		if loc, err := loadZone(bad); err == nil && bad != "" {
			t.Errorf("loadZone(%q) = %v", bad, loc)
		}
	}
}

func TestReadDecodesValuesAndErrors(t *testing.T) {
	body := `{"spreadsheetId":"sid","valueRanges":[
		{"range":"Shifts!A1:D3","majorDimension":"ROWS","values":[["id","day",true,""],[1,45688.5,false,"#REF!"],[]]},
		{"range":"'My Tab'!A2:B1000","majorDimension":"ROWS"}]}`
	var query string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		query = r.URL.RawQuery
		_, _ = io.WriteString(w, body)
	})
	c := newTestClient(t, h, Options{})
	got, err := c.Read(context.Background(), []syncd.Range{{Tab: "Shifts", EndRow: 3, EndCol: 4}, {Tab: "My Tab", StartRow: 1, EndCol: 2}})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for _, q := range []string{"valueRenderOption=UNFORMATTED_VALUE", "dateTimeRenderOption=SERIAL_NUMBER", "ranges=Shifts%21A1%3AD3", "ranges=%27My+Tab%27%21A2%3AB"} {
		if !strings.Contains(query, q) {
			t.Errorf("query %q lacks %q", query, q)
		}
	}
	want := [][][]syncd.Cell{
		{
			{syncd.StringCell("id"), syncd.StringCell("day"), syncd.BoolCell(true)},
			{syncd.NumberCell(1), syncd.NumberCell(45688.5), syncd.BoolCell(false), {Type: syncd.CellError, String: "#REF!"}},
		},
		{},
	}
	if len(got) != 2 || len(got[1]) != 0 || len(got[0]) != 2 {
		t.Fatalf("Read = %+v", got)
	}
	for i, row := range want[0] {
		if len(got[0][i]) != len(row) {
			t.Fatalf("row %d = %+v, want %+v", i, got[0][i], row)
		}
		for j := range row {
			if !got[0][i][j].Equal(row[j]) {
				t.Errorf("cell %d,%d = %+v, want %+v", i, j, got[0][i][j], row[j])
			}
		}
	}
	if st := c.Stats(); st.ReadCalls != 1 {
		t.Errorf("ReadCalls = %d", st.ReadCalls)
	}
}

func TestInfoMapsTabsAndTimeZone(t *testing.T) {
	body := `{"properties":{"title":"Payroll","timeZone":"Europe/Berlin"},"sheets":[
		{"properties":{"sheetId":0,"title":"Sheet1","index":0,"gridProperties":{"rowCount":1000,"columnCount":26}}},
		{"properties":{"sheetId":7,"title":"Shifts","index":1,"gridProperties":{"rowCount":50,"columnCount":6,"frozenRowCount":1}}}]}`
	var fields string
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields = r.URL.Query().Get("fields")
		_, _ = io.WriteString(w, body)
	})
	c := newTestClient(t, h, Options{})
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if fields != "properties.title,properties.timeZone,sheets.properties,sheets.protectedRanges(protectedRangeId,description,warningOnly,range)" {
		t.Errorf("fields mask %q", fields)
	}
	if info.Title != "Payroll" || info.TimeZone.String() != "Europe/Berlin" || len(info.Tabs) != 2 {
		t.Fatalf("Info = %+v", info)
	}
	if tab, ok := info.Tab("Shifts"); !ok || !reflect.DeepEqual(tab, syncd.TabInfo{SheetID: 7, Title: "Shifts", Index: 1, RowCount: 50, ColCount: 6, FrozenRows: 1}) {
		t.Errorf("Shifts tab = %+v", tab)
	}

	bad := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"properties":{"title":"X","timeZone":"Mars/Olympus_Mons"}}`)
	})
	info, err = newTestClient(t, bad, Options{}).Info(context.Background())
	if !errors.Is(err, ErrUnknownTimeZone) || info.TimeZone != time.UTC || info.Title != "X" {
		t.Errorf("unknown zone: info %+v, err %v; want UTC and ErrUnknownTimeZone", info, err)
	}
}

// writeKey writes a service account key file whose token_uri is tokenURL.
func writeKey(t *testing.T, typ, email, tokenURL string) string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	b, _ := json.Marshal(map[string]string{
		"type": typ, "client_email": email, "token_uri": tokenURL, "private_key_id": "k1",
		"private_key": string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
	})
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestNewWithServiceAccountSendsBearerTokens(t *testing.T) {
	var tokenRequests atomic.Int32
	tok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"access_token":"tok-123","token_type":"Bearer","expires_in":3600}`)
	}))
	defer tok.Close()
	s := &scripted{steps: []step{{code: 200, body: `{"properties":{"title":"T"}}`}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	key := writeKey(t, "service_account", "syncd@proj.iam.gserviceaccount.com", tok.URL)
	c, err := New(context.Background(), Options{SpreadsheetID: "sid", Endpoint: srv.URL, CredentialsFile: key, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.ServiceAccount() != "syncd@proj.iam.gserviceaccount.com" {
		t.Errorf("ServiceAccount() = %q", c.ServiceAccount())
	}
	for i := 0; i < 2; i++ {
		if _, err := c.Info(context.Background()); err != nil {
			t.Fatalf("Info: %v", err)
		}
	}
	if s.auth[0] != "Bearer tok-123" || s.auth[1] != "Bearer tok-123" {
		t.Errorf("Authorization headers %q", s.auth)
	}
	if n := tokenRequests.Load(); n != 1 {
		t.Errorf("%d token requests for 2 calls; the token must be reused", n)
	}
}

func TestNewWithoutCredentialsSendsNoAuthorization(t *testing.T) {
	s := &scripted{steps: []step{{code: 200, body: `{"properties":{"title":"T"}}`}}}
	c := newTestClient(t, s, Options{})
	if _, err := c.Info(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.auth[0] != "" {
		t.Errorf("Authorization %q sent to an emulator without credentials", s.auth[0])
	}
}

// TestNewRejectsBadCredentials: an unusable key file fails New at once,
// naming the file, the cause and the fix, and wraps ErrBadCredentials. A
// truncated key used to pass New and fail every token request instead,
// which was retried for ever as if the network were down.
func TestNewRejectsBadCredentials(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "x.json")
	_ = os.WriteFile(notJSON, []byte("nope"), 0o600)
	good, err := os.ReadFile(writeKey(t, "service_account", "syncd@proj.iam.gserviceaccount.com", "http://127.0.0.1:1/token"))
	if err != nil {
		t.Fatal(err)
	}
	truncated := filepath.Join(dir, "truncated.json")
	_ = os.WriteFile(truncated, good[:len(good)/2], 0o600)
	// The JSON intact, the key cut short (a bad copy-paste of the value).
	var fields map[string]string
	_ = json.Unmarshal(good, &fields)
	fields["private_key"] = fields["private_key"][:len(fields["private_key"])/2] + "\n-----END PRIVATE KEY-----\n"
	shortKey, _ := json.Marshal(fields)
	truncatedKey := filepath.Join(dir, "short-key.json")
	_ = os.WriteFile(truncatedKey, shortKey, 0o600)
	for _, tt := range []struct {
		name, file, want string
	}{
		{"missing file", filepath.Join(dir, "missing.json"), "cannot be read"},
		{"not JSON", notJSON, "is not JSON"},
		{"truncated file", truncated, "is not JSON (truncated"},
		{"truncated private key", truncatedKey, "private_key that does not parse"},
		{"user credential", writeKey(t, "authorized_user", "", "http://127.0.0.1:1/token"), "syncd needs a service account key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(context.Background(), Options{SpreadsheetID: "sid", Endpoint: "http://127.0.0.1:1", CredentialsFile: tt.file})
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), tt.file) ||
				!strings.Contains(err.Error(), "new JSON key") || !errors.Is(err, ErrBadCredentials) {
				t.Errorf("New = %v, want ErrBadCredentials naming %s, saying %q and the fix", err, tt.file, tt.want)
			}
		})
	}
	if _, err := New(context.Background(), Options{Endpoint: "http://127.0.0.1:1"}); err == nil {
		t.Error("New without a spreadsheet id succeeded")
	}
}

func TestRefusedTokenIsUnauthenticatedAndNotRetried(t *testing.T) {
	var tokenRequests atomic.Int32
	tok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tokenRequests.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = io.WriteString(w, `{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
	}))
	defer tok.Close()
	s := &scripted{steps: []step{ok200}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	key := writeKey(t, "service_account", "syncd@proj.iam.gserviceaccount.com", tok.URL)
	c, err := New(context.Background(), Options{SpreadsheetID: "sid", Endpoint: srv.URL, CredentialsFile: key, Quota: NewQuota(0, 0, nil), Clock: newFakeClock()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Info(context.Background())
	if !errors.Is(err, ErrUnauthenticated) || !strings.Contains(err.Error(), "Invalid JWT Signature") {
		t.Fatalf("Info = %v, want ErrUnauthenticated with Google's reason", err)
	}
	if s.count() != 0 || tokenRequests.Load() != 1 {
		t.Errorf("%d API requests, %d token requests; want 0 and 1", s.count(), tokenRequests.Load())
	}
}
