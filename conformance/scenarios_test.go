package conformance

import (
	"fmt"
	"testing"
	"time"

	gsheets "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testworld"
)

// scenarios are the end-to-end scenarios a conformance run records, each
// into a cassette of its name.
var scenarios = []struct {
	name string
	run  func(*testing.T, *target)
}{
	{"Mirror", scenarioMirror},
	{"Deletion", scenarioDeletion},
	{"EditBack", scenarioEditBack},
	{"Reconcile", scenarioReconcile},
	{"SchemaChange", scenarioSchemaChange},
}

// timeout bounds every wait: Google answers in hundreds of milliseconds
// and the checker keeps to its own per-minute quota.
const timeout = 2 * time.Minute

// scenarioMirror: a table appears in its tab, and later inserts and updates
// follow.
func scenarioMirror(t *testing.T, tg *target) {
	w := newWorld(t, tg, "Mirror")
	w.run()
	w.mirrored(timeout)
	pgtest.Exec(t, w.URL, `INSERT INTO public.conformance_items VALUES (4, 'rivets', 40, 'new');
		UPDATE public.conformance_items SET qty = 11 WHERE id = 1`)
	w.mirrored(timeout)
}

// scenarioDeletion: a row deleted in Postgres leaves the tab.
func scenarioDeletion(t *testing.T, tg *target) {
	w := newWorld(t, tg, "Deletion")
	w.run()
	w.mirrored(timeout)
	pgtest.Exec(t, w.URL, `DELETE FROM public.conformance_items WHERE id = 2`)
	w.mirrored(timeout)
}

// scenarioEditBack: a person types into an editable cell and the value
// reaches Postgres.
func scenarioEditBack(t *testing.T, tg *target) {
	w := newWorld(t, tg, "EditBack")
	w.run()
	w.mirrored(timeout)
	at := w.cell("3", "note")
	if _, err := w.raw.Spreadsheets.Values.Update(w.ID, at, &gsheets.ValueRange{Values: [][]any{{"typed in the sheet"}}}).
		ValueInputOption("USER_ENTERED").Context(w.Ctx).Do(); err != nil {
		t.Fatalf("type into %s: %v", at, err)
	}
	testworld.Eventually(t, timeout, "the edit in Postgres", func() (bool, string) {
		var note *string
		if err := w.Pool.QueryRow(w.Ctx, `SELECT note FROM public.conformance_items WHERE id = 3`).Scan(&note); err != nil {
			return false, err.Error()
		}
		return note != nil && *note == "typed in the sheet", fmt.Sprintf("note = %v", note)
	})
}

// scenarioReconcile: `syncd reconcile` fills the tab, and a later pass puts a
// vandalised cell back.
func scenarioReconcile(t *testing.T, tg *target) {
	w := newWorld(t, tg, "Reconcile")
	if code, out := testworld.RunSyncd(t, "reconcile", "-config", w.cfg); code != 0 {
		t.Fatalf("syncd reconcile: %d\n%s", code, out)
	}
	w.mirrored(timeout)
	at := w.cell("1", "name")
	if _, err := w.raw.Spreadsheets.Values.Update(w.ID, at, &gsheets.ValueRange{Values: [][]any{{"vandalised"}}}).
		ValueInputOption("RAW").Context(w.Ctx).Do(); err != nil {
		t.Fatalf("vandalise %s: %v", at, err)
	}
	if code, out := testworld.RunSyncd(t, "reconcile", "-config", w.cfg); code != 0 {
		t.Fatalf("second syncd reconcile: %d\n%s", code, out)
	}
	w.mirrored(timeout)
}

// scenarioSchemaChange: a column added to the table shows in the tab without
// a restart.
func scenarioSchemaChange(t *testing.T, tg *target) {
	w := newWorld(t, tg, "SchemaChange")
	w.run()
	w.mirrored(timeout)
	pgtest.Exec(t, w.URL, `ALTER TABLE public.conformance_items ADD COLUMN price numeric(8,2) DEFAULT 1.5`)
	w.mirrored(timeout)
}
