package syncer

import (
	"reflect"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// TestPlanBatchIsAPureFunctionOfItsInputs plans a batch from hand-built
// stage inputs, with no database and no sheet: a mirror whose tab is
// missing gets it created with its rows, a mirror whose tab people renamed
// gets it renamed back and its changed row rewritten in place.
func TestPlanBatchIsAPureFunctionOfItsInputs(t *testing.T) {
	other := &mirror{&syncd.Mirror{Name: "o", Sheet: "O", Table: "public.o", Columns: testMirror.Columns, Key: []int{0}}}
	info := syncd.SpreadsheetInfo{TimeZone: time.UTC, Tabs: []syncd.TabInfo{{SheetID: 7, Title: "renamed", FrozenRows: 1}}}
	read := &batchRead{outbox: store.NewOutbox([]store.Change{{ID: 1}, {ID: 2}}, nil), mirrors: []mirrorRead{
		{m: testMirror, full: true, changes: 1, rows: []dbRow{row("1", "a")}},
		{m: other, changes: 1, keys: []string{`{"id": 2}`}, rows: []dbRow{row("2", "b")}, tab: info.Tabs[0], hasTab: true},
	}}
	tabs := []tabCells{{}, {keys: keyCol("1", "2")}}
	plan, err := planBatch(read, tabs, map[string]syncd.SpreadsheetInfo{"": info}, textCodec{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(plan.outbox.IDs(), []int64{1, 2}) || len(plan.mirrors) != 2 {
		t.Fatalf("plan = %+v", plan)
	}
	created := plan.mirrors[0]
	id := newSheetID(info, "m")
	wantCreated := []syncd.Op{
		syncd.AddTab{SheetID: id, Title: "M", Header: []string{"id", "v"}, Formats: []syncd.NumberFormat{{}, {}}},
		syncd.AppendRows{SheetID: id, Rows: [][]syncd.Cell{{syncd.StringCell("1"), syncd.StringCell("a")}}, Formats: []syncd.NumberFormat{{}, {}}, FromRow: 1},
		// A tab is born with its protected ranges (protect: warn), so the
		// first reconcile has nothing to add.
		syncd.ProtectColumns{SheetID: id, Start: 0, End: 2, Description: protectDescription(testMirror)},
	}
	if !reflect.DeepEqual(created.ops, wantCreated) || created.tab.SheetID != id || created.tab.Title != "M" {
		t.Fatalf("missing tab: ops %#v tab %+v", created.ops, created.tab)
	}
	renamed := plan.mirrors[1]
	wantRenamed := []syncd.Op{
		syncd.RenameTab{SheetID: 7, Title: "O"},
		syncd.WriteRows{SheetID: 7, Row: 2, Rows: [][]syncd.Cell{{syncd.StringCell("2"), syncd.StringCell("b")}}},
	}
	if !reflect.DeepEqual(renamed.ops, wantRenamed) || renamed.tab.Title != "O" || renamed.stats != (planStats{Written: 1}) {
		t.Fatalf("renamed tab: ops %#v tab %+v stats %+v", renamed.ops, renamed.tab, renamed.stats)
	}
}
