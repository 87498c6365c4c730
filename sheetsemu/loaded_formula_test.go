package sheetsemu

import (
	"fmt"
	"strings"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// TestLoadedFormulaKeepsGooglesValueUntilRewritten: a loaded spreadsheet's
// formula cells answer with the value Google calculated (the emulator's
// formula engine is a subset), until the cell gets another formula.
func TestLoadedFormulaKeepsGooglesValueUntilRewritten(t *testing.T) {
	srv, svc, _ := newClient(t, Options{})
	id, err := srv.Load(strings.NewReader(`{"properties":{"title":"legacy","locale":"ru_RU"},"sheets":[{"properties":{"sheetId":0,"title":"S"},
		"data":[{"rowData":[{"values":[
			{"userEnteredValue":{"stringValue":"2 681,14"}},
			{"userEnteredValue":{"formulaValue":"=A1*2"},"effectiveValue":{"numberValue":5362.28}}]}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		t.Helper()
		v, err := svc.Spreadsheets.Values.Get(id, "S!B1").ValueRenderOption("UNFORMATTED_VALUE").Do()
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(v.Values)
	}
	if got := get(); got != "[[5362.28]]" {
		t.Fatalf("loaded formula reads %s, want Google's value [[5362.28]]", got)
	}
	if _, err := svc.Spreadsheets.Values.Update(id, "S!B1", &sheets.ValueRange{Values: [][]any{{"=1+1"}}}).ValueInputOption("USER_ENTERED").Do(); err != nil {
		t.Fatal(err)
	}
	if got := get(); got != "[[2]]" {
		t.Fatalf("rewritten formula reads %s, want it calculated: [[2]]", got)
	}
}
