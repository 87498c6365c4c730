package gestures

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/syncd/syncd/internal/testworld"
)

// TestCopyPasteOverTwoRowsDeletesNothing (issue 19, case 3): with
// sheet_inserts and sheet_deletes, a person copies two whole rows and
// pastes them over two others. The two overwritten keys are absent from
// the tab, but absence is not intent: nothing is deleted from Postgres,
// syncd changes no row, and the tab is restored (each key once).
func TestCopyPasteOverTwoRowsDeletesNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [note]\n    sheet_inserts: true\n    sheet_deletes: true\n"))
	from, onto := w.rowOf("Staff", 2), w.rowOf("Staff", 6)
	w.must(w.person.CopyPasteRows("Staff", from, from+2, onto))
	settled := w.settle()
	w.checkModel()
	for _, a := range w.bySyncd() {
		t.Errorf("syncd changed Postgres after a copy-paste: %s", a)
	}
	if !settled {
		t.FailNow()
	}
}

// TestOvertypedKeyIsRevertedNotDeletedAndInserted (issue 19, case 4):
// with sheet_inserts and sheet_deletes, a person types 99 over the key
// cell of row 4. A changed key cell is an edit of a non-editable cell:
// no DELETE of 4 and no INSERT of 99 reach Postgres, the cell shows 4
// again, and a not_editable conflict records the typed 99.
func TestOvertypedKeyIsRevertedNotDeletedAndInserted(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [note]\n    sheet_inserts: true\n    sheet_deletes: true\n"))
	r4 := w.rowOf("Staff", 4)
	old, err := w.person.OvertypeKey("Staff", r4, colID, "99")
	w.must(err)
	if old != "4" {
		t.Fatalf("the key cell showed %q before it was overtyped, want 4", old)
	}
	ok, why := testworld.Await(settleTimeout, func() (bool, string) {
		grid, err := w.person.Look("Staff")
		if err != nil {
			return false, err.Error()
		}
		if r4 >= len(grid) || len(grid[r4]) == 0 || grid[r4][colID] != "4" {
			return false, "the overtyped key cell does not show 4 again"
		}
		if _, ok := w.conflictWith("99"); !ok {
			return false, "no conflict records the typed 99"
		}
		return true, ""
	})
	if !ok {
		t.Errorf("after the key cell was overtyped: %s; conflicts: %+v", why, w.conflicts())
	}
	settled := w.settle()
	for _, a := range w.bySyncd() {
		t.Errorf("syncd changed Postgres after a key cell was overtyped: %s", a)
	}
	w.checkModel()
	if c, found := w.conflictWith("99"); found && (c.Reason != "not_editable" || c.Column != "id") {
		t.Errorf("the typed key is recorded as %+v, want reason not_editable on column id", c)
	}
	if !settled {
		t.FailNow()
	}
}

// TestTooLongNoteIsAConflictNotCut (issue 19, case 8): a person types a
// 40-character note into the editable varchar(20) column. Postgres
// refuses it; the value is stored nowhere cut (neither in the table nor
// in the tab nor in the conflict), the conflict has reason bad_value and
// Postgres' "value too long" message, and the cell shows the database's
// note again.
func TestTooLongNoteIsAConflictNotCut(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [note]\n"))
	const long = "forty characters of a note, typed by me!"
	if utf8.RuneCountInString(long) != 40 {
		t.Fatalf("the note has %d characters", utf8.RuneCountInString(long))
	}
	w.must(w.person.Type("Staff", w.rowOf("Staff", 3), colNote, long))
	ok, why := testworld.Await(settleTimeout, func() (bool, string) {
		c, found := w.conflictWith(long[:20])
		if !found {
			return false, "no conflict records the typed note"
		}
		return c.Reason == "bad_value", "the typed note's conflict has reason " + c.Reason
	})
	if !ok {
		t.Errorf("after a 40-character note was typed: %s; conflicts: %+v", why, w.conflicts())
	}
	settled := w.settle()
	if c, found := w.conflictWith(long[:20]); found {
		if c.SheetValue != long || c.Column != "note" || !strings.Contains(c.Message, "value too long") {
			t.Errorf("the conflict is %+v, want column note, the whole typed note and Postgres' \"value too long\" message", c)
		}
	}
	w.checkModel()
	for _, a := range w.bySyncd() {
		t.Errorf("syncd changed Postgres: %s", a)
	}
	grid, err := w.person.Look("Staff")
	w.must(err)
	for r, row := range grid {
		for c, cell := range row {
			if cell == long[:20] {
				t.Errorf("the tab shows the note cut to 20 characters at row %d column %d", r, c)
			}
		}
	}
	if !settled {
		t.FailNow()
	}
}

// TestRowTypedIntoQueryTabIsRemovedWithConflict (issue 19, case 7): a
// person types a row into a query mirror's tab (a read-only report). It
// cannot go to Postgres, so syncd removes it from the tab and keeps what
// was typed in syncd.conflicts: never silently.
func TestRowTypedIntoQueryTabIsRemovedWithConflict(t *testing.T) {
	t.Parallel()
	w := newWorld(t, `  - name: report
    query: SELECT id, name, dept FROM staff
    sheet: Report
    key: [id]
    depends_on: [public.staff]
    protect: "off"
`)
	grid, err := w.person.Look("Report")
	w.must(err)
	end := len(grid)
	w.must(w.person.Type("Report", end, 0, "77"))
	w.must(w.person.Type("Report", end, 1, "Sneaky"))
	// The case: the next refresh of the report (the application
	// changes a row it reads) removes the typed row.
	w.setDept(2, "refreshed")
	ok, why := testworld.Await(settleTimeout, func() (bool, string) {
		if _, found := w.conflictWith("Sneaky"); !found {
			return false, "no conflict records the typed row"
		}
		return true, ""
	})
	if !ok {
		t.Errorf("a row typed into a query tab: %s; conflicts: %+v", why, w.conflicts())
	}
	settled := w.settle()
	if _, found := w.conflictWith("Sneaky"); !found {
		t.Errorf("the row typed into the query tab is in no conflict even after syncd's restart: %+v", w.conflicts())
	}
	w.checkModel()
	if !settled {
		t.FailNow()
	}
}

