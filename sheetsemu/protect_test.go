package sheetsemu

import (
	"testing"

	"google.golang.org/api/sheets/v4"
)

// A warning-only protected range answers like Google's: warningOnly kept,
// editors ignored (none in the reply or a get); made strict again, it gets
// the document's editors.
func TestWarningOnlyProtectedRange(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	res := mustBatch(t, svc, id, &sheets.Request{AddProtectedRange: &sheets.AddProtectedRangeRequest{ProtectedRange: &sheets.ProtectedRange{
		Range: &sheets.GridRange{StartColumnIndex: 1, EndColumnIndex: 3}, Description: "syncd", WarningOnly: true,
		Editors: &sheets.Editors{Users: []string{"someone@example.com"}}}}})
	reply := res.Replies[0].AddProtectedRange.ProtectedRange
	if !reply.WarningOnly || reply.Editors != nil || reply.ProtectedRangeId == 0 {
		t.Fatalf("reply = %+v", reply)
	}
	get := func() *sheets.ProtectedRange {
		t.Helper()
		got, err := svc.Spreadsheets.Get(id).Fields("sheets.protectedRanges").Context(t.Context()).Do()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Sheets) != 1 || len(got.Sheets[0].ProtectedRanges) != 1 {
			t.Fatalf("get = %+v", got.Sheets)
		}
		return got.Sheets[0].ProtectedRanges[0]
	}
	p := get()
	if !p.WarningOnly || p.Editors != nil || p.Description != "syncd" || p.Range.StartColumnIndex != 1 || p.Range.EndColumnIndex != 3 || p.Range.EndRowIndex != 0 {
		t.Fatalf("get = %+v range %+v", p, p.Range)
	}
	mustBatch(t, svc, id, &sheets.Request{UpdateProtectedRange: &sheets.UpdateProtectedRangeRequest{
		ProtectedRange: &sheets.ProtectedRange{ProtectedRangeId: p.ProtectedRangeId, WarningOnly: false, ForceSendFields: []string{"WarningOnly"}},
		Fields:         "warningOnly"}})
	if p := get(); p.WarningOnly || p.Editors == nil {
		t.Fatalf("made strict: %+v", p)
	}
}
