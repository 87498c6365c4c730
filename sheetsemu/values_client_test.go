package sheetsemu

import (
	"reflect"
	"strings"
	"testing"

	"google.golang.org/api/sheets/v4"
)

func TestClientCreateGetDefaults(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	sp := newSpreadsheet(t, svc, "Shifts mirror")
	got, err := svc.Spreadsheets.Get(sp.SpreadsheetId).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	p := got.Properties
	if p.Title != "Shifts mirror" || p.TimeZone != "Etc/GMT" || p.Locale != "en_US" {
		t.Fatalf("properties = %+v", p)
	}
	if len(got.Sheets) != 1 || got.Sheets[0].Properties.Title != "Sheet1" ||
		got.Sheets[0].Properties.GridProperties.RowCount != 1000 || got.Sheets[0].Properties.GridProperties.ColumnCount != 26 {
		t.Fatalf("sheets = %+v", got.Sheets[0].Properties)
	}
}

func TestValuesRawKeepsFormulaTextUserEnteredEvaluates(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	_, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1:B1", &sheets.ValueRange{Values: rows([]any{"=1+2", 5})}).
		ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Spreadsheets.Values.Update(id, "Sheet1!A2:E2", &sheets.ValueRange{Values: rows([]any{"=B1*2+1", "2020-01-31", "12.5%", "$1,234.50", "'=not a formula"})}).
		ValueInputOption("USER_ENTERED").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1!A1:E2").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	want := rows([]any{"=1+2", "5"}, []any{"11", "2020-01-31", "12.50%", "$1,234.50", "=not a formula"})
	if !reflect.DeepEqual(vr.Values, want) {
		t.Fatalf("FORMATTED_VALUE = %v, want %v", vr.Values, want)
	}
	vr, err = svc.Spreadsheets.Values.Get(id, "Sheet1!A2:D2").ValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	want = rows([]any{11.0, 43861.0, 0.125, 1234.5})
	if !reflect.DeepEqual(vr.Values, want) {
		t.Fatalf("UNFORMATTED_VALUE = %v, want %v", vr.Values, want)
	}
	vr, err = svc.Spreadsheets.Values.Get(id, "Sheet1!A2:B2").ValueRenderOption("FORMULA").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{"=B1*2+1", 43861.0})) {
		t.Fatalf("FORMULA = %v", vr.Values)
	}
	vr, err = svc.Spreadsheets.Values.Get(id, "Sheet1!B2").ValueRenderOption("UNFORMATTED_VALUE").DateTimeRenderOption("FORMATTED_STRING").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{"2020-01-31"})) {
		t.Fatalf("FORMATTED_STRING = %v", vr.Values)
	}
}

func TestValuesReadTrimsAndEchoesClampedRange(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	_, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{"a", "", "c", ""}, []any{}, []any{"x"})}).
		ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1!A:D").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if vr.Range != "Sheet1!A1:D1000" || !reflect.DeepEqual(vr.Values, rows([]any{"a", "", "c"}, []any{}, []any{"x"})) {
		t.Fatalf("got %q %v", vr.Range, vr.Values)
	}
	vr, err = svc.Spreadsheets.Values.Get(id, "Sheet1!A:A").MajorDimension("COLUMNS").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{"a", "", "x"})) {
		t.Fatalf("COLUMNS = %v", vr.Values)
	}
	code, body := rawJSON(t, "GET", ts.URL+"/v4/spreadsheets/"+id+"/values/Sheet1%21F5%3AG6", "")
	if code != 200 || body["range"] != "Sheet1!F5:G6" || body["majorDimension"] != "ROWS" {
		t.Fatalf("empty read = %d %v", code, body)
	}
	if _, ok := body["values"]; ok {
		t.Fatalf("empty read has a values key: %v", body)
	}
}

func TestValuesQuotedTitlesEchoGoogleStyle(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Jon's Data"}}},
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "x:clear"}}},
	}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.Spreadsheets.Values.Update(id, "'Jon''s Data'!A1", &sheets.ValueRange{Values: rows([]any{1})}).ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if res.UpdatedRange != "'Jon''s Data'!A1" {
		t.Fatalf("updatedRange = %q", res.UpdatedRange)
	}
	// A title containing ":clear" must not be mistaken for the verb.
	app, err := svc.Spreadsheets.Values.Append(id, "'x:clear'!A1", &sheets.ValueRange{Values: rows([]any{"v"})}).ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if app.Updates.UpdatedRange != "'x:clear'!A1" {
		t.Fatalf("append updatedRange = %q", app.Updates.UpdatedRange)
	}
	cl, err := svc.Spreadsheets.Values.Clear(id, "'Jon''s Data'", &sheets.ClearValuesRequest{}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if cl.ClearedRange != "'Jon''s Data'!A1:Z1000" {
		t.Fatalf("clearedRange = %q", cl.ClearedRange)
	}
}

func TestValuesBatchGetAndBatchClear(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{1, 2, 3}, []any{4, 5, 6})}).ValueInputOption("RAW").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	bg, err := svc.Spreadsheets.Values.BatchGet(id).Ranges("A1:B1", "C2").ValueRenderOption("UNFORMATTED_VALUE").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(bg.ValueRanges) != 2 || !reflect.DeepEqual(bg.ValueRanges[1].Values, rows([]any{6.0})) || bg.ValueRanges[0].Range != "Sheet1!A1:B1" {
		t.Fatalf("batchGet = %+v", bg.ValueRanges)
	}
	bc, err := svc.Spreadsheets.Values.BatchClear(id, &sheets.BatchClearValuesRequest{Ranges: []string{"A1", "B2:C2"}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bc.ClearedRanges, []string{"Sheet1!A1", "Sheet1!B2:C2"}) {
		t.Fatalf("clearedRanges = %v", bc.ClearedRanges)
	}
	vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{"", "2", "3"}, []any{"4"})) {
		t.Fatalf("after clear = %v", vr.Values)
	}
}