// TestTypedRowSurvivesKillsAroundItsWriteBack (issue 19, case 6): with
// sheet_inserts and a key from a sequence, a person types a row. syncd
// INSERTs it and writes the generated key back. It is killed twice: once
// after the INSERT committed and before its write-back reached the sheet
// (the write-back is never forwarded), once after the write-back was
// applied and before syncd's bookkeeping. After each restart every typed
// row is in the table exactly once, and the sequence advanced by exactly
// one per typed row.
func TestTypedRowSurvivesKillsAroundItsWriteBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [name, note]\n    sheet_inserts: true\n"))
	typed := []struct {
		name   string
		moment testworld.Moment
	}{{"Typed One", testworld.BeforeForward}, {"Typed Two", testworld.AfterApply}}
	for _, ty := range typed {
		grid, err := w.person.Look("Staff")
		w.must(err)
		inserted := func([]byte) bool { return w.count(ty.name) > 0 }
		trap := w.win.Next(ty.moment, inserted)
		w.must(w.person.Type("Staff", len(grid), colName, ty.name))
		stop := trap.Wait(t, trapTimeout)
		w.proc.Kill9()
		stop.Drop()
		w.restart()
		if ok, why := testworld.Await(settleTimeout, w.quiet); !ok {
			t.Errorf("after the kill %s of the write-back of %q the tab never equalled the table: %s\nsyncd's log:\n%s",
				ty.moment, ty.name, why, w.proc.Log.Tail(2000))
		}
		if n := w.count(ty.name); n != 1 {
			t.Errorf("after the kill %s of its write-back, the typed row %q is in the table %d times, want once", ty.moment, ty.name, n)
		}
	}
	var last int64
	var called bool
	w.must(w.Pool.QueryRow(w.Ctx, "SELECT last_value, is_called FROM staff_ids").Scan(&last, &called))
	if want := int64(seeded + len(typed)); last != want || !called {
		t.Errorf("the sequence's last_value is %d (is_called %v), want %d: one value per typed row", last, called, want)
	}
	var inserted []int64
	for _, a := range w.bySyncd() {
		if a.Op == "INSERT" {
			inserted = append(inserted, a.RowID)
		}
	}
	w.checkModel(inserted...)
}

// count is the number of table rows named name.
func (w *world) count(name string) int {
	var n int
	if err := w.Pool.QueryRow(w.Ctx, "SELECT count(*) FROM staff WHERE name = $1", name).Scan(&n); err != nil {
		return -1
	}
	return n
}

// TestSheetPassSurvivesKillsAtEachStep (issue 19): one sheet pass carries a
// typed row (INSERT), an edited note (UPDATE) and a row deleted in the tab
// (DELETE) back to Postgres, and syncd is killed with SIGKILL at each step
// of it: after the pass's Postgres commit and before its sheet write (the
// write never reaches the sheet), and after the sheet write and before
// syncd's bookkeeping. After each restart: the typed row is in the table
// once, with one sequence value; the note is what the person typed; the
// deleted row is gone; no other row changed or vanished.
func TestSheetPassSurvivesKillsAtEachStep(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [name, note]\n    sheet_inserts: true\n    sheet_deletes: true\n"))
	rounds := []struct {
		moment        testworld.Moment
		typed, note   string
		edit, deleted int64
	}{
		{testworld.BeforeForward, "Killed Before", "note before", 2, 7},
		{testworld.AfterApply, "Killed After", "note after", 3, 6},
	}
	for _, rd := range rounds {
		grid, err := w.person.Look("Staff")
		w.must(err)
		w.must(w.person.Type("Staff", len(grid), colName, rd.typed))
		w.must(w.person.Type("Staff", w.rowOf("Staff", rd.edit), colNote, rd.note))
		r := w.rowOf("Staff", rd.deleted)
		// The pass's write is the one that writes the typed row's key back.
		trap := w.win.Next(rd.moment, func([]byte) bool { return w.count(rd.typed) > 0 })
		w.must(w.person.DeleteRows("Staff", r, r+1))
		stop := trap.Wait(t, trapTimeout)
		w.proc.Kill9()
		stop.Drop()
		w.restart()
		if ok, why := testworld.Await(settleTimeout, w.quiet); !ok {
			t.Errorf("killed %s: the tab never equalled the table: %s\nsyncd's log:\n%s", rd.moment, why, w.proc.Log.Tail(2000))
		}
		if n := w.count(rd.typed); n != 1 {
			t.Errorf("killed %s: the typed row %q is in the table %d times, want once", rd.moment, rd.typed, n)
		}
		m := w.model[rd.edit]
		m.Note = rd.note
		w.model[rd.edit] = m
		delete(w.model, rd.deleted)
	}
	var last int64
	w.must(w.Pool.QueryRow(w.Ctx, "SELECT last_value FROM staff_ids").Scan(&last))
	if want := int64(seeded + len(rounds)); last != want {
		t.Errorf("the sequence's last_value is %d, want %d: one value per typed row", last, want)
	}
	var inserted []int64
	for _, a := range w.bySyncd() {
		if a.Op == "INSERT" {
			inserted = append(inserted, a.RowID)
		}
	}
	w.checkModel(inserted...)
}
