package sheetsemu

import (
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// Developer metadata located on a row "will remain associated" with that
// row as rows are inserted above it, and "if the associated object is
// deleted its metadata is deleted too" (DeveloperMetadata reference).
func TestRowMetadataFollowsInsertAndDelete(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, rowMeta("k", "r2", "ROWS", 2), rowMeta("k", "r5", "ROWS", 5))
	mustBatch(t, svc, id, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
		Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 3}}})
	if got := metaAt(t, svc, id); !reflect.DeepEqual(got, map[string]int64{"r2": 4, "r5": 7}) {
		t.Fatalf("after inserting 2 rows at 1: %v", got)
	}
	mustBatch(t, svc, id, delRows(4, 5))
	if got := metaAt(t, svc, id); !reflect.DeepEqual(got, map[string]int64{"r5": 6}) {
		t.Fatalf("after deleting r2's row: %v, want r2 gone and r5 at 6", got)
	}
	res, err := svc.Spreadsheets.DeveloperMetadata.Search(id, &sheets.SearchDeveloperMetadataRequest{DataFilters: []*sheets.DataFilter{{
		DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataValue: "r2"}}}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(res.MatchedDeveloperMetadata) != 0 {
		t.Fatalf("deleted row's metadata still found: %+v", res.MatchedDeveloperMetadata)
	}
}

// sortRange, cutPaste and copyPaste move values, not rows: row-located
// developer metadata and row heights stay where they are (CONFORMANCE.md).
func TestSortAndPasteLeaveRowMetadataInPlace(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:B3", false, []any{3, "c"}, []any{1, "a"}, []any{2, "b"})
	mustBatch(t, svc, id, rowMeta("k", "first", "ROWS", 0),
		&sheets.Request{UpdateDimensionProperties: &sheets.UpdateDimensionPropertiesRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 1},
			Properties: &sheets.DimensionProperties{PixelSize: 50}, Fields: "pixelSize"}})
	mustBatch(t, svc, id, &sheets.Request{SortRange: &sheets.SortRangeRequest{Range: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 3, EndColumnIndex: 2},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 0, SortOrder: "ASCENDING"}}}})
	if got := readAll(t, svc, id, "A1:B3"); !reflect.DeepEqual(got, rows([]any{1.0, "a"}, []any{2.0, "b"}, []any{3.0, "c"})) {
		t.Fatalf("sorted = %v", got)
	}
	mustBatch(t, svc, id, &sheets.Request{CutPaste: &sheets.CutPasteRequest{
		Source: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, EndColumnIndex: 2}, Destination: &sheets.GridCoordinate{RowIndex: 5}}})
	mustBatch(t, svc, id, &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{
		Source: &sheets.GridRange{StartRowIndex: 5, EndRowIndex: 6, EndColumnIndex: 2}, Destination: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, EndColumnIndex: 2}}})
	if got := metaAt(t, svc, id); !reflect.DeepEqual(got, map[string]int64{"first": 0}) {
		t.Fatalf("metadata after sort, cut and copy: %v, want it on row 0", got)
	}
	got, err := svc.Spreadsheets.Get(id).Ranges("Sheet1!A1:A6").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if rm := got.Sheets[0].Data[0].RowMetadata; rm[0].PixelSize != 50 || rm[5].PixelSize != 21 {
		t.Fatalf("row heights moved: %d %d", rm[0].PixelSize, rm[5].PixelSize)
	}
	if got := readAll(t, svc, id, "A1:B6"); !reflect.DeepEqual(got, rows([]any{1.0, "a"}, []any{2.0, "b"}, []any{3.0, "c"}, []any{}, []any{}, []any{1.0, "a"})) {
		t.Fatalf("after cut and copy = %v", got)
	}
}

// "All the source data will be cut, regardless of what is pasted"
// (CutPasteRequest.pasteType); PASTE_VALUES pastes what a formula shows,
// not the formula (CopyPasteType).
func TestPasteTypes(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:B1", true, []any{2, "=A1*3"})
	mustBatch(t, svc, id, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, EndColumnIndex: 2},
		Cell: &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}}, Fields: "userEnteredFormat.textFormat.bold"}})
	mustBatch(t, svc, id, &sheets.Request{CopyPaste: &sheets.CopyPasteRequest{PasteType: "PASTE_VALUES",
		Source: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, StartColumnIndex: 1, EndColumnIndex: 2}, Destination: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, StartColumnIndex: 2, EndColumnIndex: 3}}})
	vr, err := svc.Spreadsheets.Values.Get(id, "A1:C1").ValueRenderOption("FORMULA").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(vr.Values, rows([]any{2.0, "=A1*3", 6.0})) {
		t.Fatalf("PASTE_VALUES of a formula = %v, want its value 6", vr.Values)
	}
	mustBatch(t, svc, id, &sheets.Request{CutPaste: &sheets.CutPasteRequest{PasteType: "PASTE_VALUES",
		Source: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, StartColumnIndex: 0, EndColumnIndex: 2}, Destination: &sheets.GridCoordinate{RowIndex: 3}}})
	got, err := svc.Spreadsheets.Get(id).Ranges("Sheet1!A1:B4").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	rd := got.Sheets[0].Data[0].RowData
	if len(rd[0].Values) != 0 {
		t.Fatalf("cut left the source's format or value: %+v", rd[0].Values[0])
	}
	a4, b4 := rd[3].Values[0], rd[3].Values[1]
	if a4.UserEnteredFormat != nil || *a4.UserEnteredValue.NumberValue != 2 || *b4.UserEnteredValue.NumberValue != 6 || b4.UserEnteredValue.FormulaValue != nil {
		t.Fatalf("cut with PASTE_VALUES pasted %+v %+v, want the values 2 and 6 only", a4, b4)
	}
	if got := readAll(t, svc, id, "C1"); !reflect.DeepEqual(got, rows([]any{6.0})) {
		t.Fatalf("C1 = %v", got)
	}
}

// Conditional formats follow their rows through insertDimension and
// moveDimension, and a rule whose cells are all deleted goes with them.
func TestConditionalFormatsFollowTheirRows(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{AddConditionalFormatRule: &sheets.AddConditionalFormatRuleRequest{Rule: &sheets.ConditionalFormatRule{
		Ranges: []*sheets.GridRange{{StartRowIndex: 2, EndRowIndex: 4, EndColumnIndex: 1}},
		BooleanRule: &sheets.BooleanRule{Condition: &sheets.BooleanCondition{Type: "NOT_BLANK"},
			Format: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}}}}})
	span := func() []int64 {
		got, err := svc.Spreadsheets.Get(id).Fields("sheets.conditionalFormats").Context(t.Context()).Do()
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Sheets[0].ConditionalFormats) == 0 {
			return nil
		}
		r := got.Sheets[0].ConditionalFormats[0].Ranges[0]
		return []int64{r.StartRowIndex, r.EndRowIndex}
	}
	mustBatch(t, svc, id, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 1}}})
	if got := span(); !reflect.DeepEqual(got, []int64{3, 5}) {
		t.Fatalf("after insert: %v, want [3 5]", got)
	}
	mustBatch(t, svc, id, moveDim(0, "ROWS", 3, 5, 10))
	if got := span(); !reflect.DeepEqual(got, []int64{8, 10}) {
		t.Fatalf("after move: %v, want [8 10]", got)
	}
	mustBatch(t, svc, id, delRows(8, 10))
	if got := span(); got != nil {
		t.Fatalf("after deleting its rows the rule is still there: %v", got)
	}
}
