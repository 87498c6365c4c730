package sheetsemu

import (
	"reflect"
	"testing"

	"google.golang.org/api/sheets/v4"
)

func filterViews(t *testing.T, svc *sheets.Service, id string) []*sheets.FilterView {
	t.Helper()
	got, err := svc.Spreadsheets.Get(id).Fields("sheets.filterViews").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	return got.Sheets[0].FilterViews
}

// A filter view is stored, answered by spreadsheets.get, updated,
// duplicated and deleted; it never changes the values or their order.
func TestFilterViewLifecycle(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	writeRaw(t, svc, id, "A1:B4", false, []any{"name", "n"}, []any{"b", 2}, []any{"a", 1}, []any{"c", 3})
	before := readAll(t, svc, id, "A1:B4")
	res := mustBatch(t, svc, id, &sheets.Request{AddFilterView: &sheets.AddFilterViewRequest{Filter: &sheets.FilterView{
		Title: "Mine", Range: &sheets.GridRange{StartRowIndex: 0, EndRowIndex: 4, StartColumnIndex: 0, EndColumnIndex: 2},
		SortSpecs: []*sheets.SortSpec{{DimensionIndex: 1, SortOrder: "DESCENDING"}},
	}}})
	added := res.Replies[0].AddFilterView.Filter
	if added.FilterViewId == 0 || added.Title != "Mine" || added.Range.EndRowIndex != 4 || len(added.SortSpecs) != 1 {
		t.Fatalf("addFilterView reply = %+v", added)
	}
	// An open range is completed to the grid, as setBasicFilter's is.
	res = mustBatch(t, svc, id, &sheets.Request{AddFilterView: &sheets.AddFilterViewRequest{Filter: &sheets.FilterView{
		FilterViewId: 77, Title: "Open", Range: &sheets.GridRange{StartRowIndex: 1}}}})
	if r := res.Replies[0].AddFilterView.Filter.Range; r.EndRowIndex != 1000 || r.EndColumnIndex != 26 || r.StartRowIndex != 1 {
		t.Fatalf("open range stored as %+v", r)
	}
	if got := readAll(t, svc, id, "A1:B4"); !reflect.DeepEqual(got, before) {
		t.Fatalf("a filter view changed the values: %v, want %v", got, before)
	}
	mustBatch(t, svc, id, &sheets.Request{UpdateFilterView: &sheets.UpdateFilterViewRequest{
		Filter: &sheets.FilterView{FilterViewId: added.FilterViewId, Title: "Renamed"}, Fields: "title"}})
	res = mustBatch(t, svc, id, &sheets.Request{DuplicateFilterView: &sheets.DuplicateFilterViewRequest{FilterId: added.FilterViewId}})
	dup := res.Replies[0].DuplicateFilterView.Filter
	if dup.FilterViewId == added.FilterViewId || dup.FilterViewId == 77 || dup.Title != "Copy of Renamed" || dup.Range.EndRowIndex != 4 {
		t.Fatalf("duplicateFilterView reply = %+v", dup)
	}
	fvs := filterViews(t, svc, id)
	if len(fvs) != 3 || fvs[0].Title != "Renamed" || fvs[0].Range.EndColumnIndex != 2 || len(fvs[0].SortSpecs) != 1 ||
		fvs[1].FilterViewId != 77 || fvs[2].FilterViewId != dup.FilterViewId {
		t.Fatalf("filterViews = %+v", fvs)
	}
	// The wire form keeps startRowIndex 0 and leaves sheetId 0 out, as
	// every GridRange Google answers.
	code, body := rawJSON(t, "GET", ts.URL+"/v4/spreadsheets/"+id+"?fields=sheets.filterViews", "")
	rng := body["sheets"].([]any)[0].(map[string]any)["filterViews"].([]any)[0].(map[string]any)["range"].(map[string]any)
	if _, ok := rng["sheetId"]; code != 200 || ok || rng["startRowIndex"] != 0.0 {
		t.Fatalf("range on the wire = %d %v", code, rng)
	}
	mustBatch(t, svc, id, &sheets.Request{DeleteFilterView: &sheets.DeleteFilterViewRequest{FilterId: 77}})
	if fvs := filterViews(t, svc, id); len(fvs) != 2 || fvs[1].FilterViewId != dup.FilterViewId {
		t.Fatalf("after delete = %+v", fvs)
	}
	if got := readAll(t, svc, id, "A1:B4"); !reflect.DeepEqual(got, before) {
		t.Fatalf("filter views changed the values: %v", got)
	}
}

