package syncer_test

import (
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/status"
)

// A held-back mass deletion is a status problem naming the mirror, how
// many rows and why, from the database alone, for as long as its
// conflicts are open (later passes that hold nothing back do not hide it).
func TestStatusShowsHeldBackDeletion(t *testing.T) {
	b := setup(t, notesSchema, notesMirror)
	b.polling()
	b.exec(`INSERT INTO notes (title) SELECT 'n' || g FROM generate_series(1, 6) g`)
	b.reconcileOnce()
	b.poll()
	problems := func() []string {
		t.Helper()
		st, err := status.Read(b.ctx, b.pool, b.mirrors, time.Now(), status.Thresholds{})
		if err != nil {
			t.Fatal(err)
		}
		return st.Problems
	}
	heldBack := func(ps []string) string {
		for _, p := range ps {
			if strings.Contains(p, "held back") {
				return p
			}
		}
		return ""
	}
	if p := heldBack(problems()); p != "" {
		t.Fatalf("problem before any deletion: %s", p)
	}
	b.deleteRows("Notes", 2, 5)
	if !b.poll() {
		t.Fatal("no pass after a mass deletion")
	}
	b.poll() // a pass that holds nothing back
	b.reconcileOnce()
	p := heldBack(problems())
	for _, want := range []string{"notes: ", "3 rows", `tab "Notes"`, "more than max_sheet_deletes (2)", "3 delete_held_back conflicts"} {
		if !strings.Contains(p, want) {
			t.Fatalf("held-back problem %q lacks %q (problems: %q)", p, want, problems())
		}
	}
	t.Log(p)
	b.exec(`UPDATE syncd.conflicts SET resolved_at = now() WHERE reason = 'delete_held_back'`)
	if p := heldBack(problems()); p != "" {
		t.Fatalf("problem after the conflicts were resolved: %s", p)
	}
}
