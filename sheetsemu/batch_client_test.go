package sheetsemu

import (
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

func batch(t *testing.T, svc *sheets.Service, id string, reqs ...*sheets.Request) (*sheets.BatchUpdateSpreadsheetResponse, error) {
	t.Helper()
	return svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs}).Context(t.Context()).Do()
}

func mustBatch(t *testing.T, svc *sheets.Service, id string, reqs ...*sheets.Request) *sheets.BatchUpdateSpreadsheetResponse {
	t.Helper()
	res, err := batch(t, svc, id, reqs...)
	if err != nil {
		t.Fatalf("batchUpdate: %v", err)
	}
	return res
}

func readAll(t *testing.T, svc *sheets.Service, id, rng string) [][]any {
	t.Helper()
	vr, err := svc.Spreadsheets.Values.Get(id, rng).ValueRenderOption("UNFORMATTED_VALUE").Context(t.Context()).Do()
	if err != nil {
		t.Fatalf("get %s: %v", rng, err)
	}
	return vr.Values
}

func strCell(s string) *sheets.CellData {
	return &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr(s)}}
}

func numCell(f float64) *sheets.CellData {
	return &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{NumberValue: ptr(f)}}
}

func TestBatchUpdateSheetLifecycle(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	res := mustBatch(t, svc, id, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Bonuses"}}})
	added := res.Replies[0].AddSheet.Properties
	if added.SheetId == 0 || added.Index != 1 || added.GridProperties.RowCount != 1000 {
		t.Fatalf("addSheet reply = %+v", added)
	}
	mustBatch(t, svc, id, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{SheetId: added.SheetId, Title: "Premiums", GridProperties: &sheets.GridProperties{FrozenRowCount: 1}},
		Fields:     "title,gridProperties.frozenRowCount",
	}})
	got, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	p := got.Sheets[1].Properties
	if p.Title != "Premiums" || p.GridProperties.FrozenRowCount != 1 || p.GridProperties.RowCount != 1000 {
		t.Fatalf("after update = %+v %+v", p, p.GridProperties)
	}
	_, err = batch(t, svc, id, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Premiums"}}})
	apiErr(t, err, 400, `A sheet with the name "Premiums" already exists`)
	_, err = batch(t, svc, id,
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Properties: &sheets.SheetProperties{SheetId: 0, Hidden: true}, Fields: "hidden"}},
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Properties: &sheets.SheetProperties{SheetId: added.SheetId, Hidden: true}, Fields: "hidden"}})
	apiErr(t, err, 400, "Invalid requests[1].updateSheetProperties: You can't hide all the sheets in a document.")
	mustBatch(t, svc, id, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: 0}})
	_, err = batch(t, svc, id, &sheets.Request{DeleteSheet: &sheets.DeleteSheetRequest{SheetId: added.SheetId}})
	apiErr(t, err, 400, "You can't remove all the sheets in a document.")
}

func TestBatchUpdateIsAllOrNothing(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := batch(t, svc, id,
		&sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "New"}}},
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{SheetId: 424242}, Fields: "*"}})
	apiErr(t, err, 400, "Invalid requests[1].updateCells: No grid with id: 424242")
	got, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Sheets) != 1 {
		t.Fatalf("failed batch still added a sheet: %d sheets", len(got.Sheets))
	}
}

func TestResponsesEmitZeroSheetIDAndIndex(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	code, body := rawJSON(t, "GET", ts.URL+"/v4/spreadsheets/"+id+"?fields=sheets.properties", "")
	if code != 200 {
		t.Fatalf("status %d", code)
	}
	props := body["sheets"].([]any)[0].(map[string]any)["properties"].(map[string]any)
	if props["sheetId"] != 0.0 || props["index"] != 0.0 {
		t.Fatalf("properties = %v, want explicit sheetId 0 and index 0", props)
	}
	if _, ok := body["spreadsheetId"]; ok {
		t.Fatalf("fields mask not applied: %v", body)
	}
}

func TestUpdateCellsStartAndRangeForms(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start:  &sheets.GridCoordinate{RowIndex: 1, ColumnIndex: 1},
		Fields: "userEnteredValue",
		Rows:   []*sheets.RowData{{Values: []*sheets.CellData{strCell("a"), strCell("b"), strCell("c")}}, {Values: []*sheets.CellData{numCell(1)}}},
	}})
	if got := readAll(t, svc, id, "B2:D3"); !reflect.DeepEqual(got, rows([]any{"a", "b", "c"}, []any{1.0})) {
		t.Fatalf("start form = %v", got)
	}
	// The range form clears the masked field in cells the rows leave out.
	mustBatch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Range:  &sheets.GridRange{StartRowIndex: 1, EndRowIndex: 3, StartColumnIndex: 1, EndColumnIndex: 4},
		Fields: "userEnteredValue",
		Rows:   []*sheets.RowData{{Values: []*sheets.CellData{strCell("z")}}},
	}})
	if got := readAll(t, svc, id, "B2:D3"); !reflect.DeepEqual(got, rows([]any{"z"})) {
		t.Fatalf("range form = %v", got)
	}
	_, err := batch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{RowIndex: 1000}, Fields: "*",
		Rows: []*sheets.RowData{{Values: []*sheets.CellData{strCell("x")}}}}})
	apiErr(t, err, 400, "Invalid requests[0].updateCells")
}