func TestValuesBatchUpdateIsAllOrNothing(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	_, err := svc.Spreadsheets.Values.BatchUpdate(id, &sheets.BatchUpdateValuesRequest{ValueInputOption: "RAW", Data: []*sheets.ValueRange{
		{Range: "A1", Values: rows([]any{"kept?"})},
		{Range: "Nope!A1", Values: rows([]any{"x"})},
	}}).Context(ctx).Do()
	apiErr(t, err, 400, "Unable to parse range: Nope!A1")
	vr, err := svc.Spreadsheets.Values.Get(id, "A1").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(vr.Values) != 0 {
		t.Fatalf("failed batch left %v behind", vr.Values)
	}
	res, err := svc.Spreadsheets.Values.BatchUpdate(id, &sheets.BatchUpdateValuesRequest{ValueInputOption: "USER_ENTERED", IncludeValuesInResponse: true, Data: []*sheets.ValueRange{
		{Range: "A1:B1", Values: rows([]any{"1", "=A1+1"})},
		{Range: "A3:B3", MajorDimension: "ROWS", Values: rows([]any{"x", nil})},
	}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if res.TotalUpdatedRows != 2 || res.TotalUpdatedColumns != 2 || res.TotalUpdatedCells != 3 || res.TotalUpdatedSheets != 1 {
		t.Fatalf("totals = %+v", res)
	}
	if got := res.Responses[0].UpdatedData.Values; !reflect.DeepEqual(got, rows([]any{"1", "2"})) {
		t.Fatalf("updatedData = %v", got)
	}
}

func TestValuesUpdateOutsideGridFailsWithGoogleMessage(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1000", &sheets.ValueRange{Values: rows([]any{1}, []any{2})}).ValueInputOption("RAW").Context(t.Context()).Do()
	apiErr(t, err, 400, "Range (Sheet1!A1001) exceeds grid limits. Max rows: 1000, max columns: 26")
	_, err = svc.Spreadsheets.Values.Update(id, "Sheet1!A1:A2", &sheets.ValueRange{Values: rows([]any{1}, []any{2}, []any{3})}).ValueInputOption("RAW").Context(t.Context()).Do()
	apiErr(t, err, 400, "Requested writing within range [Sheet1!A1:A2], but tried writing to row [3]")
	_, err = svc.Spreadsheets.Values.Update(id, "Sheet1!A1", &sheets.ValueRange{Values: rows([]any{1})}).Context(t.Context()).Do()
	apiErr(t, err, 400, "valueInputOption")
}

func TestValuesCellCharacterLimit(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{strings.Repeat("x", 50001)})}).ValueInputOption("RAW").Context(t.Context()).Do()
	apiErr(t, err, 400, "Your input contains more than the maximum of 50000 characters in a single cell.")
	if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{strings.Repeat("x", 50000)})}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatalf("50000 characters must fit: %v", err)
	}
}

func TestValuesAppendFindsTableAndGrowsGrid(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	ctx := t.Context()
	sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Sheets: []*sheets.Sheet{{Properties: &sheets.SheetProperties{Title: "Journal",
		GridProperties: &sheets.GridProperties{RowCount: 2, ColumnCount: 3}}}}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	id := sp.SpreadsheetId
	first, err := svc.Spreadsheets.Values.Append(id, "Journal", &sheets.ValueRange{Values: rows([]any{"h1", "h2"})}).ValueInputOption("RAW").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if first.TableRange != "" || first.Updates.UpdatedRange != "Journal!A1:B1" {
		t.Fatalf("first append = %+v %+v", first, first.Updates)
	}
	next, err := svc.Spreadsheets.Values.Append(id, "Journal!A1", &sheets.ValueRange{Values: rows([]any{1, 2}, []any{3, 4}, []any{5, 6, 7, 8})}).
		ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if next.TableRange != "Journal!A1:B1" || next.Updates.UpdatedRange != "Journal!A2:D4" {
		t.Fatalf("second append = %q %q", next.TableRange, next.Updates.UpdatedRange)
	}
	got, err := svc.Spreadsheets.Get(id).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	gp := got.Sheets[0].Properties.GridProperties
	if gp.RowCount < 4 || gp.ColumnCount < 4 {
		t.Fatalf("grid did not grow: %+v", gp)
	}
}

func TestValuesClearKeepsFormatting(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{{
		UpdateCells: &sheets.UpdateCellsRequest{
			Start:  &sheets.GridCoordinate{},
			Fields: "userEnteredValue,userEnteredFormat.textFormat.bold",
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{{
				UserEnteredValue:  &sheets.ExtendedValue{StringValue: ptr("head")},
				UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}},
			}}}},
		},
	}}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Spreadsheets.Values.Clear(id, "A1", &sheets.ClearValuesRequest{}).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	got, err := svc.Spreadsheets.Get(id).Ranges("A1").IncludeGridData(true).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	cell := got.Sheets[0].Data[0].RowData[0].Values[0]
	if cell.UserEnteredValue != nil || cell.UserEnteredFormat == nil || !cell.UserEnteredFormat.TextFormat.Bold {
		t.Fatalf("cell after clear = %+v", cell)
	}
}
