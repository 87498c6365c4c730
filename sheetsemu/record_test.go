package sheetsemu

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/oauth2/google"
	"google.golang.org/api/drive/v3"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// TestRecordThenReplayRoundTrip records a scenario driven through the real
// Sheets and Drive clients, with an authenticating emulator as the
// upstream, checks that the planted secrets never reach the cassettes and
// replays them against fresh emulators.
func TestRecordThenReplayRoundTrip(t *testing.T) {
	ctx := t.Context()
	upstream := New(Options{ProjectNumber: "728466330056"})
	us := httptest.NewServer(upstream)
	t.Cleanup(us.Close)
	dir := t.TempDir()
	rec, err := NewRecorder(RecorderOptions{Upstream: us.URL, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(rec)
	t.Cleanup(proxy.Close)

	// The key's token_uri points through the recorder too: the exchange
	// must be forwarded but never written down.
	sa, saJSON, err := GenerateServiceAccount("syncd-bot@acme-prod.iam.gserviceaccount.com", proxy.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	upstream.AddServiceAccount(sa)
	creds, err := google.CredentialsFromJSON(context.Background(), saJSON, sheets.SpreadsheetsScope)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := creds.TokenSource.Token()
	if err != nil {
		t.Fatalf("token through the recorder: %v", err)
	}
	svc, err := sheets.NewService(ctx, option.WithEndpoint(proxy.URL+"/"), option.WithTokenSource(creds.TokenSource))
	if err != nil {
		t.Fatal(err)
	}
	dsvc, err := drive.NewService(ctx, option.WithEndpoint(proxy.URL+"/drive/v3/"), option.WithTokenSource(creds.TokenSource))
	if err != nil {
		t.Fatal(err)
	}

	if err := rec.Start("first"); err != nil {
		t.Fatal(err)
	}
	sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: "Payroll"}}).Context(ctx).Do()
	if err != nil {
		t.Fatalf("create through the recorder (caller's token forwarded): %v", err)
	}
	id := sp.SpreadsheetId
	planted := [][]any{{"owner", sa.Email}, {"key", sa.KeyID}, {"token", tok.AccessToken}}
	if _, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1:B3", &sheets.ValueRange{Values: planted}).ValueInputOption("RAW").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Spreadsheets.Values.Get(id, "Sheet1!A1:B3").Context(ctx).Do()
	if err != nil || len(got.Values) != 3 || got.Values[0][1] != sa.Email {
		t.Fatalf("read back through the recorder = %+v, %v", got, err)
	}
	if _, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Second"}}}}}).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if f, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do(); err != nil || f.Version == 0 {
		t.Fatalf("drive files.get = %+v, %v", f, err)
	}
	if err := upstream.DisableAPI(APIDrive); err != nil {
		t.Fatal(err)
	}
	_, err = dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
	checkServiceDisabled(t, err, "drive.googleapis.com", "Google Drive API", "728466330056")
	if _, err := svc.Spreadsheets.Get("1NoSuchSpreadsheetxxxxxxxxxxxxxxxxxxxxxxxxx").Context(ctx).Do(); err == nil {
		t.Fatal("a missing spreadsheet was found")
	}

	// A second cassette starts inside the existing spreadsheet.
	code, _ := rawJSON(t, http.MethodPost, proxy.URL+"/_recorder/cassette?name=second", "")
	if code != 200 {
		t.Fatalf("start cassette over HTTP = %d", code)
	}
	if _, err := svc.Spreadsheets.Get(id).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.Append(id, "Second!A1", &sheets.ValueRange{Values: [][]any{{"reached", 42}}}).ValueInputOption("USER_ENTERED").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	if v, err := svc.Spreadsheets.Values.Get(id, "Second!A1:B1").Context(ctx).Do(); err != nil || len(v.Values) != 1 {
		t.Fatalf("second read = %+v, %v", v, err)
	}

	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(files) != 2 {
		t.Fatalf("cassettes = %v, %v; want first.json and second.json", files, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(raw)
		for what, secret := range map[string]string{"access token": tok.AccessToken, "private key id": sa.KeyID,
			"e-mail": sa.Email, "spreadsheet id": id, "project number": "728466330056", "e-mail domain": "acme-prod"} {
			if strings.Contains(text, secret) {
				t.Errorf("%s: the %s %q was written", filepath.Base(f), what, secret)
			}
		}
		if !strings.Contains(text, "SCRUBBED_SPREADSHEET_ID_0001") ||
			filepath.Base(f) == "first.json" && (!strings.Contains(text, "scrubbed0001@example.com") || !strings.Contains(text, "SCRUBBED_KEY_ID_0001")) {
			t.Errorf("%s: placeholders missing:\n%s", filepath.Base(f), truncate(text, 2000))
		}
	}

	results, err := ReplayDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		if !r.Pass {
			t.Errorf("replay %s: %s", r.Name, r.Reason)
		}
	}
}

func TestRecorderRefusesBadCassetteNames(t *testing.T) {
	rec, err := NewRecorder(RecorderOptions{Upstream: "http://127.0.0.1:1", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"", "../x", "a/b", ".."} {
		if err := rec.Start(name); err == nil {
			t.Errorf("Start(%q) accepted", name)
		}
	}
	if _, err := NewRecorder(RecorderOptions{Dir: t.TempDir()}); err == nil {
		t.Error("a recorder without upstream was built")
	}
}

func TestRecorderSendsDriveCallsToDrivesHost(t *testing.T) {
	got := make(chan string, 2)
	host := func(name string) *httptest.Server {
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got <- name + " " + r.URL.Path + " " + r.Header.Get("Authorization")
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(ts.Close)
		return ts
	}
	sheetsHost, driveHost := host("sheets"), host("drive")
	rec, err := NewRecorder(RecorderOptions{Upstream: sheetsHost.URL, DriveUpstream: driveHost.URL, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	proxy := httptest.NewServer(rec)
	t.Cleanup(proxy.Close)
	for _, path := range []string{"/drive/v3/files/abc", "/v4/spreadsheets/abc"} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, proxy.URL+path, nil)
		req.Header.Set("Authorization", "Bearer ya29.caller")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if a, b := <-got, <-got; a != "drive /drive/v3/files/abc Bearer ya29.caller" || b != "sheets /v4/spreadsheets/abc Bearer ya29.caller" {
		t.Fatalf("upstreams saw %q and %q", a, b)
	}
	google, err := NewRecorder(RecorderOptions{Upstream: GoogleSheetsUpstream + "/", Dir: t.TempDir()})
	if err != nil || google.opts.DriveUpstream != GoogleDriveUpstream {
		t.Fatalf("Drive upstream beside Google's Sheets = %q, %v", google.opts.DriveUpstream, err)
	}
}
