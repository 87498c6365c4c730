package syncer_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/status"
	"github.com/syncd/syncd/syncer"
)

const isolationSchema = ledgerSchema + `
CREATE TABLE dups (k text NOT NULL, note text);
CREATE TABLE gone (id int PRIMARY KEY, v text);`

const isolationMirrors = ledgerMirror + `  - name: dups
    table: public.dups
    sheet: Dups
    key: [k]
    editable: [note]
  - name: gone
    table: public.gone
    sheet: Gone
`

// lastLog returns the status and error of a mirror's newest sync_log row.
func (b *bundle) lastLog(mirror string) (status, errText string) {
	b.t.Helper()
	err := b.pool.QueryRow(b.ctx, `SELECT status, coalesce(error, '') FROM syncd.sync_log WHERE mirror = $1 ORDER BY id DESC LIMIT 1`,
		mirror).Scan(&status, &errText)
	if err != nil {
		b.t.Fatal(err)
	}
	return status, errText
}

// TestOneBrokenMirrorStopsNothingElse: a mirror whose key has a duplicate
// and a mirror whose table was dropped fail on their own; the other
// mirror's inserts still reach its tab and its sheet edits still reach
// Postgres, both failures are in sync_log and status, and the duplicate,
// once deleted, is healed by a full resync without any imported edit.
func TestOneBrokenMirrorStopsNothingElse(t *testing.T) {
	b := setup(t, isolationSchema, isolationMirrors)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm')`)
	b.exec(`INSERT INTO dups VALUES ('a', 'first'), ('b', 'b')`)
	b.exec(`INSERT INTO gone VALUES (1, 'x')`)
	b.reconcileOnce()

	b.exec(`INSERT INTO dups VALUES ('a', 'second')`)
	b.exec(`DROP TABLE gone`)
	b.exec(`INSERT INTO ledger VALUES ('c', 3, 'new row', 'm')`)
	b.typeInto(fmt.Sprintf("Ledger!C%d", b.rowOfKey("Ledger", "a")), "typed by a person", false)

	failedBefore := b.syncer.Stats().FailedBatches
	b.drain() // fails the test if Drain returns an error
	if b.syncer.Stats().FailedBatches == failedBefore {
		t.Error("syncd_batches_failed_total did not move")
	}
	parked := b.syncer.Parked()
	if !strings.Contains(parked["dups"], "not unique") || !strings.Contains(parked["gone"], "does not exist") || len(parked) != 2 {
		t.Errorf("parked mirrors %v, want dups (not unique) and gone (does not exist)", parked)
	}
	_, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{})
	if err == nil || !strings.Contains(err.Error(), "dups") || !strings.Contains(err.Error(), "gone") {
		t.Fatalf("reconcile error %v, want the failures of dups and gone", err)
	}
	b.assertMirrored("ledger")
	if got := b.queryText(`SELECT note FROM ledger WHERE id = 'a'`); got != "typed by a person" {
		t.Errorf("the edit in the healthy mirror's tab did not reach Postgres: note = %q", got)
	}
	for name, want := range map[string]string{"dups": `k "a" has more than one row`, "gone": "does not exist"} {
		if status, text := b.lastLog(name); status != "error" || !strings.Contains(text, want) {
			t.Errorf("sync_log of %s: %s %q, want error with %q", name, status, text, want)
		}
	}
	st, err := status.Read(b.ctx, b.pool, b.mirrors, time.Now(), status.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(st.Problems, "\n")
	// No daemon runs in this test, so the health is "down"; the problems
	// name both broken mirrors and not the healthy one.
	if st.Health == status.Healthy || !strings.Contains(problems, "dups:") || !strings.Contains(problems, "gone:") || strings.Contains(problems, "ledger") {
		t.Errorf("status %s, problems:\n%s", st.Health, problems)
	}
	if status, _ := b.lastLog("ledger"); status != "ok" {
		t.Errorf("ledger's last sync_log row is %s", status)
	}

	// The duplicate is deleted: the parked mirror comes back by itself,
	// showing the surviving row, and nothing is imported.
	b.exec(`DELETE FROM dups WHERE note = 'second'`)
	testworld.Eventually(t, 30*time.Second, "dups unparked", func() (bool, string) {
		if b.syncer.Parked()["dups"] == "" {
			return true, ""
		}
		if _, err := b.syncer.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		return false, fmt.Sprintf("dups still parked: %v", b.syncer.Parked())
	})
	b.assertMirrored("dups")
	b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{Mirror: "dups"}) //nolint:errcheck // checked below
	if got := b.queryText(`SELECT string_agg(k || '=' || note, ',' ORDER BY k) FROM dups`); got != "a=first,b=b" {
		t.Errorf("dups after healing: %s, want the survivor's values untouched", got)
	}
	if status, text := b.lastLog("dups"); status != "ok" {
		t.Errorf("dups still failing after the duplicate was deleted: %s", text)
	}
	b.assertMirrored("dups")
}
