package sheetsemu

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"
)

// exactErr asserts err is Google's error envelope with exactly this code,
// status and message, as the real Go client parses it.
func exactErr(t *testing.T, err error, code int, msg string) {
	t.Helper()
	var ge *googleapi.Error
	if !errors.As(err, &ge) {
		t.Fatalf("error = %v, want *googleapi.Error %d %q", err, code, msg)
	}
	status := map[int]string{400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED"}[code]
	if ge.Code != code || ge.Message != msg {
		t.Fatalf("error = %d %q,\nwant    %d %q", ge.Code, ge.Message, code, msg)
	}
	if !contains2(string(ge.Body), `"status":"`+status+`"`) {
		t.Fatalf("body %s lacks status %s", ge.Body, status)
	}
}

func contains2(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func sizeSheet(rows, cols, frozen int64) *sheets.Request {
	return &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{RowCount: rows, ColumnCount: cols, FrozenRowCount: frozen}},
		Fields:     "gridProperties.rowCount,gridProperties.columnCount,gridProperties.frozenRowCount"}}
}

func delRows(start, end int64) *sheets.Request {
	return &sheets.Request{DeleteDimension: &sheets.DeleteDimensionRequest{Range: &sheets.DimensionRange{
		Dimension: "ROWS", StartIndex: start, EndIndex: end, ForceSendFields: []string{"StartIndex"}}}}
}

func wideRow(n int) *sheets.RowData {
	row := &sheets.RowData{}
	for c := 0; c < n; c++ {
		row.Values = append(row.Values, numCell(float64(c)))
	}
	return row
}

func TestDeleteEveryUnfrozenRowIsRefused(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, sizeSheet(5, 3, 1))
	_, err := batch(t, svc, id, delRows(1, 5))
	exactErr(t, err, 400, "Invalid requests[0].deleteDimension: Sorry, it is not possible to delete all non-frozen rows.")
	// Leaving one unfrozen row is fine.
	mustBatch(t, svc, id, delRows(1, 4))
}

func TestDeleteRowsPastTheGridIsRefused(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	reqs := []*sheets.Request{sizeSheet(729, 3, 0)}
	for len(reqs) < 14 {
		reqs = append(reqs, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{Title: fmt.Sprintf("T%d", len(reqs))}, Fields: "title"}})
	}
	reqs = append(reqs, delRows(729, 730))
	_, err := batch(t, svc, id, reqs...)
	exactErr(t, err, 400, "Invalid requests[14].deleteDimension: Cannot delete a row that doesn't exist. Tried to delete row index 729 but there are only 729 rows.")
	// A range straddling the end is refused too, not clamped.
	_, err = batch(t, svc, id, delRows(10, 2000))
	exactErr(t, err, 400, "Invalid requests[0].deleteDimension: Cannot delete a row that doesn't exist. Tried to delete row index 1000 but there are only 1000 rows.")
	_, err = batch(t, svc, id, delRows(0, 1000))
	exactErr(t, err, 400, "Invalid requests[0].deleteDimension: You can't delete all the rows on the sheet.")
}

func TestAppendCellsWiderThanTheGridIsRefused(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := batch(t, svc, id, &sheets.Request{AppendCells: &sheets.AppendCellsRequest{
		Rows: []*sheets.RowData{wideRow(3), wideRow(27)}, Fields: "userEnteredValue"}})
	exactErr(t, err, 400, "Invalid requests[0].appendCells: Attempting to write column: 26, beyond the last requested column of: 25")
	// Rows are added as needed: 1000 existing + 5 appended after row 999.
	mustBatch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start: &sheets.GridCoordinate{RowIndex: 999}, Rows: []*sheets.RowData{wideRow(26)}, Fields: "userEnteredValue"}})
	mustBatch(t, svc, id, &sheets.Request{AppendCells: &sheets.AppendCellsRequest{
		Rows: []*sheets.RowData{wideRow(26), wideRow(26), wideRow(26), wideRow(26), wideRow(26)}, Fields: "userEnteredValue"}})
	sp, err := svc.Spreadsheets.Get(id).Do()
	if err != nil {
		t.Fatal(err)
	}
	if g := sp.Sheets[0].Properties.GridProperties; g.RowCount != 1005 || g.ColumnCount != 26 {
		t.Fatalf("grid %dx%d, want 1005x26", g.RowCount, g.ColumnCount)
	}
}

