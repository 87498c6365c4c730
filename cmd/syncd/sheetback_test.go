package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
)

// Issue 15 end to end, with `syncd run` only (no manual reconcile; the
// cron pass is an hour away): edits, typed rows, deleted rows, a mass
// deletion, a non-editable edit and its resolution in the conflicts tab
// reach Postgres through the Drive version poll, and an idle spreadsheet
// costs no Sheets read.
func TestRunCarriesTheSheetBackThroughThePoll(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{DriveVersionDelay: 200 * time.Millisecond})
	cfg, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer(
		"  read_requests_per_minute: 60\n", "  read_requests_per_minute: 60\n  poll_changes: 300ms\n",
		"    sheet: Bonuses\n", "    sheet: Bonuses\n    sheet_inserts: true\n    sheet_deletes: true\n    max_sheet_deletes: 2\n",
	).Replace(string(cfg))
	if err := os.WriteFile(w.cfgPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	w.exec(`INSERT INTO active_bonuses (employee_id, kind, amount, valid_from) SELECT g, 'b' || g, g * 10, DATE '2025-01-01' FROM generate_series(1, 6) g`)
	w.insertShifts(1, 3, nil)
	w.startDaemon()
	w.mirrored(30*time.Second, "shifts", "bonuses")
	sheet := w.person()

	// An edit of an editable cell.
	r := w.rowOf("Shifts", 1, 0)
	w.typeInto(sheet, fmt.Sprintf("Shifts!K%d", r), "typed in the sheet")
	w.until(10*time.Second, "the comment reaches Postgres", `SELECT comment = 'typed in the sheet' FROM shifts WHERE shift_id = 1`)
	w.until(5*time.Second, "the pass is in sync_log", `SELECT count(*) > 0 FROM syncd.sync_log WHERE mirror = 'shifts' AND direction = 'sheet_to_pg' AND rows_written > 0`)

	// A typed row without a key: inserted, its identity written back.
	appendRow(t, sheet, w.id, "Bonuses", "", 3, "typed", 12.5, "2025-02-01")
	w.until(10*time.Second, "the typed bonus is inserted", `SELECT count(*) = 1 FROM active_bonuses WHERE kind = 'typed'`)
	id := w.text(`SELECT bonus_id::text FROM active_bonuses WHERE kind = 'typed'`)
	testworld.Eventually(t, 10*time.Second, "the generated key shows in the tab", func() (bool, string) {
		row := w.rowByText("Bonuses", 2, "typed")
		got := fmt.Sprint(row[0].Number)
		return got == id, "key cell " + got
	})

	// A deleted row is deleted.
	rd := w.rowOf("Bonuses", 2, 0)
	w.deleteRows(sheet, "Bonuses", rd, rd+1)
	w.until(10*time.Second, "the deleted bonus is deleted", `SELECT count(*) = 0 FROM active_bonuses WHERE bonus_id = 2`)

	// A mass deletion is held back.
	w.deleteRows(sheet, "Bonuses", 2, 5)
	w.until(10*time.Second, "the mass deletion is held back", `SELECT count(*) = 3 FROM syncd.conflicts WHERE reason = 'delete_held_back' AND resolved_at IS NULL`)
	w.until(5*time.Second, "nothing was deleted", `SELECT count(*) = 6 FROM active_bonuses`)
	w.mirrored(10*time.Second, "bonuses")

	// A non-editable edit is reverted and listed in the conflicts tab.
	w.typeInto(sheet, fmt.Sprintf("Shifts!F%d", r), "999")
	var confRow int
	testworld.Eventually(t, 10*time.Second, "the edit is listed in the conflicts tab", func() (bool, string) {
		for i, row := range w.read("syncd conflicts") {
			if len(row) > 4 && row[3].String == "total_sales" && row[4].String == "999" {
				confRow = i + 1
				return true, ""
			}
		}
		return false, "not listed"
	})
	w.mirrored(10*time.Second, "shifts")
	// Resolved from the tab: use sheet applies it.
	w.typeInto(sheet, fmt.Sprintf("'syncd conflicts'!I%d", confRow), "use sheet")
	w.until(10*time.Second, "use sheet applies the value", `SELECT total_sales = 999 FROM shifts WHERE shift_id = 1`)
	w.mirrored(10*time.Second, "shifts")

	// Idle: only Drive is asked. Measured over at least ten polls, seen
	// in the emulator's own stats page.
	w.drained(10 * time.Second)
	testworld.Eventually(t, 10*time.Second, "the conflicts tab settles", func() (bool, string) {
		n := len(w.read("syncd conflicts")) - 1
		return n == 3, fmt.Sprintf("%d rows", n) // the three held-back deletions stay open
	})
	// syncd's last writes show in Drive's version only after the delay
	// (-drive-version-delay), which costs a pass that finds nothing: wait
	// until five polls in a row read no tab.
	base := w.stats()
	testworld.Eventually(t, 30*time.Second, "the daemon settles", func() (bool, string) {
		cur := w.stats()
		if cur.Reads != base.Reads {
			base = cur
			return false, "still reading"
		}
		return cur.DriveReads-base.DriveReads >= 5, "waiting for polls"
	})
	before := w.stats()
	testworld.Eventually(t, 30*time.Second, "forty Drive polls", func() (bool, string) {
		d := w.stats().DriveReads - before.DriveReads
		return d >= 40, fmt.Sprintf("%d Drive reads", d)
	})
	after := w.stats()
	if reads := after.Reads - before.Reads; reads != 0 {
		t.Fatalf("an idle spreadsheet cost %d Sheets reads and %d writes over %d Drive polls, want 0", reads, after.Writes-before.Writes, after.DriveReads-before.DriveReads)
	}
	t.Logf("idle: %d Drive reads, 0 Sheets reads, %d writes", after.DriveReads-before.DriveReads, after.Writes-before.Writes)
}

