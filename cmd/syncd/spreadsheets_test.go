package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/status"
)

// spreadsheetsWorld is two spreadsheets on one emulator, each shared with
// its own service account alone (so a write through the wrong credential
// is refused), and a config whose second mirror names its spreadsheet and
// credential.
type spreadsheetsWorld struct {
	tw       *testworld.World
	idB      string
	keyB     string
	cfgPath  string
	checkers map[string]*sheets.Client // by mirror name
}

func newSpreadsheetsWorld(t *testing.T) *spreadsheetsWorld {
	t.Helper()
	return newSpreadsheetsWorldSharing(t, true)
}

// newSpreadsheetsWorldSharing is newSpreadsheetsWorld; with shareB false
// bob's spreadsheet is shared with someone else only, not with bob.
func newSpreadsheetsWorldSharing(t *testing.T, shareB bool) *spreadsheetsWorld {
	t.Helper()
	// A per-account quota: each credential has its own budget.
	tw := testworld.New(t, testworld.Options{
		Schema: `CREATE TABLE public.a (id int PRIMARY KEY, v text);
			CREATE TABLE public.b (id int PRIMARY KEY, v text);`,
		Emulator: sheetsemu.Options{WriteQuota: 120, ReadQuota: 600}, ServiceAccount: "alice@test.iam.gserviceaccount.com", Title: "alice's",
	})
	bob, key, err := sheetsemu.GenerateServiceAccount("bob@test.iam.gserviceaccount.com", tw.Endpoint+"/token")
	if err != nil {
		t.Fatal(err)
	}
	tw.Emu.AddServiceAccount(bob)
	w := &spreadsheetsWorld{tw: tw, idB: tw.Emu.CreateSpreadsheet("bob's"), keyB: filepath.Join(tw.Dir, "bob.json")}
	if err := os.WriteFile(w.keyB, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tw.Emu.Share(tw.ID, "alice@test.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	shareWith := bob.Email
	if !shareB {
		shareWith = "accountant@example.com"
	}
	if err := tw.Emu.Share(w.idB, shareWith); err != nil {
		t.Fatal(err)
	}
	w.cfgPath = tw.WriteConfig("two", testworld.Config{Body: fmt.Sprintf(`reconcile:
  schedule: "@every 1h"
http:
  listen: 127.0.0.1:0
log:
  format: console
  level: warn
mirrors:
  - name: a
    table: public.a
    sheet: A
  - name: b
    table: public.b
    sheet: B
    spreadsheet_id: %s
    credentials_file: %s
`, w.idB, w.keyB)})
	if code, out, errOut := runCmd(t, "migrate", "-config", w.cfgPath); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	w.checkers = map[string]*sheets.Client{"a": tw.Checker(), "b": w.client(t, w.idB, w.keyB)}
	return w
}

// client is a checking client on a spreadsheet, with an unlimited quota
// of its own.
func (w *spreadsheetsWorld) client(t *testing.T, id, key string) *sheets.Client {
	t.Helper()
	c, err := sheets.New(context.Background(), sheets.Options{SpreadsheetID: id, Endpoint: w.tw.Endpoint, CredentialsFile: key,
		Quota: sheets.NewQuota(1e6, 1e6, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mirrored waits until the outbox is empty and each mirror's tab, read in
// its own spreadsheet, equals its table.
func (w *spreadsheetsWorld) mirrored(t *testing.T, timeout time.Duration) {
	t.Helper()
	ms := w.tw.Mirrors(w.cfgPath)
	testworld.Eventually(t, timeout, "both tabs equal their tables", func() (bool, string) {
		if n, err := w.tw.Pending(); err != nil || n > 0 {
			return false, fmt.Sprintf("%d changes pending (%v)", n, err)
		}
		for _, m := range ms {
			diff, err := sheettest.Diff(w.tw.Ctx, w.tw.Pool, w.checkers[m.Name], m)
			if err != nil {
				return false, m.Name + ": " + err.Error()
			}
			if diff != "" {
				return false, m.Name + ": " + diff
			}
		}
		return true, ""
	})
}

// startRun runs `syncd run` in-process until the returned stop is called.
func startRun(t *testing.T, cfgPath string) (stop func() int) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	var out, errOut bytes.Buffer
	go func() { done <- NewMain(&out, &errOut).Run(ctx, []string{"run", "-config", cfgPath}) }()
	stopped := false
	stop = func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		code := <-done
		if code != 0 {
			t.Logf("syncd run output:\n%s%s", out.String(), errOut.String())
		}
		return code
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestRunMirrorsIntoTwoSpreadsheetsWithTwoCredentials: one daemon mirrors
// a mirror into the default spreadsheet as alice and another into bob's
// spreadsheet as bob (each spreadsheet shared with its account alone):
// both tabs equal their tables, each spreadsheet got only its own
// mirror's tab and writes, each mirror's sync_log counts its own
// spreadsheet's calls, and status lists both spreadsheets' cells.
func TestRunMirrorsIntoTwoSpreadsheetsWithTwoCredentials(t *testing.T) {
	w := newSpreadsheetsWorld(t)
	pgtest.Exec(t, w.tw.URL, `INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 30) g;
		INSERT INTO public.b SELECT g, 'b' || g FROM generate_series(1, 20) g`)
	stop := startRun(t, w.cfgPath)
	w.mirrored(t, 60*time.Second)
	before := w.tw.Emu.Stats()
	// The change stream: one transaction touching both tables is one
	// batch with one write per spreadsheet.
	pgtest.Exec(t, w.tw.URL, `BEGIN; UPDATE public.a SET v = 'A' || id WHERE id <= 5; INSERT INTO public.b VALUES (21, 'new'); COMMIT`)
	w.mirrored(t, 60*time.Second)
	after := w.tw.Emu.Stats()
	if after[w.tw.ID].Writes <= before[w.tw.ID].Writes || after[w.idB].Writes <= before[w.idB].Writes {
		t.Fatalf("writes per spreadsheet before %+v after %+v", before, after)
	}
	if after[w.tw.ID].Rejected != 0 || after[w.idB].Rejected != 0 {
		t.Fatalf("requests refused (a mirror written through the wrong credential?): %+v", after)
	}
	other := map[string]string{"A": "B", "B": "A"}
	for id, want := range map[string]string{w.tw.ID: "A", w.idB: "B"} {
		key := w.tw.CredentialsFile
		if id == w.idB {
			key = w.keyB
		}
		info, err := w.client(t, id, key).Info(w.tw.Ctx)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, tab := range info.Tabs {
			titles = append(titles, tab.Title)
		}
		_, own := info.Tab(want)
		_, others := info.Tab(other[want])
		if !own || others {
			t.Fatalf("spreadsheet %s has tabs %q, want %s and not %s", id, titles, want, other[want])
		}
	}
	// status lists both spreadsheets, each with its own mirror and the
	// cells of its grids against Google's limit.
	code, out, errOut := runCmd(t, "status", "-json", "-config", w.cfgPath)
	var st status.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status -json: %d %v\n%s%s", code, err, out, errOut)
	}
	want := map[string]string{w.tw.ID: "a", w.idB: "b"}
	if len(st.Spreadsheets) != 2 {
		t.Fatalf("status spreadsheets = %+v", st.Spreadsheets)
	}
	for _, sp := range st.Spreadsheets {
		if len(sp.Mirrors) != 1 || sp.Mirrors[0] != want[sp.ID] || sp.Cells == nil || *sp.Cells <= 0 || sp.Limit != 10_000_000 {
			t.Fatalf("status spreadsheet %+v (cells %v), want mirror %q and its cells", sp, sp.Cells, want[sp.ID])
		}
	}
	_, text, _ := runCmd(t, "status", "-config", w.cfgPath)
	for id, m := range want {
		if !regexp.MustCompile(regexp.QuoteMeta(id) + ` +[0-9,]+ of 10,000,000 cells .*mirrors: ` + m + `\n`).MatchString(text) {
			t.Fatalf("status does not show spreadsheet %s with its cells and mirror %s:\n%s", id, m, text)
		}
	}
	if code := stop(); code != 0 {
		t.Fatalf("syncd run exited %d", code)
	}
	// sync_log: the batch that carried both mirrors recorded each
	// spreadsheet's own calls (a key read, a write, perhaps its Info),
	// not the batch's total of at least four.
	rows, err := w.tw.Pool.Query(w.tw.Ctx, `SELECT DISTINCT ON (mirror) mirror, api_calls FROM syncd.sync_log
		WHERE kind = 'change' AND status = 'ok' ORDER BY mirror, id DESC`)
	if err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	for rows.Next() {
		var m string
		var n int
		if err := rows.Scan(&m, &n); err != nil {
			t.Fatal(err)
		}
		calls[m] = n
	}
	if rows.Err() != nil || len(calls) != 2 || calls["a"] < 1 || calls["a"] > 3 || calls["b"] < 1 || calls["b"] > 3 {
		t.Fatalf("last change batch's api_calls by mirror = %v (%v)", calls, rows.Err())
	}
}
