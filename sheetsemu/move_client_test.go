package sheetsemu

import (
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// writeRaw writes vals at rng with valueInputOption RAW (or USER_ENTERED
// when entered is true) through the client.
func writeRaw(t *testing.T, svc *sheets.Service, id, rng string, entered bool, vals ...[]any) {
	t.Helper()
	opt := "RAW"
	if entered {
		opt = "USER_ENTERED"
	}
	if _, err := svc.Spreadsheets.Values.Update(id, rng, &sheets.ValueRange{Values: vals}).ValueInputOption(opt).Context(t.Context()).Do(); err != nil {
		t.Fatalf("values.update %s: %v", rng, err)
	}
}

func moveDim(sheetID int64, dim string, start, end, dest int64) *sheets.Request {
	return &sheets.Request{MoveDimension: &sheets.MoveDimensionRequest{
		Source:           &sheets.DimensionRange{SheetId: sheetID, Dimension: dim, StartIndex: start, EndIndex: end},
		DestinationIndex: dest,
	}}
}

func rowMeta(key, value string, dim string, index int64) *sheets.Request {
	return &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataKey: key, MetadataValue: value, Visibility: "DOCUMENT",
		Location: &sheets.DeveloperMetadataLocation{DimensionRange: &sheets.DimensionRange{Dimension: dim, StartIndex: index, EndIndex: index + 1}},
	}}}
}

// metaAt maps each developer metadata value of the first sheet to the
// index its location starts at.
func metaAt(t *testing.T, svc *sheets.Service, id string) map[string]int64 {
	t.Helper()
	got, err := svc.Spreadsheets.Get(id).Fields("sheets.developerMetadata").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, dm := range got.Sheets[0].DeveloperMetadata {
		dr := dm.Location.DimensionRange
		if dr.EndIndex != dr.StartIndex+1 {
			t.Fatalf("metadata %s spans [%d, %d)", dm.MetadataValue, dr.StartIndex, dr.EndIndex)
		}
		out[dm.MetadataValue] = dr.StartIndex
	}
	return out
}

func column(vals [][]any) []any {
	var out []any
	for _, r := range vals {
		if len(r) == 0 {
			out = append(out, nil)
			continue
		}
		out = append(out, r[0])
	}
	return out
}

