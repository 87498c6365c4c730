package syncer

import (
	"reflect"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// TestKeyCacheReplaysTheBatchsOps: writes keep positions, deletes shift
// the rows below up, appended keys are kept apart (their rows are not
// known), and the cells served are what indexKeys reads as the tab.
func TestKeyCacheReplaysTheBatchsOps(t *testing.T) {
	tc := newTabCache(testMirror, tabCells{head: strRow("id", "v"), keys: keyCol("1", "2", "", "3", "4")})
	ops := []syncd.Op{
		syncd.WriteRows{SheetID: 1, Row: 2, Rows: [][]syncd.Cell{strRow("2", "x")}},
		syncd.DeleteRows{SheetID: 1, Start: 4, End: 5},
		syncd.GrowGrid{SheetID: 1, Rows: 1},
		syncd.AppendRows{SheetID: 1, Rows: [][]syncd.Cell{strRow("9", "z")}},
	}
	if !tc.apply(testMirror, ops, textCodec{}, time.UTC) {
		t.Fatal("the ops were not replayed")
	}
	got := testMirror.indexKeys(tc.cells(testMirror).keys, textCodec{}, time.UTC)
	want := testMirror.indexKeys(keyCol("1", "2", "", "4"), textCodec{}, time.UTC)
	if !reflect.DeepEqual(got.rows, want.rows) || !reflect.DeepEqual(got.unkeyed, want.unkeyed) || got.last != want.last {
		t.Fatalf("served %+v, want %+v", got, want)
	}
	if !tc.tail[k("9")] || len(tc.tail) != 1 {
		t.Fatalf("tail %v, want the appended key alone", tc.tail)
	}
	if h := tc.cells(testMirror).head; !reflect.DeepEqual(h, strRow("id", "v")) {
		t.Fatalf("head %v", h)
	}
	// The next batch is served from it: its entry keeps the unplaced key.
	next := newTabCache(testMirror, tc.cells(testMirror))
	if !next.tail[k("9")] {
		t.Fatalf("the entry built from served cells lost the appended key: tail %v", next.tail)
	}
}

// TestKeyCacheDropsWhatItCannotReplay: any op or cell it cannot be sure
// of makes the tab's entry unusable.
func TestKeyCacheDropsWhatItCannotReplay(t *testing.T) {
	for name, op := range map[string]syncd.Op{
		"a header write":           syncd.WriteRows{Row: 0, Rows: [][]syncd.Cell{strRow("id", "v")}},
		"a write below the rows":   syncd.WriteRows{Row: 4, Rows: [][]syncd.Cell{strRow("5", "v")}},
		"a delete below the rows":  syncd.DeleteRows{Start: 3, End: 5},
		"a sort":                   syncd.SortRows{Columns: []int{1}},
		"an inserted row":          syncd.InsertRows{At: 1, Count: 1},
		"a header format":          syncd.FormatColumns{Header: []string{"id", "v"}},
		"an error text":            syncd.WriteRows{Row: 1, Rows: [][]syncd.Cell{strRow("#REF!", "v")}},
		"a quote-prefixed key":     syncd.WriteRows{Row: 1, Rows: [][]syncd.Cell{strRow("'1", "v")}},
		"an error cell":            syncd.WriteRows{Row: 1, Rows: [][]syncd.Cell{{{Type: syncd.CellError, String: "#N/A"}}}},
		"an append without a key":  syncd.AppendRows{Rows: [][]syncd.Cell{strRow("", "v")}},
		"a column inserted":        syncd.InsertColumns{At: 1, Count: 1},
		"a tab added in the batch": syncd.AddTab{SheetID: 1, Title: "M"},
	} {
		tc := newTabCache(testMirror, tabCells{head: strRow("id", "v"), keys: keyCol("1", "2", "3")})
		if tc.apply(testMirror, []syncd.Op{op}, textCodec{}, time.UTC) {
			t.Errorf("%s: replayed, want the entry dropped", name)
		}
	}
}
