package sheets

import (
	"context"
	"reflect"
	"testing"

	"github.com/syncd/syncd"
)

// TestEmulatorStructureOps checks InsertRows, MoveColumn (both ways) and
// DeleteColumns against the strict emulator: cells move with their column,
// in one call.
func TestEmulatorStructureOps(t *testing.T) {
	c, _, _ := newEmulatedClient(t, "Structure")
	ctx := context.Background()
	row := textRow
	if _, err := c.Apply(ctx, []syncd.Op{syncd.AddTab{SheetID: 7, Title: "T", Header: []string{"a", "b", "c", "d", "e"}},
		syncd.AppendRows{SheetID: 7, Rows: [][]syncd.Cell{row("1", "2", "3", "4", "5")}}}); err != nil {
		t.Fatal(err)
	}
	calls, err := c.Apply(ctx, []syncd.Op{
		syncd.MoveColumn{SheetID: 7, From: 3, To: 1},      // a d b c e
		syncd.MoveColumn{SheetID: 7, From: 0, To: 2},      // d b a c e
		syncd.DeleteColumns{SheetID: 7, Start: 4, End: 5}, // d b a c
		syncd.InsertRows{SheetID: 7, At: 0, Count: 1},
	})
	if err != nil || calls != 1 {
		t.Fatalf("%d calls, %v", calls, err)
	}
	got, err := c.Read(ctx, []syncd.Range{{Tab: "T"}})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]syncd.Cell{nil, row("d", "b", "a", "c"), row("4", "2", "1", "3")}
	if len(got[0]) != 3 || len(got[0][0]) != 0 || !reflect.DeepEqual(got[0][1:], want[1:]) {
		t.Fatalf("tab = %v, want %v", got[0], want)
	}
}
