package sheetsemu

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"
)

// fakeClock is a settable clock so quota tests need no sleeping.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestWriteQuotaReturnsGoogle429AndRefills(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	emu, svc, _ := newClient(t, Options{WriteQuota: 3, Now: clock.Now})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId // write 1
	write := func() error {
		_, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{1})}).ValueInputOption("RAW").Context(t.Context()).Do()
		return err
	}
	for i := 0; i < 2; i++ {
		if err := write(); err != nil {
			t.Fatalf("write %d within quota: %v", i+2, err)
		}
	}
	err := write()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != http.StatusTooManyRequests {
		t.Fatalf("4th write = %v, want 429", err)
	}
	var env struct {
		Error struct {
			Code    int
			Message string
			Status  string
			Details []struct {
				Type     string `json:"@type"`
				Reason   string
				Domain   string
				Metadata map[string]string
			}
		}
	}
	if err := json.Unmarshal([]byte(ge.Body), &env); err != nil {
		t.Fatalf("429 body %q: %v", ge.Body, err)
	}
	e := env.Error
	if e.Code != 429 || e.Status != "RESOURCE_EXHAUSTED" ||
		e.Message != "Quota exceeded for quota metric 'Write requests' and limit 'Write requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:0'." {
		t.Fatalf("429 envelope = %+v", e)
	}
	if len(e.Details) != 1 || e.Details[0].Type != "type.googleapis.com/google.rpc.ErrorInfo" || e.Details[0].Reason != "RATE_LIMIT_EXCEEDED" ||
		e.Details[0].Domain != "googleapis.com" || e.Details[0].Metadata["quota_limit"] != "WriteRequestsPerMinutePerUser" ||
		e.Details[0].Metadata["quota_limit_value"] != "3" || e.Details[0].Metadata["quota_metric"] != "sheets.googleapis.com/write_requests" {
		t.Fatalf("429 details = %+v", e.Details)
	}
	// Google sends no Retry-After with a 429 (none of 306 recorded real
	// ones has it), so neither does the emulator.
	if v := ge.Header.Get("Retry-After"); v != "" {
		t.Fatalf("429 carries Retry-After: %q", v)
	}
	// Reads have their own bucket (unlimited here).
	if _, err := svc.Spreadsheets.Values.Get(id, "A1").Context(t.Context()).Do(); err != nil {
		t.Fatalf("read while writes are exhausted: %v", err)
	}
	clock.Advance(20 * time.Second) // one token back at 3/min
	if err := write(); err != nil {
		t.Fatalf("write after refill: %v", err)
	}
	if err := write(); err == nil {
		t.Fatalf("second write after a 1-token refill should be rejected")
	}
	st := emu.Stats()[id]
	if st.Writes != 4 || st.Rejected != 2 || st.Reads != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestReadQuotaUsesReadMetric(t *testing.T) {
	clock := &fakeClock{now: time.Unix(0, 0)}
	_, svc, _ := newClient(t, Options{ReadQuota: 1, Now: clock.Now})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	_, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	ge := apiErr(t, err, 429, "Read requests per minute per user")
	if len(ge.Details) != 1 {
		t.Fatalf("details = %v", ge.Details)
	}
	md := ge.Details[0].(map[string]any)["metadata"].(map[string]any)
	if md["quota_metric"] != "sheets.googleapis.com/read_requests" || md["quota_limit"] != "ReadRequestsPerMinutePerUser" {
		t.Fatalf("metadata = %v", md)
	}
	clock.Advance(time.Minute)
	if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
		t.Fatalf("read after a minute: %v", err)
	}
}

func TestFailRateInjects503(t *testing.T) {
	emu, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	emu.SetFailRate(1)
	_, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	apiErr(t, err, 503, "The service is currently unavailable.")
	emu.SetFailRate(0)
	if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
		t.Fatalf("with fail rate 0: %v", err)
	}
	if st := emu.Stats()[id]; st.Rejected != 1 || st.Reads != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestFailRateIsProbabilistic(t *testing.T) {
	emu, svc, _ := newClient(t, Options{FailRate: 0.5, Seed: 42})
	emu.SetFailRate(0)
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	emu.SetFailRate(0.5)
	failed := 0
	for i := 0; i < 200; i++ {
		if _, err := svc.Spreadsheets.Values.Get(id, "A1").Context(t.Context()).Do(); err != nil {
			failed++
		}
	}
	if failed < 60 || failed > 140 {
		t.Fatalf("%d/200 failed at rate 0.5", failed)
	}
}

func TestLatencyDelaysRequests(t *testing.T) {
	emu, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	emu.SetLatency(30 * time.Millisecond)
	start := time.Now()
	if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("request took %v, want at least the 30ms latency", el)
	}
}

func TestStatsEndpointCountsPerSpreadsheet(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	a := newSpreadsheet(t, svc, "a").SpreadsheetId
	b := newSpreadsheet(t, svc, "b").SpreadsheetId
	for i := 0; i < 3; i++ {
		if _, err := svc.Spreadsheets.Values.Get(a, "A1").Context(t.Context()).Do(); err != nil {
			t.Fatal(err)
		}
	}
	code, body := rawJSON(t, "GET", ts.URL+"/_emulator/stats", "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	sa, sb := body[a].(map[string]any), body[b].(map[string]any)
	if sa["reads"] != 3.0 || sa["writes"] != 1.0 || sb["reads"] != 0.0 || sb["writes"] != 1.0 || sa["rejected"] != 0.0 {
		t.Fatalf("stats = %v", body)
	}
}
