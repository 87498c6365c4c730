package sheetsemu

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// getJSON reads the spreadsheet through the raw API and returns the JSON
// value under the dotted path of the first sheet (or the top level).
func getRaw(t *testing.T, url string) map[string]any {
	t.Helper()
	code, m := rawJSON(t, "GET", url, "")
	if code != 200 {
		t.Fatalf("GET %s: %d %v", url, code, m)
	}
	return m
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestColoursAreQuantisedAndTwinned(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id,
		&sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
			Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1},
			Cell: &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{
				BackgroundColor: &sheets.Color{Red: 0.5, Green: 1},
				TextFormat:      &sheets.TextFormat{ForegroundColorStyle: &sheets.ColorStyle{RgbColor: &sheets.Color{Blue: 0.3}}},
				Borders:         &sheets.Borders{Top: &sheets.Border{Style: "SOLID", Color: &sheets.Color{Red: 0.1}}},
			}},
			Fields: "userEnteredFormat(backgroundColor,textFormat.foregroundColorStyle,borders.top)",
		}},
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{TabColorStyle: &sheets.ColorStyle{RgbColor: &sheets.Color{Red: 1, Blue: 0.5}}},
			Fields:     "tabColorStyle",
		}})
	m := getRaw(t, ts.URL+"/v4/spreadsheets/"+id+"?ranges=A1&fields=sheets(properties(tabColor,tabColorStyle),data.rowData.values.userEnteredFormat)")
	got := jsonOf(m)
	want := `{"sheets":[{"data":[{"rowData":[{"values":[{"userEnteredFormat":{` +
		`"backgroundColor":{"green":1,"red":0.49803922},"backgroundColorStyle":{"rgbColor":{"green":1,"red":0.49803922}},` +
		`"borders":{"top":{"color":{"red":0.09803922},"colorStyle":{"rgbColor":{"red":0.09803922}},"style":"SOLID"}},` +
		`"textFormat":{"foregroundColor":{"blue":0.29803923},"foregroundColorStyle":{"rgbColor":{"blue":0.29803923}}}}}]}]}],` +
		`"properties":{"tabColor":{"blue":0.49803922,"red":1},"tabColorStyle":{"rgbColor":{"blue":0.49803922,"red":1}}}}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	// Clearing the Style form clears both.
	mustBatch(t, svc, id,
		&sheets.Request{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{
			Properties: &sheets.SheetProperties{TabColorStyle: &sheets.ColorStyle{}}, Fields: "tabColorStyle"}},
		&sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
			Range: &sheets.GridRange{EndRowIndex: 1, EndColumnIndex: 1},
			Cell:  &sheets.CellData{}, Fields: "userEnteredFormat.backgroundColorStyle"}})
	m = getRaw(t, ts.URL+"/v4/spreadsheets/"+id+"?ranges=A1&fields=sheets(properties(tabColor,tabColorStyle),data.rowData.values.userEnteredFormat(backgroundColor,backgroundColorStyle))")
	if got := jsonOf(m); got != `{"sheets":[{"data":[{"rowData":[{"values":[{"userEnteredFormat":{}}]}]}],"properties":{}}]}` {
		t.Fatalf("after clearing: %s", got)
	}
}

func TestAutoResizeDimensionsSetsWidths(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	if _, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1:C2", &sheets.ValueRange{Values: rows(
		[]any{"a", "a much longer text", nil}, []any{12345, "two\nlines", nil})}).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	mustBatch(t, svc, id,
		&sheets.Request{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{Dimensions: &sheets.DimensionRange{Dimension: "COLUMNS", EndIndex: 3}}},
		&sheets.Request{AutoResizeDimensions: &sheets.AutoResizeDimensionsRequest{Dimensions: &sheets.DimensionRange{Dimension: "ROWS", StartIndex: 1, EndIndex: 2}}})
	m := getRaw(t, ts.URL+"/v4/spreadsheets/"+id+"?ranges=A1:D2&fields=sheets.data(rowMetadata,columnMetadata)")
	// A: "12345" (5 chars) → 6+35; B: 18 chars → 6+126; C empty and D
	// outside the range keep 100; row 2 holds two lines.
	want := `{"sheets":[{"data":[{"columnMetadata":[{"pixelSize":41},{"pixelSize":132},{"pixelSize":100},{"pixelSize":100}],"rowMetadata":[{"pixelSize":21},{"pixelSize":37}]}]}]}`
	if got := jsonOf(m); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestSetBasicFilterCompletesTheRange(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	mustBatch(t, svc, id, &sheets.Request{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{
		Range: &sheets.GridRange{StartRowIndex: 2, ForceSendFields: []string{"SheetId"}}}}})
	m := getRaw(t, ts.URL+"/v4/spreadsheets/"+id+"?fields=sheets.basicFilter")
	want := `{"sheets":[{"basicFilter":{"range":{"endColumnIndex":26,"endRowIndex":1000,"startColumnIndex":0,"startRowIndex":2}}}]}`
	if got := jsonOf(m); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{SetBasicFilter: &sheets.SetBasicFilterRequest{Filter: &sheets.BasicFilter{Range: &sheets.GridRange{EndRowIndex: 1001}}}}}}).Do()
	exactErr(t, err, 400, "Invalid requests[0].setBasicFilter: GridCoordinate.rowIndex[1000] is after last row in grid[999]")
}

func rawGet(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestDriveExportCSV(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	if _, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1:C3", &sheets.ValueRange{Values: rows(
		[]any{"name", "n", nil}, []any{"a,b", 1.5, true}, []any{nil, nil, `say "hi"`})}).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	code, ct, body := rawGet(t, ts.URL+"/drive/v3/files/"+id+"/export?mimeType=text%2Fcsv")
	if code != 200 || ct != "text/csv" || body != "name,n,\r\n\"a,b\",1.5,TRUE\r\n,,\"say \"\"hi\"\"\"" {
		t.Fatalf("export: %d %s %q", code, ct, body)
	}
	code, _, body = rawGet(t, ts.URL+"/drive/v3/files/"+id+"/export?mimeType=image%2Fpng")
	if code != 400 || body != `{"error":{"code":400,"message":"The requested conversion is not supported.","errors":[{"domain":"global","location":"convertTo","locationType":"parameter","message":"The requested conversion is not supported.","reason":"badRequest"}]}}`+"\n" {
		t.Fatalf("unsupported: %d %s", code, body)
	}
	code, _, body = rawGet(t, ts.URL+"/drive/v3/files/nope/export?mimeType=text%2Fcsv")
	if code != 404 || body != `{"error":{"code":404,"message":"File not found: nope.","errors":[{"domain":"global","location":"fileId","locationType":"parameter","message":"File not found: nope.","reason":"notFound"}]}}`+"\n" {
		t.Fatalf("missing file: %d %s", code, body)
	}
	if code, _, _ = rawGet(t, ts.URL+"/drive/v3/files/"+id+"/export"); code != 400 {
		t.Fatalf("no mimeType: %d", code)
	}
}

func TestDriveRootAndFolders(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	root := getRaw(t, ts.URL+"/drive/v3/files/root?fields=name,id")
	if root["name"] != "My Drive" || len(root["id"].(string)) != 19 {
		t.Fatalf("root = %v", root)
	}
	code, f := rawJSON(t, "POST", ts.URL+"/drive/v3/files", `{"name":"dir","mimeType":"application/vnd.google-apps.folder"}`)
	if code != 200 || f["mimeType"] != folderMime {
		t.Fatalf("create folder: %d %v", code, f)
	}
	list := getRaw(t, ts.URL+"/drive/v3/files?q=mimeType%3D%27application%2Fvnd.google-apps.folder%27&fields=files(name,id,parents)")
	want := `{"files":[{"id":"` + f["id"].(string) + `","name":"dir","parents":["` + root["id"].(string) + `"]}]}`
	if got := jsonOf(list); got != want {
		t.Fatalf("folders: %s\nwant %s", got, want)
	}
	list = getRaw(t, ts.URL+"/drive/v3/files?q=mimeType%3D%27application%2Fvnd.google-apps.spreadsheet%27&fields=files(id,parents)")
	if got := jsonOf(list); got != `{"files":[{"id":"`+id+`","parents":["`+root["id"].(string)+`"]}]}` {
		t.Fatalf("spreadsheets: %s", got)
	}
}
