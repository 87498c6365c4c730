package sheetsemu

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// newClient starts an emulator behind httptest and returns it with a
// real Sheets client pointed at it.
func newClient(t *testing.T, opts Options) (*Server, *sheets.Service, *httptest.Server) {
	t.Helper()
	emu := New(opts)
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatalf("sheets.NewService: %v", err)
	}
	return emu, svc, ts
}

// newSpreadsheet creates a spreadsheet through the client.
func newSpreadsheet(t *testing.T, svc *sheets.Service, title string) *sheets.Spreadsheet {
	t.Helper()
	sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: title}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	return sp
}

// apiErr asserts err is a googleapi.Error with the given code and a
// message containing msg.
func apiErr(t *testing.T, err error, code int, msg string) *googleapi.Error {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error = %v, want *googleapi.Error %d", err, code)
	}
	if ge.Code != code || !strings.Contains(ge.Message, msg) {
		t.Fatalf("error = %d %q, want %d containing %q", ge.Code, ge.Message, code, msg)
	}
	return ge
}

// rawJSON performs a raw HTTP request and decodes the JSON answer, for
// checks the typed client hides (omitted keys, zero values).
func rawJSON(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("decode %s: %v", raw, err)
		}
	}
	return resp.StatusCode, m
}

func rows(vals ...[]any) [][]any { return vals }

func benchClient(b *testing.B, emu *Server) (*sheets.Service, *httptest.Server) {
	b.Helper()
	ts := httptest.NewServer(emu)
	svc, err := sheets.NewService(b.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		b.Fatal(err)
	}
	return svc, ts
}