func TestUpdateCellsBeyondTheGridIsRefused(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := batch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start: &sheets.GridCoordinate{RowIndex: 3}, Rows: []*sheets.RowData{wideRow(27)}, Fields: "userEnteredValue"}})
	exactErr(t, err, 400, "Invalid requests[0].updateCells: Attempting to write column: 26, beyond the last requested column of: 25")
	// Rows beyond the grid: updateCells does not add rows (CONFORMANCE.md).
	_, err = batch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Start: &sheets.GridCoordinate{RowIndex: 999}, Rows: []*sheets.RowData{wideRow(1), wideRow(1)}, Fields: "userEnteredValue"}})
	exactErr(t, err, 400, "Invalid requests[0].updateCells: Attempting to write row: 1000, beyond the last requested row of: 999")
	// With a range, the range is the limit.
	_, err = batch(t, svc, id, &sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{
		Range: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, StartColumnIndex: 0, EndColumnIndex: 2},
		Rows:  []*sheets.RowData{wideRow(3)}, Fields: "userEnteredValue"}})
	exactErr(t, err, 400, "Invalid requests[0].updateCells: Attempting to write column: 2, beyond the last requested column of: 1")
}

func TestReadOutsideTheGridIsRefused(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Mass",
		GridProperties: &sheets.GridProperties{RowCount: 151000, ColumnCount: 26}}}})
	const want = "Range (Mass!151154:151354) exceeds grid limits. Max rows: 151000, max columns: 26"
	_, err := svc.Spreadsheets.Values.Get(id, "Mass!151154:151354").Do()
	exactErr(t, err, 400, want)
	_, err = svc.Spreadsheets.Values.BatchGet(id).Ranges("Mass!A1:B2", "Mass!151154:151354").Do()
	exactErr(t, err, 400, want)
	_, err = svc.Spreadsheets.Values.Get(id, "Sheet1!A1:AA1").Do()
	exactErr(t, err, 400, "Range (Sheet1!A1:AA1) exceeds grid limits. Max rows: 1000, max columns: 26")
	// Open ends are clamped, not refused.
	if _, err := svc.Spreadsheets.Values.Get(id, "Mass!A150000:B").Do(); err != nil {
		t.Fatal(err)
	}
}

func TestBatchUpdateRequestErrors(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{}}).Do()
	exactErr(t, err, 400, "Must specify at least one request.")
	_, err = batch(t, svc, id, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{}, Cell: numCell(1)}})
	exactErr(t, err, 400, "Invalid requests[0].repeatCell: At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	_, err = batch(t, svc, id, &sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
		Properties: &sheets.SheetProperties{Title: "x"}}})
	exactErr(t, err, 400, "Invalid requests[0].updateSheetProperties: At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)")
	_, err = batch(t, svc, id, sizeSheet(2, 2, 2))
	exactErr(t, err, 400, "Invalid requests[0].updateSheetProperties: You can't freeze all visible rows on the sheet.")
	_, err = batch(t, svc, id, sizeSheet(5, 2, 0), &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{
		Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 5_000_001}}})
	exactErr(t, err, 400, "Invalid requests[1].insertDimension: This action would increase the number of cells in the workbook above the limit of 10000000 cells.")
	_, err = batch(t, svc, id, &sheets.Request{AppendDimension: &sheets.AppendDimensionRequest{Dimension: "ROWS", Length: 400_000}})
	exactErr(t, err, 400, "Invalid requests[0].appendDimension: This action would increase the number of cells in the workbook above the limit of 10000000 cells.")
}