func TestFilterViewRefusals(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	add := func(fv *sheets.FilterView) *sheets.Request {
		return &sheets.Request{AddFilterView: &sheets.AddFilterViewRequest{Filter: fv}}
	}
	mustBatch(t, svc, id, add(&sheets.FilterView{FilterViewId: 5, Range: &sheets.GridRange{EndRowIndex: 3}}))
	cases := []struct {
		req *sheets.Request
		msg string
	}{
		{add(&sheets.FilterView{FilterViewId: 5, Range: &sheets.GridRange{EndRowIndex: 3}}),
			"Invalid requests[0].addFilterView: Filter view with id 5 already exists."},
		{add(&sheets.FilterView{Range: &sheets.GridRange{SheetId: 4242}}),
			"Invalid requests[0].addFilterView: No grid with id: 4242"},
		{add(&sheets.FilterView{Title: "no range"}),
			"Invalid requests[0].addFilterView: filter.range is required"},
		{add(&sheets.FilterView{Range: &sheets.GridRange{StartRowIndex: 2, EndRowIndex: 1001}}),
			"Invalid requests[0].addFilterView: GridCoordinate.rowIndex[1000] is after last row in grid[999]"},
		{&sheets.Request{DeleteFilterView: &sheets.DeleteFilterViewRequest{FilterId: 999}},
			"Invalid requests[0].deleteFilterView: No filter view with id: 999"},
		{&sheets.Request{DuplicateFilterView: &sheets.DuplicateFilterViewRequest{FilterId: 999}},
			"Invalid requests[0].duplicateFilterView: No filter view with id: 999"},
		{&sheets.Request{UpdateFilterView: &sheets.UpdateFilterViewRequest{Filter: &sheets.FilterView{FilterViewId: 999, Title: "x"}, Fields: "title"}},
			"Invalid requests[0].updateFilterView: No filter view with id: 999"},
		{&sheets.Request{UpdateFilterView: &sheets.UpdateFilterViewRequest{Filter: &sheets.FilterView{FilterViewId: 5, Title: "x"}}},
			"Invalid requests[0].updateFilterView: At least one field must be listed in 'fields'. (Use '*' to indicate all fields.)"},
	}
	for _, tc := range cases {
		_, err := batch(t, svc, id, tc.req)
		exactErr(t, err, 400, tc.msg)
	}
	// Two adds of one id in one batch: the second is refused, the first undone.
	_, err := batch(t, svc, id, add(&sheets.FilterView{FilterViewId: 6, Range: &sheets.GridRange{}}), add(&sheets.FilterView{FilterViewId: 6, Range: &sheets.GridRange{}}))
	exactErr(t, err, 400, "Invalid requests[1].addFilterView: Filter view with id 6 already exists.")
	if fvs := filterViews(t, svc, id); len(fvs) != 1 || fvs[0].FilterViewId != 5 {
		t.Fatalf("refused batch left %+v", fvs)
	}
}

// A filter view follows its rows through insertDimension, moveDimension
// and deleteDimension; a duplicated sheet's views get ids of their own.
func TestFilterViewFollowsItsRows(t *testing.T) {
	_, svc, _ := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{AddFilterView: &sheets.AddFilterViewRequest{Filter: &sheets.FilterView{
		FilterViewId: 9, Range: &sheets.GridRange{StartRowIndex: 2, EndRowIndex: 4, StartColumnIndex: 0, EndColumnIndex: 3}}}})
	span := func() (int64, int64) {
		fvs := filterViews(t, svc, id)
		if len(fvs) != 1 {
			t.Fatalf("filterViews = %+v", fvs)
		}
		return fvs[0].Range.StartRowIndex, fvs[0].Range.EndRowIndex
	}
	mustBatch(t, svc, id, &sheets.Request{InsertDimension: &sheets.InsertDimensionRequest{Range: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 0, EndIndex: 1}}})
	if s, e := span(); s != 3 || e != 5 {
		t.Fatalf("after insert: [%d, %d), want [3, 5)", s, e)
	}
	mustBatch(t, svc, id, moveDim(0, "ROWS", 3, 5, 0))
	if s, e := span(); s != 0 || e != 2 {
		t.Fatalf("after move: [%d, %d), want [0, 2)", s, e)
	}
	res := mustBatch(t, svc, id, &sheets.Request{DuplicateSheet: &sheets.DuplicateSheetRequest{SourceSheetId: 0}})
	copyID := res.Replies[0].DuplicateSheet.Properties.SheetId
	got, err := svc.Spreadsheets.Get(id).Fields("sheets(properties.sheetId,filterViews)").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	cp := got.Sheets[1].FilterViews
	if len(cp) != 1 || cp[0].FilterViewId == 9 || cp[0].Range.SheetId != copyID {
		t.Fatalf("duplicated sheet's filter views = %+v", cp)
	}
	mustBatch(t, svc, id, delRows(0, 2))
	if fvs := filterViews(t, svc, id); len(fvs) != 0 {
		t.Fatalf("deleting every row of a filter view left it: %+v", fvs)
	}
}
