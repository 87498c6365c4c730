package sheetsemu

import (
	"reflect"
	"sync"
	"sync/atomic"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// The hook runs before every batchUpdate and values write, outside the
// lock: a person acting in it (here through the real client) changes the
// sheet before the write that triggered it is applied, so the write lands
// on whatever row now sits at its address.
func TestBeforeBatchUpdateLetsAPersonActInsideTheWindow(t *testing.T) {
	emu, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:A3", false, []any{"a"}, []any{"b"}, []any{"c"})
	var acted atomic.Bool
	var mu sync.Mutex
	var seen []string
	emu.SetBeforeBatchUpdate(func(sid string) {
		mu.Lock()
		seen = append(seen, sid)
		mu.Unlock()
		if !acted.CompareAndSwap(false, true) {
			return // the person's own move triggers the hook again
		}
		// She drags row 1 below row 3 while the client's write is in flight.
		if _, err := batch(t, svc, sid, moveDim(0, "ROWS", 0, 1, 3)); err != nil {
			t.Errorf("person's move: %v", err)
		}
	})
	writeRaw(t, svc, id, "A1", false, []any{"client"})
	if got := column(readAll(t, svc, id, "A1:A3")); !reflect.DeepEqual(got, []any{"client", "c", "a"}) {
		t.Fatalf("A1:A3 = %v, want the move applied before the write (client c a)", got)
	}
	mu.Lock()
	calls := len(seen)
	mu.Unlock()
	if calls != 2 || seen[0] != id || seen[1] != id {
		t.Fatalf("hook calls = %v, want the client's write and the person's move", seen)
	}
	// Reads never call it; every kind of write does.
	if _, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	readAll(t, svc, id, "A1")
	if _, err := svc.Spreadsheets.Values.BatchGet(id).Ranges("A1").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	mustBatch(t, svc, id, moveDim(0, "ROWS", 0, 1, 2))
	if _, err := svc.Spreadsheets.Values.Append(id, "A1", &sheets.ValueRange{Values: rows([]any{"x"})}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.Clear(id, "A9", &sheets.ClearValuesRequest{}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.BatchUpdate(id, &sheets.BatchUpdateValuesRequest{ValueInputOption: "RAW",
		Data: []*sheets.ValueRange{{Range: "B1", Values: rows([]any{"y"})}}}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.BatchClear(id, &sheets.BatchClearValuesRequest{Ranges: []string{"C1"}}).Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	calls = len(seen)
	mu.Unlock()
	if calls != 7 {
		t.Fatalf("hook calls = %d, want 7 (2 + five writes, no reads)", calls)
	}
	emu.SetBeforeBatchUpdate(nil)
	writeRaw(t, svc, id, "D1", false, []any{"z"})
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 7 {
		t.Fatalf("a removed hook was still called: %d calls", len(seen))
	}
}

// Options.BeforeBatchUpdate installs the same hook at New; a refused
// write still called it first.
func TestBeforeBatchUpdateOption(t *testing.T) {
	var calls atomic.Int64
	_, svc, _ := newClient(t, Options{BeforeBatchUpdate: func(string) { calls.Add(1) }})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := batch(t, svc, id, moveDim(0, "ROWS", 0, 1, 0))
	apiErr(t, err, 400, "Invalid requests[0].moveDimension")
	if n := calls.Load(); n != 1 {
		t.Fatalf("hook calls = %d, want 1", n)
	}
}
