package sheetsemu

import (
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

func TestDeveloperMetadataDataFilterRoundTrip(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	ctx := t.Context()
	if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: rows([]any{"k", "v"}, []any{"row2", 2}, []any{"row3", 3})}).ValueInputOption("RAW").Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	res := mustBatch(t, svc, id, &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataKey: "syncd.row", MetadataValue: "key=2", Visibility: "DOCUMENT",
		Location: &sheets.DeveloperMetadataLocation{DimensionRange: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 2}},
	}}})
	dm := res.Replies[0].CreateDeveloperMetadata.DeveloperMetadata
	if dm.MetadataId <= 0 || dm.Location.LocationType != "ROW" {
		t.Fatalf("created metadata = %+v %+v", dm, dm.Location)
	}
	_, err := batch(t, svc, id, &sheets.Request{CreateDeveloperMetadata: &sheets.CreateDeveloperMetadataRequest{DeveloperMetadata: &sheets.DeveloperMetadata{
		MetadataKey: "bad", Visibility: "DOCUMENT",
		Location: &sheets.DeveloperMetadataLocation{DimensionRange: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 3}},
	}}})
	apiErr(t, err, 400, "single row or column")

	lookup := &sheets.DataFilter{DeveloperMetadataLookup: &sheets.DeveloperMetadataLookup{MetadataKey: "syncd.row", MetadataValue: "key=2"}}
	bg, err := svc.Spreadsheets.Values.BatchGetByDataFilter(id, &sheets.BatchGetValuesByDataFilterRequest{
		DataFilters:       []*sheets.DataFilter{lookup, {A1Range: "A3:B3"}, {GridRange: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 1, EndColumnIndex: 1}}},
		ValueRenderOption: "UNFORMATTED_VALUE",
	}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	var got [][][]any
	for _, vr := range bg.ValueRanges {
		got = append(got, vr.ValueRange.Values)
	}
	want := [][][]any{rows([]any{"row2", 2.0}), rows([]any{"row3", 3.0}), rows([]any{"k"})}
	if !reflect.DeepEqual(got, want) || bg.ValueRanges[0].ValueRange.Range != "Sheet1!A2:Z2" {
		t.Fatalf("batchGetByDataFilter = %v (%s), want %v", got, bg.ValueRanges[0].ValueRange.Range, want)
	}

	// Metadata moves with its row.
	mustBatch(t, svc, id, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 1}}})
	bu, err := svc.Spreadsheets.Values.BatchUpdateByDataFilter(id, &sheets.BatchUpdateValuesByDataFilterRequest{ValueInputOption: "RAW",
		Data: []*sheets.DataFilterValueRange{{DataFilter: lookup, Values: rows([]any{"row2", 20})}}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if bu.TotalUpdatedCells != 2 || bu.Responses[0].UpdatedRange != "Sheet1!A3:B3" {
		t.Fatalf("batchUpdateByDataFilter = %+v %+v", bu, bu.Responses[0])
	}
	if got := readAll(t, svc, id, "A3:B3"); !reflect.DeepEqual(got, rows([]any{"row2", 20.0})) {
		t.Fatalf("after update by filter = %v", got)
	}
	search, err := svc.Spreadsheets.DeveloperMetadata.Search(id, &sheets.SearchDeveloperMetadataRequest{DataFilters: []*sheets.DataFilter{{A1Range: "A3"}}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(search.MatchedDeveloperMetadata) != 1 || search.MatchedDeveloperMetadata[0].DeveloperMetadata.Location.DimensionRange.StartIndex != 2 {
		t.Fatalf("search = %+v", search.MatchedDeveloperMetadata)
	}
	gm, err := svc.Spreadsheets.DeveloperMetadata.Get(id, dm.MetadataId).Context(ctx).Do()
	if err != nil || gm.MetadataKey != "syncd.row" {
		t.Fatalf("developerMetadata.get = %+v, %v", gm, err)
	}
	bc, err := svc.Spreadsheets.Values.BatchClearByDataFilter(id, &sheets.BatchClearValuesByDataFilterRequest{DataFilters: []*sheets.DataFilter{lookup}}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bc.ClearedRanges, []string{"Sheet1!A3:Z3"}) {
		t.Fatalf("clearedRanges = %v", bc.ClearedRanges)
	}
	if got := readAll(t, svc, id, "A3:B3"); len(got) != 0 {
		t.Fatalf("row not cleared: %v", got)
	}
	del := mustBatch(t, svc, id, &sheets.Request{DeleteDeveloperMetadata: &sheets.DeleteDeveloperMetadataRequest{DataFilter: lookup}})
	if n := len(del.Replies[0].DeleteDeveloperMetadata.DeletedDeveloperMetadata); n != 1 {
		t.Fatalf("deleted %d metadata entries", n)
	}
}

func TestGetByDataFilterReturnsGridData(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	if _, err := svc.Spreadsheets.Values.Update(id, "B2", &sheets.ValueRange{Values: rows([]any{"x"})}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
		t.Fatal(err)
	}
	sp, err := svc.Spreadsheets.GetByDataFilter(id, &sheets.GetSpreadsheetByDataFilterRequest{IncludeGridData: true,
		DataFilters: []*sheets.DataFilter{{A1Range: "B2:C3"}}}).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	d := sp.Sheets[0].Data[0]
	if d.StartRow != 1 || d.StartColumn != 1 || d.RowData[0].Values[0].FormattedValue != "x" {
		t.Fatalf("grid data = %+v", d)
	}
}
