package sheetsemu

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// googleBody decodes a googleapi.Error's raw body into Google's envelope
// with both the legacy errors[] and the newer details[].
type googleBody struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Errors  []struct {
			Domain, Reason, Message, ExtendedHelp string
		} `json:"errors"`
		Details []struct {
			Type     string            `json:"@type"`
			Reason   string            `json:"reason"`
			Domain   string            `json:"domain"`
			Metadata map[string]string `json:"metadata"`
		} `json:"details"`
	} `json:"error"`
}

func decodeGoogleErr(t *testing.T, err error, code int) googleBody {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) || ge.Code != code {
		t.Fatalf("error = %v, want HTTP %d", err, code)
	}
	var b googleBody
	if jerr := json.Unmarshal([]byte(ge.Body), &b); jerr != nil {
		t.Fatalf("body %q: %v", ge.Body, jerr)
	}
	return b
}

// checkServiceDisabled asserts Google's whole API-not-enabled 403 for svc.
func checkServiceDisabled(t *testing.T, err error, svc, title, project string) {
	t.Helper()
	b := decodeGoogleErr(t, err, http.StatusForbidden)
	url := "https://console.developers.google.com/apis/api/" + svc + "/overview?project=" + project
	wantMsg := title + " has not been used in project " + project + " before or it is disabled. Enable it by visiting " + url +
		" then retry. If you enabled this API recently, wait a few minutes for the action to propagate to our systems and retry."
	e := b.Error
	if e.Message != wantMsg || e.Status != "PERMISSION_DENIED" {
		t.Fatalf("message/status = %q %q, want %q PERMISSION_DENIED", e.Message, e.Status, wantMsg)
	}
	if len(e.Errors) != 1 || e.Errors[0].Reason != "accessNotConfigured" || e.Errors[0].Domain != "usageLimits" ||
		e.Errors[0].Message != wantMsg || e.Errors[0].ExtendedHelp != url {
		t.Fatalf("errors[] = %+v", e.Errors)
	}
	if len(e.Details) == 0 || e.Details[0].Type != "type.googleapis.com/google.rpc.ErrorInfo" || e.Details[0].Reason != "SERVICE_DISABLED" ||
		e.Details[0].Domain != "googleapis.com" || e.Details[0].Metadata["service"] != svc ||
		e.Details[0].Metadata["consumer"] != "projects/"+project || e.Details[0].Metadata["activationUrl"] != url {
		t.Fatalf("details[] = %+v", e.Details)
	}
}

