package sheetsemu

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/oauth2/google"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// authClient builds a Sheets client that authenticates with a
// service-account JSON through golang.org/x/oauth2/google.
func authClient(t *testing.T, ts *httptest.Server, saJSON []byte) *sheets.Service {
	t.Helper()
	creds, err := google.CredentialsFromJSON(context.Background(), saJSON, sheets.SpreadsheetsScope)
	if err != nil {
		t.Fatalf("CredentialsFromJSON: %v", err)
	}
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithTokenSource(creds.TokenSource))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestServiceAccountAuthentication(t *testing.T) {
	emu := New(Options{})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	alice, aliceJSON, err := GenerateServiceAccount("alice@test.iam.gserviceaccount.com", ts.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	bob, bobJSON, err := GenerateServiceAccount("bob@test.iam.gserviceaccount.com", ts.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	emu.AddServiceAccount(alice)
	emu.AddServiceAccount(bob)

	svcA := authClient(t, ts, aliceJSON)
	sp, err := svcA.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: "private"}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("alice create: %v", err)
	}
	if _, err := svcA.Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do(); err != nil {
		t.Fatalf("alice get: %v", err)
	}

	// Bob has a valid token but the spreadsheet is not shared with him.
	_, err = authClient(t, ts, bobJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	ge := apiErr(t, err, 403, "The caller does not have permission")
	if !strings.Contains(ge.Body, `"PERMISSION_DENIED"`) {
		t.Fatalf("403 body = %s", ge.Body)
	}
	if err := emu.Share(sp.SpreadsheetId, bob.Email); err != nil {
		t.Fatal(err)
	}
	if _, err := authClient(t, ts, bobJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do(); err != nil {
		t.Fatalf("bob after share: %v", err)
	}

	// No credentials at all: 401.
	anon, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	_, err = anon.Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	ge = apiErr(t, err, 401, "invalid authentication credentials")
	if !strings.Contains(ge.Body, `"UNAUTHENTICATED"`) {
		t.Fatalf("401 body = %s", ge.Body)
	}

	// A key the emulator does not know for alice's e-mail: the token
	// exchange is refused.
	_, forgedJSON, err := GenerateServiceAccount(alice.Email, ts.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	_, err = authClient(t, ts, forgedJSON).Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") {
		t.Fatalf("forged key: err = %v, want invalid_grant", err)
	}
}

func TestParseServiceAccountJSONRoundTrip(t *testing.T) {
	sa, raw, err := GenerateServiceAccount("x@y.iam.gserviceaccount.com", "http://127.0.0.1/token")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseServiceAccountJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Email != sa.Email || !got.PublicKey.Equal(sa.PublicKey) || got.KeyID != sa.KeyID {
		t.Fatalf("parsed %+v, want %+v", got, sa)
	}
	if _, err := ParseServiceAccountJSON([]byte(`{"client_email":"x"}`)); err == nil {
		t.Fatalf("a file without a key must be rejected")
	}
}