func TestAppendCellsGrowsGridAfterLastRow(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	ctx := t.Context()
	sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Sheets: []*sheets.Sheet{{Properties: &sheets.SheetProperties{Title: "S",
		GridProperties: &sheets.GridProperties{RowCount: 2, ColumnCount: 2}}}}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	id, sid := sp.SpreadsheetId, sp.Sheets[0].Properties.SheetId
	for i := 0; i < 3; i++ {
		mustBatch(t, svc, id, &sheets.Request{AppendCells: &sheets.AppendCellsRequest{SheetId: sid, Fields: "userEnteredValue",
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{numCell(float64(i)), strCell("r")}}}}})
	}
	if got := readAll(t, svc, id, "S"); !reflect.DeepEqual(got, rows([]any{0.0, "r"}, []any{1.0, "r"}, []any{2.0, "r"})) {
		t.Fatalf("values = %v", got)
	}
	got, _ := svc.Spreadsheets.Get(id).Context(ctx).Do()
	if rc := got.Sheets[0].Properties.GridProperties.RowCount; rc != 3 {
		t.Fatalf("rowCount = %d, want 3", rc)
	}
}

func TestInsertAndDeleteDimensionShiftCells(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{1, 2}, []any{3, 4})}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	mustBatch(t, svc, id,
		&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 2}, InheritFromBefore: true}},
		&sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "COLUMNS", StartIndex: 0, EndIndex: 1}}})
	if got := readAll(t, svc, id, "A1:C3"); !reflect.DeepEqual(got, rows([]any{"", 1.0, 2.0}, []any{}, []any{"", 3.0, 4.0})) {
		t.Fatalf("after insert = %v", got)
	}
	mustBatch(t, svc, id, &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 2}}})
	if got := readAll(t, svc, id, "A1:C3"); !reflect.DeepEqual(got, rows([]any{"", 3.0, 4.0})) {
		t.Fatalf("after delete = %v", got)
	}
	sp, _ := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	if gp := sp.Sheets[0].Properties.GridProperties; gp.RowCount != 999 || gp.ColumnCount != 27 {
		t.Fatalf("grid = %+v", gp)
	}
	_, err := batch(t, svc, id, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 1}, InheritFromBefore: true}})
	apiErr(t, err, 400, "Invalid requests[0].insertDimension")
}

func TestRepeatCellDimensionPropsProtectedRange(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	res := mustBatch(t, svc, id,
		&sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 3},
			Cell:   &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}},
			Fields: "userEnteredFormat.textFormat.bold"}},
		&sheets.Request{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{Dimensions: &sheets.DimensionRange{Dimension: "COLUMNS", StartIndex: 0, EndIndex: 3}}},
		&sheets.Request{UpdateDimensionProperties: &sheets.UpdateDimensionPropertiesRequest{Range: &sheets.DimensionRange{Dimension: "COLUMNS", StartIndex: 1, EndIndex: 2},
			Properties: &sheets.DimensionProperties{PixelSize: 250}, Fields: "pixelSize"}},
		&sheets.Request{AddProtectedRange: &sheets.AddProtectedRangeRequest{ProtectedRange: &sheets.ProtectedRange{Range: &sheets.GridRange{EndRowIndex: 1}, Description: "header"}}})
	if len(res.Replies) != 4 || res.Replies[3].AddProtectedRange.ProtectedRange.ProtectedRangeId == 0 {
		t.Fatalf("replies = %+v", res.Replies)
	}
	got, err := svc.Spreadsheets.Get(id).Ranges("A1:C1").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	sh := got.Sheets[0]
	for i, c := range sh.Data[0].RowData[0].Values {
		if c.UserEnteredFormat == nil || !c.UserEnteredFormat.TextFormat.Bold {
			t.Fatalf("cell %d not bold: %+v", i, c)
		}
	}
	if px := sh.Data[0].ColumnMetadata[1].PixelSize; px != 250 {
		t.Fatalf("column B pixelSize = %d", px)
	}
	if len(sh.ProtectedRanges) != 1 || sh.ProtectedRanges[0].Description != "header" {
		t.Fatalf("protected ranges = %+v", sh.ProtectedRanges)
	}
}

func TestSortRangeOrdersRowsEmptyLast(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	data := rows([]any{"b", 2}, []any{"a", 10}, []any{"", 5}, []any{"c", 1})
	if _, err := svc.Spreadsheets.Values.Update(id, "A2", &sheets.ValueRange{Values: data}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	mustBatch(t, svc, id, &sheets.Request{SortRange: &sheets.SortRangeRequest{Range: &sheets.GridRange{StartRowIndex: 1, EndRowIndex: 5, EndColumnIndex: 2},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: "DESCENDING"}}}})
	want := rows([]any{}, []any{"c", 1.0}, []any{"b", 2.0}, []any{"a", 10.0}, []any{"", 5.0})
	if got := readAll(t, svc, id, "A1:B5"); !reflect.DeepEqual(got, want) {
		t.Fatalf("sorted = %v, want %v", got, want)
	}
}

func TestCellLimitRejectsHugeSheet(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := batch(t, svc, id, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Huge",
		GridProperties: &sheets.GridProperties{RowCount: 1_000_000, ColumnCount: 10}}}})
	apiErr(t, err, 400, "This action would increase the number of cells in the workbook above the limit of 10000000 cells.")
}