// The example of the API reference: A1..A5 = 0..4, ROWS [1, 3) to 4 gives
// 0, 3, 1, 2, 4. Notes, formats, pixel sizes, hidden flags, developer
// metadata and protected ranges travel with their rows.
func TestMoveDimensionRowsCarryEverythingOnThem(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:A5", false, []any{0}, []any{1}, []any{2}, []any{3}, []any{4})
	bold := &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}
	mustBatch(t, svc, id,
		&sheets.Request{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{RowIndex: 1, ColumnIndex: 1}, Fields: "note",
			Rows: []*sheets.RowData{{Values: []*sheets.CellData{{Note: "on one"}}}}}},
		&sheets.Request{RepeatCell: &sheets.RepeatCellRequest{Range: &sheets.GridRange{StartRowIndex: 2, EndRowIndex: 3, StartColumnIndex: 0, EndColumnIndex: 1},
			Cell: &sheets.CellData{UserEnteredFormat: bold}, Fields: "userEnteredFormat.textFormat.bold"}},
		&sheets.Request{UpdateDimensionProperties: &sheets.UpdateDimensionPropertiesRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 2},
			Properties: &sheets.DimensionProperties{PixelSize: 40}, Fields: "pixelSize"}},
		&sheets.Request{UpdateDimensionProperties: &sheets.UpdateDimensionPropertiesRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 3, EndIndex: 4},
			Properties: &sheets.DimensionProperties{HiddenByUser: true}, Fields: "hiddenByUser"}},
		rowMeta("key", "one", "ROWS", 1), rowMeta("key", "three", "ROWS", 3), rowMeta("key", "four", "ROWS", 4),
		&sheets.Request{AddProtectedRange: &sheets.AddProtectedRangeRequest{ProtectedRange: &sheets.ProtectedRange{
			Range: &sheets.GridRange{StartRowIndex: 1, EndRowIndex: 2}, WarningOnly: true}}},
	)
	mustBatch(t, svc, id, moveDim(0, "ROWS", 1, 3, 4))
	if got := column(readAll(t, svc, id, "A1:A5")); !reflect.DeepEqual(got, []any{0.0, 3.0, 1.0, 2.0, 4.0}) {
		t.Fatalf("A1:A5 = %v, want 0 3 1 2 4 (the reference's example)", got)
	}
	if got := metaAt(t, svc, id); !reflect.DeepEqual(got, map[string]int64{"one": 2, "three": 1, "four": 4}) {
		t.Fatalf("metadata rows = %v", got)
	}
	got, err := svc.Spreadsheets.Get(id).Ranges("Sheet1!A1:B5").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	sh := got.Sheets[0]
	rd, rm := sh.Data[0].RowData, sh.Data[0].RowMetadata
	if rd[2].Values[1].Note != "on one" || rd[3].Values[0].UserEnteredFormat == nil || !rd[3].Values[0].UserEnteredFormat.TextFormat.Bold {
		t.Fatalf("note and format did not follow their rows: %+v %+v", rd[2].Values, rd[3].Values)
	}
	if rm[2].PixelSize != 40 || !rm[1].HiddenByUser || rm[3].HiddenByUser || rm[1].PixelSize != 21 {
		t.Fatalf("row metadata did not follow: %+v %+v %+v", rm[1], rm[2], rm[3])
	}
	if p := sh.ProtectedRanges[0].Range; p.StartRowIndex != 2 || p.EndRowIndex != 3 {
		t.Fatalf("protected range at [%d, %d), want [2, 3)", p.StartRowIndex, p.EndRowIndex)
	}
	// Upwards: ROWS [3, 5) to 0.
	mustBatch(t, svc, id, moveDim(0, "ROWS", 3, 5, 0))
	if got := column(readAll(t, svc, id, "A1:A5")); !reflect.DeepEqual(got, []any{2.0, 4.0, 0.0, 3.0, 1.0}) {
		t.Fatalf("after moving up: %v, want 2 4 0 3 1", got)
	}
	if got := metaAt(t, svc, id); !reflect.DeepEqual(got, map[string]int64{"one": 4, "three": 3, "four": 1}) {
		t.Fatalf("metadata rows after moving up = %v", got)
	}
}

func TestMoveDimensionColumns(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:D2", false, []any{"a", "b", "c", "d"}, []any{1, 2, 3, 4})
	mustBatch(t, svc, id,
		&sheets.Request{UpdateDimensionProperties: &sheets.UpdateDimensionPropertiesRequest{Range: &sheets.DimensionRange{Dimension: "COLUMNS", StartIndex: 0, EndIndex: 1},
			Properties: &sheets.DimensionProperties{PixelSize: 150}, Fields: "pixelSize"}},
		rowMeta("col", "a", "COLUMNS", 0))
	mustBatch(t, svc, id, moveDim(0, "COLUMNS", 0, 1, 3))
	if got := readAll(t, svc, id, "A1:D2"); !reflect.DeepEqual(got, rows([]any{"b", "c", "a", "d"}, []any{2.0, 3.0, 1.0, 4.0})) {
		t.Fatalf("A1:D2 = %v", got)
	}
	if got := metaAt(t, svc, id); got["a"] != 2 {
		t.Fatalf("column metadata at %v, want 2", got)
	}
	got, err := svc.Spreadsheets.Get(id).Ranges("Sheet1!A1:D1").IncludeGridData(true).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if cm := got.Sheets[0].Data[0].ColumnMetadata; cm[2].PixelSize != 150 || cm[0].PixelSize != 100 {
		t.Fatalf("column widths = %d %d, want 100 then 150 at C", cm[0].PixelSize, cm[2].PixelSize)
	}
}

