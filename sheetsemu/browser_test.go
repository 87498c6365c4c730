package sheetsemu

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// browserTools finds node, Debian's chromium and the npm packages of
// testdata/browser. A missing one fails the test (never skips): run
// scripts/ensure-tools, which installs them.
func browserTools(t *testing.T) (node, chromium, dir string) {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found: run scripts/ensure-tools (or: apt-get install nodejs npm)")
	}
	chromium = os.Getenv("CHROMIUM")
	if chromium == "" {
		for _, name := range []string{"chromium", "chromium-browser"} {
			if p, err := exec.LookPath(name); err == nil {
				chromium = p
				break
			}
		}
	}
	if chromium == "" {
		t.Fatal("chromium not found: run scripts/ensure-tools (or: apt-get install chromium)")
	}
	dir, err = filepath.Abs(filepath.Join("testdata", "browser"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "puppeteer-core", "package.json")); err != nil {
		t.Fatalf("puppeteer-core is not installed in %s: run scripts/ensure-tools (npm ci there)", dir)
	}
	return node, chromium, dir
}

// TestBrowserViewEditsThroughTheAPI: a person edits a cell, adds a row and
// deletes a row in the emulator's page, in headless Chromium, and the
// spreadsheet (read through the API) shows exactly that; a request Google
// would refuse is refused and shown.
func TestBrowserViewEditsThroughTheAPI(t *testing.T) {
	node, chromium, dir := browserTools(t)
	emu := New(Options{})
	ts := httptest.NewServer(emu)
	t.Cleanup(ts.Close)
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	id := emu.CreateSpreadsheet("Browser")
	_, err = svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{{
		UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{SheetId: 0, Title: "Shifts",
				GridProperties: &sheets.GridProperties{RowCount: 10, ColumnCount: 3, FrozenRowCount: 1}},
			Fields: "title,gridProperties(rowCount,columnCount,frozenRowCount)"},
	}}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Spreadsheets.Values.Update(id, "Shifts!A1", &sheets.ValueRange{Values: [][]any{
		{"shift_id", "employee", "comment"}, {1, "Ann", ""}, {2, "Bob", "late"}, {3, "Cy", "ok"},
	}}).ValueInputOption("RAW").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	before := emu.Stats()[id]

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "edit.mjs", ts.URL, id, "Shifts")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CHROMIUM="+chromium)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("node edit.mjs (%v):\n%s", time.Since(start).Round(time.Millisecond), out)
	if err != nil {
		t.Fatalf("browser script failed: %v", err)
	}

	// The Go client sees what the person did.
	vr, err := svc.Spreadsheets.Values.Get(id, "Shifts").ValueRenderOption("UNFORMATTED_VALUE").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, row := range vr.Values {
		var cells []string
		for _, c := range row {
			b, _ := json.Marshal(c)
			cells = append(cells, string(b))
		}
		got = append(got, strings.Join(cells, "|"))
	}
	want := []string{`"shift_id"|"employee"|"comment"`, `1|"Ann"|"=checked by Ann"`, `3|"Cy"|"ok"`, `4|"Dana"|"new row"`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("tab after the browser session:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Its calls went through the API as writes (edit, append, delete, and
	// the refused edit), under quotaUser=browser.
	if after := emu.Stats()[id]; after.Writes-before.Writes != 4 {
		t.Errorf("browser writes = %d, want 4 (stats %+v)", after.Writes-before.Writes, after)
	}
}

// TestBrowserViewShowsTheNewestRows: a tab longer than maxHTMLRows shows
// its header and its newest rows (the live ones), with their real row
// numbers, and says which rows it leaves out.
func TestBrowserViewShowsTheNewestRows(t *testing.T) {
	emu, svc, ts := newClient(t, Options{})
	id := emu.CreateSpreadsheet("Long")
	rows := [][]any{{"id", "comment"}}
	for i := 1; i < 700; i++ {
		rows = append(rows, []any{i, "row " + strconv.Itoa(i)})
	}
	if _, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1", &sheets.ValueRange{Values: rows}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	page := string(body)
	for _, want := range []string{
		`<tr data-row="0"><th>1</th>`, // the header row
		`data-raw="row 699"`,          // the newest row
		`<tr data-row="699"><th>700</th>`,
		`rows 2–201 not shown; the newest rows follow`,
		`<tr data-row="201"><th>202</th>`, // the first newest row shown
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, `data-row="200"`) || strings.Count(page, `<tr data-row=`) != maxHTMLRows {
		t.Errorf("page shows %d rows (row 201 included: %v), want %d", strings.Count(page, `<tr data-row=`), strings.Contains(page, `data-row="200"`), maxHTMLRows)
	}
}
