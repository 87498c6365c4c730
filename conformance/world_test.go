package conformance

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"google.golang.org/api/option"
	gsheets "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

func TestMain(m *testing.M) { os.Exit(testworld.Main(m)) }

// target is where a run's scenarios go: a recording proxy (url) in front
// of Google or an emulator, the spreadsheet they work in, the key they
// use, and the checker's read budget per minute.
type target struct {
	url, id, creds string
	rec            *sheetsemu.Recorder
	reads          int
}

// newTarget starts a recorder in front of upstream writing cassettes to
// dir, and serves it until the test binary ends (tests share it).
func newTarget(upstream, dir, id, creds string, reads int) (*target, error) {
	raw, err := os.ReadFile(creds)
	if err != nil {
		return nil, fmt.Errorf("conformance target: %w", err)
	}
	secrets, err := sheetsemu.CredentialSecrets(raw)
	if err != nil {
		return nil, fmt.Errorf("conformance target: %w", err)
	}
	rec, err := sheetsemu.NewRecorder(sheetsemu.RecorderOptions{Upstream: upstream, Dir: dir, Secrets: secrets})
	if err != nil {
		return nil, fmt.Errorf("conformance target: %w", err)
	}
	return &target{url: httptest.NewServer(rec).URL, id: id, creds: creds, rec: rec, reads: reads}, nil
}

// world is one scenario: a fresh database with an items table, the
// target spreadsheet through the recorder, a tab of its own and syncd's
// config for it.
type world struct {
	*testworld.World
	tab     string
	cfg     string
	raw     *gsheets.Service // a person's view: the Sheets API itself
	checker *sheets.Client
}

const itemsSchema = `CREATE TABLE public.conformance_items (id int PRIMARY KEY, name text NOT NULL, qty int, note text);
INSERT INTO public.conformance_items VALUES (1, 'bolts', 10, NULL), (2, 'nuts', 20, 'keep dry'), (3, 'washers', 30, NULL);`

// newWorld records the scenario name into the cassette name.json; its
// first interaction is a spreadsheets.get, which a replay loads as the
// spreadsheet it starts from.
func newWorld(t *testing.T, tg *target, name string) *world {
	t.Helper()
	if err := tg.rec.Start(name); err != nil {
		t.Fatal(err)
	}
	url := tg.url
	tw := testworld.New(t, testworld.Options{Schema: itemsSchema})
	// The world's own emulator stays idle: everything goes to the target.
	tw.ID, tw.Endpoint, tw.CredentialsFile = tg.id, url, tg.creds
	w := &world{World: tw, tab: "syncd conformance " + name}
	var err error
	w.raw, err = gsheets.NewService(tw.Ctx, option.WithEndpoint(url+"/"), option.WithCredentialsFile(tw.CredentialsFile))
	if err != nil {
		t.Fatal(err)
	}
	w.dropTab() // a run that died may have left it behind
	reads := tg.reads
	// The checker keeps under Google's per-minute quota on its own.
	if w.checker, err = sheets.New(tw.Ctx, sheets.Options{SpreadsheetID: tw.ID, Endpoint: url, CredentialsFile: tw.CredentialsFile,
		Quota: sheets.NewQuota(reads, reads, nil)}); err != nil {
		t.Fatal(err)
	}
	w.cfg = tw.WriteConfig("syncd", testworld.Config{Sheets: "poll_changes: 2s\nconflicts_tab: \"\"", Body: fmt.Sprintf(`reconcile:
  schedule: "@every 1h"
http:
  listen: 127.0.0.1:0
log:
  format: console
  level: warn
mirrors:
  - name: items
    table: public.conformance_items
    sheet: %q
    editable: [note]
`, w.tab)})
	if code, out := testworld.RunSyncd(t, "migrate", "-config", w.cfg); code != 0 {
		t.Fatalf("syncd migrate: %d\n%s", code, out)
	}
	t.Cleanup(w.dropTab)
	return w
}

// dropTab deletes the scenario's tab when the spreadsheet has it.
func (w *world) dropTab() {
	w.T.Helper()
	sp, err := w.raw.Spreadsheets.Get(w.ID).Context(w.Ctx).Do()
	if err != nil {
		w.T.Fatalf("spreadsheets.get: %v", err)
	}
	for _, s := range sp.Sheets {
		if s.Properties.Title != w.tab {
			continue
		}
		req := &gsheets.BatchUpdateSpreadsheetRequest{Requests: []*gsheets.Request{{DeleteSheet: &gsheets.DeleteSheetRequest{SheetId: s.Properties.SheetId}}}}
		if _, err := w.raw.Spreadsheets.BatchUpdate(w.ID, req).Context(w.Ctx).Do(); err != nil {
			w.T.Fatalf("delete tab %q: %v", w.tab, err)
		}
	}
}

// run starts `syncd run` and stops it (SIGTERM) when the test ends.
func (w *world) run() *testworld.Proc {
	w.T.Helper()
	p := testworld.StartSyncd(w.T, "syncd", "run", "-config", w.cfg)
	w.T.Cleanup(func() {
		if err := p.Stop(20 * time.Second); err != nil {
			w.T.Errorf("syncd run: %v\n%s", err, p.Log.Tail(40))
		}
	})
	return p
}

// mirror is the scenario's mirror as syncd resolves it now (after a
// schema change too).
func (w *world) mirror() syncd.Mirror {
	w.T.Helper()
	return w.Mirrors(w.cfg)[0]
}

// mirrored waits until the outbox is empty and the tab equals the table.
func (w *world) mirrored(timeout time.Duration) {
	w.T.Helper()
	testworld.Eventually(w.T, timeout, "tab equals table", func() (bool, string) {
		if n, err := w.Pending(); err != nil || n > 0 {
			return false, fmt.Sprintf("%d changes pending (%v)", n, err)
		}
		diff, err := sheettest.Diff(context.Background(), w.Pool, w.checker, w.mirror())
		if err != nil {
			return false, err.Error()
		}
		return diff == "", diff
	})
}

// cell finds the A1 address of column col in the row whose first cell is
// key, reading the tab as it is now.
func (w *world) cell(key, col string) string {
	w.T.Helper()
	vr, err := w.raw.Spreadsheets.Values.Get(w.ID, fmt.Sprintf("'%s'", w.tab)).Context(w.Ctx).Do()
	if err != nil || len(vr.Values) == 0 {
		w.T.Fatalf("read tab: %v", err)
	}
	c := -1
	for i, h := range vr.Values[0] {
		if fmt.Sprint(h) == col {
			c = i
		}
	}
	for r, row := range vr.Values {
		if c >= 0 && len(row) > 0 && fmt.Sprint(row[0]) == key {
			return fmt.Sprintf("'%s'!%c%d", w.tab, 'A'+c, r+1)
		}
	}
	w.T.Fatalf("no cell %s of row %s in %v", col, key, vr.Values)
	return ""
}