func TestDisabledDriveAnswersServiceDisabledAndEnablesAtRunTime(t *testing.T) {
	emu, svc, ts := newClient(t, Options{DisabledAPIs: []string{"drive"}, ProjectNumber: "728466330056"})
	ctx := t.Context()
	dsvc, err := drive.NewService(ctx, option.WithEndpoint(ts.URL+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	id := newSpreadsheet(t, svc, "sheets still works").SpreadsheetId
	_, err = dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
	checkServiceDisabled(t, err, "drive.googleapis.com", "Google Drive API", "728466330056")
	_, err = dsvc.Files.Create(&drive.File{Name: "x", MimeType: "application/vnd.google-apps.spreadsheet"}).Context(ctx).Do()
	checkServiceDisabled(t, err, "drive.googleapis.com", "Google Drive API", "728466330056")
	if st := emu.Stats()[id]; st.DriveReads != 0 || st.DriveRejected != 0 {
		t.Fatalf("a refused Drive call was counted: %+v", st)
	}

	// Enabled through the admin endpoint: the next call answers.
	code, got := rawJSON(t, http.MethodPost, ts.URL+"/_emulator/apis?enable=drive", "")
	if code != 200 || len(got["disabled"].([]any)) != 0 {
		t.Fatalf("admin enable = %d %v", code, got)
	}
	f, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
	if err != nil || f.Version == 0 {
		t.Fatalf("files.get after enabling = %+v, %v", f, err)
	}
	// And off again through the method.
	if err := emu.DisableAPI("drive.googleapis.com"); err != nil {
		t.Fatal(err)
	}
	_, err = dsvc.Files.Get(id).Context(ctx).Do()
	checkServiceDisabled(t, err, "drive.googleapis.com", "Google Drive API", "728466330056")
}

func TestDisabledSheetsAnswersServiceDisabled(t *testing.T) {
	emu, svc, ts := newClient(t, Options{})
	ctx := t.Context()
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	code, got := rawJSON(t, http.MethodPost, ts.URL+"/_emulator/apis?disable=sheets,drive", "")
	if code != 200 || len(got["disabled"].([]any)) != 2 {
		t.Fatalf("admin disable = %d %v", code, got)
	}
	_, err := svc.Spreadsheets.Values.Get(id, "A1").Context(ctx).Do()
	checkServiceDisabled(t, err, "sheets.googleapis.com", "Google Sheets API", DefaultProjectNumber)
	_, err = svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{}).Context(ctx).Do()
	checkServiceDisabled(t, err, "sheets.googleapis.com", "Google Sheets API", DefaultProjectNumber)
	if err := emu.EnableAPI("sheets"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.Get(id, "A1").Context(ctx).Do(); err != nil {
		t.Fatalf("after EnableAPI: %v", err)
	}
	if got := emu.DisabledAPIs(); len(got) != 1 || got[0] != APIDrive {
		t.Fatalf("DisabledAPIs = %v", got)
	}
	if err := emu.DisableAPI("calendar"); err == nil {
		t.Fatal("an unknown API was accepted")
	}
	if code, _ := rawJSON(t, http.MethodPost, ts.URL+"/_emulator/apis?disable=gmail", ""); code != 400 {
		t.Fatalf("admin with unknown API = %d, want 400", code)
	}
}

func TestProjectQuotaIsSharedByUsersAndNamedInThe429(t *testing.T) {
	clock := &fakeClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	emu, _, ts := newClient(t, Options{ReadQuota: 3, ProjectQuota: 4, ProjectNumber: "603366585132", Now: clock.Now})
	id := emu.CreateSpreadsheet("shared")
	read := func(user string) error {
		svc, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Spreadsheets.Values.Get(id, "A1").Context(t.Context()).Do(googleapi.QuotaUser(user))
		return err
	}
	for i, u := range []string{"alice", "alice", "bob", "bob"} {
		if err := read(u); err != nil {
			t.Fatalf("read %d by %s within both quotas: %v", i, u, err)
		}
	}
	// carol has her whole per-user quota, but the project has none left.
	b := decodeGoogleErr(t, read("carol"), http.StatusTooManyRequests)
	e := b.Error
	wantMsg := "Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service 'sheets.googleapis.com' for consumer 'project_number:603366585132'."
	if e.Status != "RESOURCE_EXHAUSTED" || e.Message != wantMsg || len(e.Details) != 1 {
		t.Fatalf("project 429 = %+v", e)
	}
	md := e.Details[0].Metadata
	if e.Details[0].Reason != "RATE_LIMIT_EXCEEDED" || md["quota_limit"] != "ReadRequestsPerMinute" || md["quota_limit_value"] != "4" ||
		md["quota_metric"] != "sheets.googleapis.com/read_requests" || md["consumer"] != "projects/603366585132" {
		t.Fatalf("project 429 details = %+v", e.Details)
	}
	// A minute later both refill; alice then spends her own quota first.
	clock.Advance(time.Minute)
	emu.SetProjectQuota(100)
	for i := 0; i < 3; i++ {
		if err := read("alice"); err != nil {
			t.Fatalf("alice read %d after refill: %v", i, err)
		}
	}
	b = decodeGoogleErr(t, read("alice"), http.StatusTooManyRequests)
	if md := b.Error.Details[0].Metadata; md["quota_limit"] != "ReadRequestsPerMinutePerUser" || md["quota_limit_value"] != "3" ||
		!strings.Contains(b.Error.Message, "'Read requests per minute per user'") {
		t.Fatalf("per-user 429 = %+v", b.Error)
	}
}

func TestRefusedServiceAccountAtTheTokenEndpoint(t *testing.T) {
	emu := New(Options{})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	sa, saJSON, err := GenerateServiceAccount("syncd@proj.iam.gserviceaccount.com", ts.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	emu.AddServiceAccount(sa)
	working := authClient(t, ts, saJSON)
	sp, err := working.Spreadsheets.Create(&sheets.Spreadsheet{}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}

	emu.RefuseServiceAccount(sa.Email, RefuseKeyDeleted)
	// The client that already holds a token: 401, the token is dead.
	_, err = working.Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	apiErr(t, err, http.StatusUnauthorized, "invalid authentication credentials")
	// A fresh client: the token endpoint refuses with Google's body.
	_, err = authClient(t, ts, saJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	if err == nil || !strings.Contains(err.Error(), `"error":"invalid_grant"`) || !strings.Contains(err.Error(), `"error_description":"Invalid JWT Signature."`) {
		t.Fatalf("revoked key: %v", err)
	}

	code, got := rawJSON(t, http.MethodPost, ts.URL+"/_emulator/accounts?refuse="+sa.Email+"&why=account", "")
	if code != 200 || got["refused"].(map[string]any)[sa.Email] != string(RefuseAccountDeleted) {
		t.Fatalf("admin refuse = %d %v", code, got)
	}
	_, err = authClient(t, ts, saJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	if err == nil || !strings.Contains(err.Error(), `"error_description":"Invalid grant: account not found"`) {
		t.Fatalf("deleted account: %v", err)
	}

	if code, _ := rawJSON(t, http.MethodPost, ts.URL+"/_emulator/accounts?accept="+sa.Email, ""); code != 200 {
		t.Fatalf("admin accept = %d", code)
	}
	if _, err := authClient(t, ts, saJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do(); err != nil {
		t.Fatalf("after accept: %v", err)
	}
}
