package main

import (
	"bufio"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/sheetsemu"
)

func TestRecordFlagProxiesAndWritesScrubbedCassettes(t *testing.T) {
	upstream := httptest.NewServer(sheetsemu.New(sheetsemu.Options{}))
	t.Cleanup(upstream.Close)
	dir := t.TempDir()
	creds := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(creds, []byte(`{"private_key_id":"0123456789abcdef-not-hex-shaped","client_email":"x@y.iam.gserviceaccount.com"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := parseFlags([]string{"-addr", "127.0.0.1:0", "-record", upstream.URL, "-cassettes", dir, "-scrub-credentials", creds}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- record(ctx, f, pw); pw.Close() }()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	addr := strings.Fields(line[strings.Index(line, " on ")+4:])[0]

	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(addr), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: "0123456789abcdef-not-hex-shaped"}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("create through -record: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("record: %v", err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "recording.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "0123456789abcdef-not-hex-shaped") || strings.Contains(string(raw), sp.SpreadsheetId) ||
		!strings.Contains(string(raw), "SCRUBBED_SECRET_1") {
		t.Fatalf("cassette not scrubbed:\n%s", raw)
	}
	var out strings.Builder
	if code := run([]string{"-replay", dir}, &out, io.Discard); code != 0 {
		t.Fatalf("replay of the recording: %d\n%s", code, out.String())
	}
}

func TestFirstHourFlags(t *testing.T) {
	f, err := parseFlags([]string{"-disable-api", "drive", "-disable-api", "sheets.googleapis.com,drive", "-project-quota", "300",
		"-project-number", "42", "-refuse-account", "a@b.iam.gserviceaccount.com=account", "-refuse-account", "c@d.iam.gserviceaccount.com"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(f.disabledAPIs, ",") != "drive,sheets,drive" || f.projectQuota != 300 || f.projectNumber != "42" {
		t.Fatalf("parsed %+v", f)
	}
	refused, err := f.refused()
	if err != nil || refused["a@b.iam.gserviceaccount.com"] != sheetsemu.RefuseAccountDeleted || refused["c@d.iam.gserviceaccount.com"] != sheetsemu.RefuseKeyDeleted {
		t.Fatalf("refused = %v, %v", refused, err)
	}
	for _, bad := range [][]string{{"-disable-api", "gmail"}, {"-refuse-account", "x=maybe"}, {"-record", "http://x"}, {"-cassettes", "d"}} {
		if code := run(bad, io.Discard, io.Discard); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