// Refusals keep the spreadsheet as it was (all or nothing).
func TestMoveDimensionRefusals(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:A4", false, []any{"r0"}, []any{"r1"}, []any{"r2"}, []any{"r3"})
	cases := []struct {
		name string
		req  *sheets.Request
		msg  string
	}{
		{"inside", moveDim(0, "ROWS", 1, 3, 2),
			"Invalid requests[0].moveDimension: Invalid destinationIndex 2: it must be before 1 or after 3, outside the moved rows [1, 3)."},
		{"own start", moveDim(0, "ROWS", 1, 3, 1),
			"Invalid requests[0].moveDimension: Invalid destinationIndex 1: it must be before 1 or after 3, outside the moved rows [1, 3)."},
		{"own end", moveDim(0, "COLUMNS", 1, 3, 3),
			"Invalid requests[0].moveDimension: Invalid destinationIndex 3: it must be before 1 or after 3, outside the moved columns [1, 3)."},
		{"source past grid", moveDim(0, "ROWS", 999, 1001, 0),
			"Invalid requests[0].moveDimension: Cannot move a row that doesn't exist. Tried to move row index 1000 but there are only 1000 rows."},
		{"destination past grid", moveDim(0, "ROWS", 0, 1, 1001),
			"Invalid requests[0].moveDimension: Invalid destinationIndex 1001: the sheet has only 1000 rows."},
		{"empty source", moveDim(0, "ROWS", 3, 2, 0),
			"Invalid requests[0].moveDimension: Invalid dimension range: start index 3, end index 2."},
		{"missing sheet", moveDim(4242, "ROWS", 0, 1, 3),
			"Invalid requests[0].moveDimension: No grid with id: 4242"},
		{"no dimension", moveDim(0, "", 0, 1, 3),
			"Invalid requests[0].moveDimension: dimension must be ROWS or COLUMNS"},
	}
	for _, tc := range cases {
		_, err := batch(t, svc, id, tc.req)
		exactErr(t, err, 400, tc.msg)
	}
	// A refused move later in a batch undoes the ones before it.
	_, err := batch(t, svc, id, moveDim(0, "ROWS", 0, 1, 4), moveDim(0, "ROWS", 0, 1, 0))
	apiErr(t, err, 400, "Invalid requests[1].moveDimension:")
	if got := column(readAll(t, svc, id, "A1:A4")); !reflect.DeepEqual(got, []any{"r0", "r1", "r2", "r3"}) {
		t.Fatalf("refused batch changed the sheet: %v", got)
	}
	// The move at the end of the grid is accepted (destination = row count).
	mustBatch(t, svc, id, moveDim(0, "ROWS", 0, 1, 1000))
	if got := column(readAll(t, svc, id, "A1:A3")); !reflect.DeepEqual(got, []any{"r1", "r2", "r3"}) {
		t.Fatalf("after moving r0 to the end: %v", got)
	}
	if got := readAll(t, svc, id, "A1000"); !reflect.DeepEqual(got, rows([]any{"r0"})) {
		t.Fatalf("A1000 = %v, want r0", got)
	}
}

// A move may not tear a merge apart (the strict choice; Google refuses a
// column move across a merged title row, CONFORMANCE.md); a merge moved
// whole, or one the move passes by, follows its rows.
func TestMoveDimensionAndMerges(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{MergeCells: &sheets.MergeCellsRequest{MergeType: "MERGE_ALL",
		Range: &sheets.GridRange{StartRowIndex: 1, EndRowIndex: 3, StartColumnIndex: 0, EndColumnIndex: 2}}})
	_, err := batch(t, svc, id, moveDim(0, "ROWS", 2, 3, 6))
	exactErr(t, err, 400, "Invalid requests[0].moveDimension: You can't move rows that break apart a merged cell (Sheet1!A2:B3). Please unmerge and try again.")
	_, err = batch(t, svc, id, moveDim(0, "ROWS", 5, 6, 2))
	exactErr(t, err, 400, "Invalid requests[0].moveDimension: You can't move rows that break apart a merged cell (Sheet1!A2:B3). Please unmerge and try again.")
	_, err = batch(t, svc, id, moveDim(0, "COLUMNS", 1, 2, 5))
	exactErr(t, err, 400, "Invalid requests[0].moveDimension: You can't move columns that break apart a merged cell (Sheet1!A2:B3). Please unmerge and try again.")
	mustBatch(t, svc, id, moveDim(0, "ROWS", 1, 3, 6), moveDim(0, "ROWS", 0, 1, 10))
	got, err := svc.Spreadsheets.Get(id).Fields("sheets.merges").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if m := got.Sheets[0].Merges[0]; m.StartRowIndex != 3 || m.EndRowIndex != 5 || m.EndColumnIndex != 2 {
		t.Fatalf("merge at rows [%d, %d), want [3, 5)", m.StartRowIndex, m.EndRowIndex)
	}
}
