package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/sheetsemu"
)

const passCassette = `{"version":1,"interactions":[
 {"request":{"method":"POST","uri":"https://www.googleapis.com/drive/v3/files","body":"{\"name\":\"x\"}","headers":{}},
  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{\"kind\":\"drive#file\",\"id\":\"REC\",\"name\":\"x\",\"mimeType\":\"application/vnd.google-apps.spreadsheet\"}"}}}]}`

const failCassette = `{"version":1,"interactions":[
 {"request":{"method":"GET","uri":"https://sheets.googleapis.com/v4/spreadsheets/unknown","body":null,"headers":{}},
  "response":{"status":{"code":200,"message":"OK"},"headers":{},"body":{"string":"{}"}}}]}`

func TestReplayFlagReportsPerCassetteAndExitsNonZeroOnFailure(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{"a_ok.json": passCassette, "b_bad.json": failCassette} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var out, errOut bytes.Buffer
	code := run([]string{"-replay", dir}, &out, &errOut)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if code == 0 {
		t.Fatalf("exit code 0 with a failing cassette; output:\n%s", out.String())
	}
	if len(lines) != 3 || lines[0] != "PASS a_ok" || !strings.HasPrefix(lines[1], "FAIL b_bad: ") || lines[2] != "conformance: 1/2 cassettes" {
		t.Fatalf("output:\n%s", out.String())
	}

	if err := os.Remove(filepath.Join(dir, "b_bad.json")); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if code := run([]string{"-replay", dir}, &out, &errOut); code != 0 {
		t.Fatalf("exit code %d with all cassettes passing; output:\n%s", code, out.String())
	}
}

func TestBadFlagsExitWithUsageError(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-no-such-flag"}, &out, &errOut); code != 2 {
		t.Fatalf("exit code %d, want 2", code)
	}
	if code := run([]string{"-addr", "127.0.0.1:0", "-load", filepath.Join(t.TempDir(), "missing.json")}, &out, &errOut); code != 1 {
		t.Fatalf("missing -load file: exit code %d, want 1", code)
	}
}

func TestDriveFlags(t *testing.T) {
	f, err := parseFlags([]string{"-drive-version-delay", "3s", "-drive-quota", "100"}, io.Discard)
	if err != nil || f.driveVersionDelay != 3*time.Second || f.driveQuota != 100 {
		t.Fatalf("parseFlags = %+v, %v", f, err)
	}
	if f, _ := parseFlags(nil, io.Discard); f.driveQuota != sheetsemu.DefaultDriveQuota || f.driveVersionDelay != 0 {
		t.Fatalf("defaults = %+v, want Drive's documented quota and no delay", f)
	}
}
