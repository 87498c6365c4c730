package syncer_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/status"
	"github.com/syncd/syncd/syncer"
)

// tabByID returns the tab with a sheet id, by a fresh look.
func (b *bundle) tabByID(id int64) (syncd.TabInfo, bool) {
	b.t.Helper()
	info, err := b.sheet.Info(b.ctx)
	if err != nil {
		b.t.Fatal(err)
	}
	for _, t := range info.Tabs {
		if t.SheetID == id {
			return t, true
		}
	}
	return syncd.TabInfo{}, false
}

// assertMirroredIn checks tab == table for a mirror whose tab is titled
// title (not the configured sheet).
func (b *bundle) assertMirroredIn(name, title string) {
	b.t.Helper()
	for _, m := range b.mirrors {
		if m.Name != name {
			continue
		}
		m.Sheet = title
		diff, err := sheettest.Diff(b.ctx, b.pool, b.sheet, m)
		if err != nil {
			b.t.Fatal(err)
		}
		if diff != "" {
			b.t.Fatal(diff)
		}
		return
	}
	b.t.Fatalf("no mirror %q", name)
}

// TestPersonsTabUnderSyncdsTitleNeverRedirectsSyncd plays issue 14's
// scenario: a person renames syncd's tab "Ledger" to "Ledger backup" and
// creates a tab "Ledger" of their own. The batch read the keys from the
// person's tab (by title) and wrote by sheet id into syncd's: duplicate
// rows; then every reconcile failed renaming back ("A sheet with the name
// "Ledger" already exists"). Now every read goes by sheet id, syncd's tab
// is kept as "Ledger (syncd)" while the person's tab holds the title, and
// status says so naming both; the person's tab is never touched. Once the
// person's tab is gone, syncd's tab gets its title back.
func TestPersonsTabUnderSyncdsTitleNeverRedirectsSyncd(t *testing.T) {
	b := setup(t, ledgerSchema, ledgerMirror)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm'), ('b', 2, 'n', 'm'), ('c', 3, 'n', 'm')`)
	b.reconcileOnce()
	info, err := b.sheet.Info(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine, ok := info.Tab("Ledger")
	if !ok {
		t.Fatal("no Ledger tab")
	}
	srv := b.rawService()
	batch := func(reqs ...*sheetsapi.Request) *sheetsapi.BatchUpdateSpreadsheetResponse {
		t.Helper()
		res, err := srv.Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	batch(&sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
		Properties: &sheetsapi.SheetProperties{SheetId: mine.SheetID, Title: "Ledger backup", ForceSendFields: []string{"SheetId"}},
		Fields:     "title"}})
	res := batch(&sheetsapi.Request{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{Title: "Ledger"}}})
	theirs := res.Replies[0].AddSheet.Properties.SheetId
	// The person's tab looks like a copy: the same header, key b only, in
	// another place.
	persons := [][]any{{"id", "amount", "note", "memo"}, {"b", 20, "person's b", "x"}, {"zz", 1, "person's own row", ""}}
	if _, err := srv.Spreadsheets.Values.Update(b.id, "Ledger!A1", valueRange(persons)).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	personsTab := func() [][]syncd.Cell {
		t.Helper()
		got, err := b.sheet.Read(b.ctx, []syncd.Range{{Tab: "Ledger"}})
		if err != nil {
			t.Fatal(err)
		}
		return got[0]
	}
	before := personsTab()

	// The change stream, still believing its tab is titled "Ledger".
	b.exec(`UPDATE ledger SET amount = 10 WHERE id = 'a'`)
	b.exec(`UPDATE ledger SET memo = 'changed' WHERE id = 'b'`)
	b.exec(`INSERT INTO ledger VALUES ('d', 4, 'n', 'm')`)
	b.drain()
	if got, _ := b.tabByID(mine.SheetID); true {
		b.assertMirroredIn("ledger", got.Title)
	}

	rep, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{})
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	t.Logf("reconcile: %v", rep.Mirrors[0].Lines)
	got, ok := b.tabByID(mine.SheetID)
	if !ok || got.Title != "Ledger (syncd)" {
		t.Fatalf("syncd's tab is %+v (found %v), want it kept as \"Ledger (syncd)\"", got, ok)
	}
	b.assertMirroredIn("ledger", "Ledger (syncd)")
	if p, ok := b.tabByID(theirs); !ok || p.Title != "Ledger" {
		t.Fatalf("the person's tab is %+v (found %v)", p, ok)
	}
	if after := personsTab(); !reflect.DeepEqual(after, before) {
		t.Fatalf("the person's tab changed:\n%v\nwas\n%v", after, before)
	}
	st, err := status.Read(b.ctx, b.pool, b.mirrors, time.Now(), status.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(st.Mirrors[0].Problems, "\n")
	if !strings.Contains(problems, `"Ledger (syncd)"`) || !strings.Contains(problems, `"Ledger"`) {
		t.Errorf("status problems of ledger:\n%s\nwant both tabs named", problems)
	}
	b.settled()
	b.exec(`UPDATE ledger SET note = 'again' WHERE id = 'c'`)
	b.drain()
	b.assertMirroredIn("ledger", "Ledger (syncd)")
	if after := personsTab(); !reflect.DeepEqual(after, before) {
		t.Fatalf("a batch changed the person's tab:\n%v", after)
	}

	// The person deletes their tab: syncd's gets its title back.
	batch(&sheetsapi.Request{DeleteSheet: &sheetsapi.DeleteSheetRequest{SheetId: theirs, ForceSendFields: []string{"SheetId"}}})
	if _, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := b.tabByID(mine.SheetID); got.Title != "Ledger" {
		t.Fatalf("syncd's tab is titled %q, want Ledger back", got.Title)
	}
	b.assertMirrored("ledger")
	st, err = status.Read(b.ctx, b.pool, b.mirrors, time.Now(), status.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Mirrors[0].Problems; len(p) != 0 {
		t.Errorf("status problems after the title came back: %v", p)
	}
	b.settled()
}

// TestDeletedTabIsNotReplacedByAPersonsTab: syncd's tab is deleted and a
// person creates a tab under its title (pasting an old copy, say). Adopting
// it would read the copy's stale editable cells as edits; syncd creates its
// tab again beside it instead, and says so.
func TestDeletedTabIsNotReplacedByAPersonsTab(t *testing.T) {
	b := setup(t, ledgerSchema, ledgerMirror)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm'), ('b', 2, 'n', 'm')`)
	b.reconcileOnce()
	info, err := b.sheet.Info(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	mine, _ := info.Tab("Ledger")
	srv := b.rawService()
	if _, err := srv.Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{DeleteSheet: &sheetsapi.DeleteSheetRequest{SheetId: mine.SheetID, ForceSendFields: []string{"SheetId"}}},
		{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{Title: "Ledger"}}},
	}}).Do(); err != nil {
		t.Fatal(err)
	}
	stale := [][]any{{"id", "amount", "note", "memo"}, {"a", 1, "an old note", "m"}}
	if _, err := srv.Spreadsheets.Values.Update(b.id, "Ledger!A1", valueRange(stale)).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	b.exec(`UPDATE ledger SET amount = 5 WHERE id = 'b'`)
	b.drain()
	if _, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := b.queryText(`SELECT note FROM ledger WHERE id = 'a'`); got != "n" {
		t.Fatalf("note of a = %q: the person's copy was read as syncd's tab", got)
	}
	b.assertMirroredIn("ledger", "Ledger (syncd)")
	got, err := b.sheet.Read(b.ctx, []syncd.Range{{Tab: "Ledger"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 2 || got[0][1][2].String != "an old note" {
		t.Fatalf("the person's tab changed: %v", got[0])
	}
	b.settled()
}
