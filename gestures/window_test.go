package gestures

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/syncd/syncd/internal/testworld"
)

// TestSortInsideSyncdsWindowChangesNoRow (issue 19, case 1): twelve times
// the application updates a row and a person sorts the tab while syncd's
// batch has read the rows' positions and not yet written. syncd then
// writes where the rows were. Postgres is the truth: syncd must neither
// delete nor change any row of it (every row equals what the application
// wrote, and the audit trigger saw no statement of syncd's), and once
// quiet the tab equals the table.
func TestSortInsideSyncdsWindowChangesNoRow(t *testing.T) {
	t.Parallel()
	sorts := []struct {
		col int
		asc bool
	}{{colName, false}, {colQty, true}, {colDept, false}, {colID, false}, {colNote, true}, {colName, true}}
	gesturesInWindows(t, func(w *world, i int) error {
		s := sorts[i%len(sorts)]
		return w.person.Sort("Staff", s.col, s.asc)
	})
}

// TestMoveRowsInsideSyncdsWindowChangesNoRow is case 1 with the other way
// people reorder rows: dragging them (moveDimension). Each time the
// person drags the row syncd is about to write, and the one after it, to
// the top of the data (or the first row down, when the key is not in the
// tab just now: the previous round's repair may still be under way).
func TestMoveRowsInsideSyncdsWindowChangesNoRow(t *testing.T) {
	t.Parallel()
	gesturesInWindows(t, func(w *world, i int) error {
		r, err := w.person.FindRow("Staff", colID, strconv.FormatInt(int64(i%seeded+1), 10))
		if err != nil {
			return err
		}
		if r <= 1 {
			return w.person.MoveRows("Staff", 1, 2, 4)
		}
		return w.person.MoveRows("Staff", r, min(r+2, seeded+1), 1)
	})
}

// gesturesInWindows runs case 1 with gesture as the person's act inside
// each of twelve windows.
func gesturesInWindows(t *testing.T, gesture func(w *world, i int) error) {
	w := newWorld(t, mirrorYAML("    editable: [note]\n    sheet_inserts: true\n    sheet_deletes: true\n"))
	for i := 0; i < 12; i++ {
		dept := fmt.Sprintf("dept-round-%02d", i)
		trap := w.win.Next(testworld.BeforeForward, writing(dept))
		w.setDept(int64(i%seeded+1), dept)
		stop := trap.Wait(t, trapTimeout)
		err := gesture(w, i)
		stop.Resume()
		w.must(err)
		w.drained()
	}
	settled := w.settle()
	w.checkModel()
	for _, a := range w.bySyncd() {
		t.Errorf("syncd changed Postgres though nobody typed: %s", a)
	}
	if !settled {
		t.FailNow()
	}
}

// TestDefaultsTypingInsideSyncdsWindowLandsInNoOtherRecord (issue 19,
// case 2): a mirror with the defaults (editable columns only, no sheet
// inserts or deletes). While syncd's batch waits to write, a person
// inserts a blank row above others and types a name into it and into an
// existing row; in a second window a person sorts the tab and types a
// note. No value may land in another record: the only UPDATEs syncd makes
// are of the rows typed into, each changing exactly the typed cell to the
// typed text; the name typed into the blank row is kept as a conflict.
func TestDefaultsTypingInsideSyncdsWindowLandsInNoOtherRecord(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [name, note]\n"))
	const blankName, renamed, typedNote = "Typed Blank A", "Renamed Seven", "typed note five"
	typed := map[int64]map[string]string{7: {"name": renamed}}
	check := func() {
		t.Helper()
		w.checkTyped(typed)
		if _, ok := w.conflictWith(blankName); !ok {
			t.Errorf("the name %q typed into a blank row is neither applied (no sheet_inserts) nor in syncd.conflicts: %+v", blankName, w.conflicts())
		}
	}

	// Window 1: insert a blank row above key 3, type into it and into key 7.
	trap := w.win.Next(testworld.BeforeForward, writing("moved-one"))
	w.setDept(6, "moved-one")
	stop := trap.Wait(t, trapTimeout)
	r3 := w.rowOf("Staff", 3)
	w.must(w.person.InsertBlankRows("Staff", r3, 1))
	w.must(w.person.Type("Staff", r3, colName, blankName))
	w.must(w.person.Type("Staff", w.rowOf("Staff", 7), colName, renamed))
	stop.Resume()
	w.drained()
	if !w.settle() {
		check()
		t.FailNow()
	}

	// Window 2: sort by name, descending, and type a note into key 5.
	trap = w.win.Next(testworld.BeforeForward, writing("moved-two"))
	w.setDept(2, "moved-two")
	stop = trap.Wait(t, trapTimeout)
	w.must(w.person.Sort("Staff", colName, false))
	w.must(w.person.Type("Staff", w.rowOf("Staff", 5), colNote, typedNote))
	typed[5] = map[string]string{"note": typedNote}
	stop.Resume()
	w.drained()
	settled := w.settle()
	check()
	if !settled {
		t.FailNow()
	}
}