func (w *world) text(sql string) string {
	w.t.Helper()
	var s string
	if err := w.pool.QueryRow(w.ctx, sql).Scan(&s); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// until waits for a boolean query to hold.
func (w *world) until(timeout time.Duration, what, sql string) {
	w.t.Helper()
	testworld.Eventually(w.t, timeout, what, func() (bool, string) {
		var ok bool
		if err := w.pool.QueryRow(w.ctx, sql).Scan(&ok); err != nil {
			return false, err.Error()
		}
		return ok, sql
	})
}

// person is a plain Sheets client on the emulator, acting as a person.
func (w *world) person() *sheetsapi.Service {
	w.t.Helper()
	srv, err := sheetsapi.NewService(w.ctx, option.WithEndpoint(w.srv.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		w.t.Fatal(err)
	}
	return srv
}

func (w *world) typeInto(srv *sheetsapi.Service, a1, v string) {
	w.t.Helper()
	if _, err := srv.Spreadsheets.Values.Update(w.id, a1, &sheetsapi.ValueRange{Values: [][]any{{v}}}).ValueInputOption("USER_ENTERED").Do(); err != nil {
		w.t.Fatalf("type into %s: %v", a1, err)
	}
}

func appendRow(t *testing.T, srv *sheetsapi.Service, id, tab string, cells ...any) {
	t.Helper()
	_, err := srv.Spreadsheets.Values.Append(id, tab+"!A1", &sheetsapi.ValueRange{Values: [][]any{cells}}).
		ValueInputOption("USER_ENTERED").InsertDataOption("INSERT_ROWS").Do()
	if err != nil {
		t.Fatalf("append to %s: %v", tab, err)
	}
}

func (w *world) deleteRows(srv *sheetsapi.Service, tab string, from, to int) {
	w.t.Helper()
	info, err := w.client().Info(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	ti, _ := info.Tab(tab)
	req := &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{{DeleteDimension: &sheetsapi.DeleteDimensionRequest{
		Range: &sheetsapi.DimensionRange{SheetId: ti.SheetID, Dimension: "ROWS", StartIndex: int64(from - 1), EndIndex: int64(to - 1)}}}}}
	if _, err := srv.Spreadsheets.BatchUpdate(w.id, req).Do(); err != nil {
		w.t.Fatalf("delete rows of %s: %v", tab, err)
	}
}

func (w *world) read(tab string) [][]syncd.Cell {
	w.t.Helper()
	got, err := w.client().Read(w.ctx, []syncd.Range{{Tab: tab}})
	if err != nil {
		w.t.Fatalf("read %s: %v", tab, err)
	}
	return got[0]
}

// rowOf returns the 1-based row whose cell in column col is the number n.
func (w *world) rowOf(tab string, n float64, col int) int {
	w.t.Helper()
	for i, row := range w.read(tab) {
		if i > 0 && len(row) > col && row[col].Type == syncd.CellNumber && row[col].Number == n {
			return i + 1
		}
	}
	w.t.Fatalf("%v not in column %d of %s", n, col, tab)
	return 0
}

func (w *world) rowByText(tab string, col int, text string) []syncd.Cell {
	w.t.Helper()
	for i, row := range w.read(tab) {
		if i > 0 && len(row) > col && row[col].String == text {
			return row
		}
	}
	return nil
}

// stats reads the emulator's /_emulator/stats for the world's spreadsheet.
func (w *world) stats() sheetsemu.Stats {
	w.t.Helper()
	resp, err := http.Get(w.srv.URL + "/_emulator/stats")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	var all map[string]sheetsemu.Stats
	if err := json.NewDecoder(resp.Body).Decode(&all); err != nil {
		w.t.Fatal(err)
	}
	return all[w.id]
}
