//go:build demo

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// TestDemoShowsMirroredShiftsWithin30s starts `syncd demo` as a new user
// would (no config, nothing prepared) and checks that its sheet view shows
// the mirrored shifts within 30 seconds, and that Ctrl-C stops it cleanly.
func TestDemoShowsMirroredShiftsWithin30s(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	start := time.Now()
	go func() {
		done <- NewMain(&out, &errOut).Run(ctx, []string{"demo", "-addr", "127.0.0.1:0", "-every", "1s"})
	}()
	urlRe := regexp.MustCompile(`Watch the sheet:\s+(http://\S+/)`)
	shiftRow := regexp.MustCompile(`<td[^>]*>1299</td>`) // the last seeded shift
	var page string
	testworld.Eventually(t, 30*time.Second, "the demo page shows the shifts", func() (bool, string) {
		m := urlRe.FindStringSubmatch(out.String())
		if m == nil {
			return false, "no URL printed yet:\n" + out.String() + errOut.String()
		}
		resp, err := http.Get(m[1])
		if err != nil {
			return false, err.Error()
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		page = string(body)
		return strings.Contains(page, "Shifts") && strings.Contains(page, "shift_date") && shiftRow.MatchString(page), "page has no shifts yet"
	})
	t.Logf("shifts visible after %s", time.Since(start).Round(100*time.Millisecond))
	banner := out.String()
	checkDemoFirstTab(t, banner)
	// The commands it prints run as printed, from a shell with a clean
	// PATH (the demo binary is not on it), and succeed.
	for _, label := range []string{"Operator view:", "Change a row:"} {
		m := regexp.MustCompile(`(?m)^\s*` + regexp.QuoteMeta(label) + `\s+(.+)$`).FindStringSubmatch(banner)
		if m == nil {
			t.Fatalf("the demo prints no %q line:\n%s", label, banner)
		}
		cmd := exec.Command("/bin/sh", "-c", m[1])
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir()}
		got, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s %s\nfailed: %v\n%s", label, m[1], err, got)
		} else if label == "Change a row:" && !strings.Contains(string(got), "UPDATE 1") {
			t.Errorf("%s %s\nchanged no row: %s", label, m[1], got)
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("demo exited %d after Ctrl-C\n%s", code, errOut.String())
	}
}

// checkDemoFirstTab: the demo spreadsheet's first tab is the mirrored
// Shifts, and there is no empty Sheet1.
func checkDemoFirstTab(t *testing.T, banner string) {
	t.Helper()
	emu := regexp.MustCompile(`Watch the sheet:\s+(http://\S+)/`).FindStringSubmatch(banner)
	cfg := regexp.MustCompile(`(?m)^\s*Config:\s+(\S+)$`).FindStringSubmatch(banner)
	if emu == nil || cfg == nil {
		t.Fatalf("no emulator URL or config path in:\n%s", banner)
	}
	src, err := os.ReadFile(cfg[1])
	if err != nil {
		t.Fatal(err)
	}
	id := regexp.MustCompile(`spreadsheet_id:\s*(\S+)`).FindStringSubmatch(string(src))
	if id == nil {
		t.Fatalf("no spreadsheet_id in %s", cfg[1])
	}
	resp, err := http.Get(emu[1] + "/v4/spreadsheets/" + id[1] + "?fields=sheets.properties")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Sheets []struct {
			Properties struct{ Title string } `json:"properties"`
		} `json:"sheets"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	var titles []string
	for _, s := range doc.Sheets {
		titles = append(titles, s.Properties.Title)
	}
	if len(titles) == 0 || titles[0] != demoFirstTab || slices.Contains(titles, "Sheet1") {
		t.Fatalf("demo tabs %v: want %s first and no Sheet1", titles, demoFirstTab)
	}
}
