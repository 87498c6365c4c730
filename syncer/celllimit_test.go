package syncer_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/status"
	"github.com/syncd/syncd/syncer"
)

// cells counts the grid cells of every tab of the test's spreadsheet, as
// the emulator holds them.
func (b *bundle) cells() int64 {
	b.t.Helper()
	ss, err := b.rawService().Spreadsheets.Get(b.id).Context(b.ctx).Do()
	if err != nil {
		b.t.Fatal(err)
	}
	var n int64
	for _, sh := range ss.Sheets {
		n += sh.Properties.GridProperties.RowCount * sh.Properties.GridProperties.ColumnCount
	}
	return n
}

// TestCellLimitParksOnlyTheGrowingMirror: with the limit lowered to just
// above what the spreadsheet holds, a batch in which one mirror would grow
// its tab past it leaves that mirror out (parked, its error in sync_log
// and status naming it, the spreadsheet, the cells and the limit) before
// Google refuses, and the other mirror's rows are written in the same
// batch. Once the limit allows it again the mirror comes back by itself.
func TestCellLimitParksOnlyTheGrowingMirror(t *testing.T) {
	b := setup(t, ledgerSchema+`
CREATE TABLE big (id int PRIMARY KEY, v text);`, ledgerMirror+`  - name: big
    table: public.big
    sheet: Big
`)
	b.exec(`INSERT INTO ledger VALUES ('a', 1, 'n', 'm')`)
	b.exec(`INSERT INTO big VALUES (1, 'x')`)
	b.reconcileOnce()

	limit := b.cells() + 10
	old := syncer.CellLimit
	syncer.CellLimit = limit
	t.Cleanup(func() { syncer.CellLimit = old })

	b.exec(`INSERT INTO big SELECT g, 'row ' || g FROM generate_series(2, 1500) g`)
	b.exec(`INSERT INTO ledger VALUES ('b', 2, 'fits', 'm')`)
	b.drain()

	b.assertMirrored("ledger")
	parked := b.syncer.Parked()["big"]
	if len(b.syncer.Parked()) != 1 || !strings.Contains(parked, "cell limit") {
		t.Fatalf("parked %v, want big for the cell limit", b.syncer.Parked())
	}
	if got := b.cells(); got > limit {
		t.Errorf("spreadsheet has %d cells, past the lowered limit %d: the write was not held back", got, limit)
	}
	logStatus, text := b.lastLog("big")
	for _, want := range []string{"mirror big", "spreadsheet " + b.mirrors[1].SpreadsheetID, " cells", "limit of " + strconv.FormatInt(limit, 10)} {
		if logStatus != "error" || !strings.Contains(text, want) {
			t.Errorf("sync_log of big: %s %q, want error with %q", logStatus, text, want)
		}
	}
	st, err := status.Read(b.ctx, b.pool, b.mirrors, time.Now(), status.Thresholds{})
	if err != nil {
		t.Fatal(err)
	}
	problems := strings.Join(st.Problems, "\n")
	if !strings.Contains(problems, "big:") || !strings.Contains(problems, "limit") || strings.Contains(problems, "ledger") {
		t.Errorf("status problems:\n%s\nwant big's cell limit and not ledger", problems)
	}

	// Cells freed (here: the limit back to Google's): the parked mirror's
	// retry writes it whole.
	syncer.CellLimit = old
	deadline := time.Now().Add(30 * time.Second)
	for b.syncer.Parked()["big"] != "" && time.Now().Before(deadline) {
		if _, err := b.syncer.Drain(b.ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if p := b.syncer.Parked(); len(p) != 0 {
		t.Fatalf("still parked: %v", p)
	}
	b.assertMirrored("big")
}