// checkTyped checks that every UPDATE syncd made is of a row in typed and
// changes exactly the typed cells (column → text) to what was typed, that
// each typed value is applied or in syncd.conflicts, and that every other
// row is what the application wrote.
func (w *world) checkTyped(typed map[int64]map[string]string) {
	w.t.Helper()
	for _, a := range w.bySyncd() {
		want, ok := typed[a.RowID]
		if a.Op != "UPDATE" || !ok || !sameChange(a.changed(), want) {
			w.t.Errorf("syncd wrote a value into a record nobody typed that into: %s", a)
		}
	}
	got := w.table()
	model := map[int64]staff{}
	for id, r := range w.model {
		model[id] = r
	}
	for id, cols := range typed {
		r := model[id]
		for col, v := range cols {
			applied := col == "name" && got[id].Name == v || col == "note" && got[id].Note == v
			if _, kept := w.conflictWith(v); !applied && !kept {
				w.t.Errorf("the %s %q typed into row %d is neither in Postgres (%+v) nor in syncd.conflicts", col, v, id, got[id])
			}
			if applied && col == "name" {
				r.Name = v
			}
			if applied && col == "note" {
				r.Note = v
			}
		}
		model[id] = r
	}
	saved := w.model
	w.model = model
	w.checkModel()
	w.model = saved
}

// sameChange reports whether an UPDATE's changed columns are exactly want.
func sameChange(got map[string]any, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if s, ok := got[k].(string); !ok || s != v {
			return false
		}
	}
	return true
}

// TestTypingIntoFreshBlankRowWhileSyncdWrites (issue 19, case 5): with
// sheet_inserts and sheet_deletes, a person inserts a blank row and types
// a name into it while syncd's batch waits to write at the positions it
// read. No existing record may be overwritten or deleted; the typed row
// is in the table exactly once (or kept as a conflict), and the tab
// settles equal to the table.
func TestTypingIntoFreshBlankRowWhileSyncdWrites(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [name, note]\n    sheet_inserts: true\n    sheet_deletes: true\n"))
	const newcomer = "Newcomer"
	trap := w.win.Next(testworld.BeforeForward, writing("moved-seven"))
	w.setDept(7, "moved-seven")
	stop := trap.Wait(t, trapTimeout)
	r4 := w.rowOf("Staff", 4)
	w.must(w.person.InsertBlankRows("Staff", r4, 1))
	w.must(w.person.Type("Staff", r4, colName, newcomer))
	stop.Resume()
	w.drained()

	settled := w.settle()
	var inserted []int64
	for _, a := range w.bySyncd() {
		if _, existing := w.model[a.RowID]; existing || a.Op == "DELETE" {
			t.Errorf("syncd touched an existing record: %s", a)
		}
		if a.Op == "INSERT" {
			inserted = append(inserted, a.RowID)
		}
	}
	var copies []int64
	for id, r := range w.table() {
		if r.Name == newcomer {
			copies = append(copies, id)
		}
	}
	_, kept := w.conflictWith(newcomer)
	switch {
	case len(copies) > 1:
		t.Errorf("the typed row is in the table %d times (ids %v)", len(copies), copies)
	case len(copies) == 0 && !kept:
		t.Errorf("the typed row %q is neither in the table nor in syncd.conflicts", newcomer)
	}
	w.checkModel(inserted...)
	if !settled {
		t.FailNow()
	}
}

// TestDeletedRowTheApplicationChangedIsKept (issue 19, case 9): with
// sheet_deletes, the application changes a non-editable column of a row
// and, before syncd's batch writes the change, a person deletes that row
// from the tab. The row changed in Postgres since syncd showed it, so the
// deletion is no intent syncd may act on: it stays in Postgres unchanged
// and comes back into the tab.
func TestDeletedRowTheApplicationChangedIsKept(t *testing.T) {
	t.Parallel()
	w := newWorld(t, mirrorYAML("    editable: [note]\n    sheet_deletes: true\n"))
	trap := w.win.Next(testworld.BeforeForward, writing("moved-to-hr"))
	w.setDept(5, "moved-to-hr")
	stop := trap.Wait(t, trapTimeout)
	r5 := w.rowOf("Staff", 5)
	w.must(w.person.DeleteRows("Staff", r5, r5+1))
	stop.Resume()
	w.drained()

	settled := w.settle()
	w.checkModel()
	for _, a := range w.bySyncd() {
		t.Errorf("syncd changed Postgres: %s", a)
	}
	if !settled {
		t.FailNow()
	}
}
