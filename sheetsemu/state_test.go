package sheetsemu

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

func TestStatePersistsAcrossRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	emu, svc, _ := newClient(t, Options{StatePath: path})
	id := newSpreadsheet(t, svc, "persisted").SpreadsheetId
	if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{"name", 1.5, "=B1*2"})}).ValueInputOption("USER_ENTERED").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	mustBatch(t, svc, id, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Second"}}})
	if err := emu.Close(); err != nil { // flush the debounced write
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("state file: %v", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".sheets-emulator-state-*"))
	if len(matches) != 0 {
		t.Fatalf("temp files left behind: %v", matches)
	}

	_, svc2, _ := newClient(t, Options{StatePath: path})
	vr, err := svc2.Spreadsheets.Values.Get(id, "A1:C1").ValueRenderOption("FORMULA").Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("restored spreadsheet: %v", err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{"name", 1.5, "=B1*2"})) {
		t.Fatalf("restored values = %v", vr.Values)
	}
	sp, err := svc2.Spreadsheets.Get(id).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(sp.Sheets) != 2 || sp.Sheets[1].Properties.Title != "Second" || sp.Properties.Title != "persisted" {
		t.Fatalf("restored spreadsheet = %+v", sp.Properties)
	}
}

func TestCorruptStateIsIgnored(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	emu := New(Options{StatePath: path})
	if ids := emu.SpreadsheetIDs(); len(ids) != 0 {
		t.Fatalf("ids = %v", ids)
	}
}
