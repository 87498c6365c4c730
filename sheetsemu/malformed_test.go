package sheetsemu

import (
	"testing"
)

// TestMalformedInputGetsGoogleStyle400 sends broken requests and checks
// each gets a 4xx in Google's envelope, never a 5xx or a crash.
func TestMalformedInputGetsGoogleStyle400(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	base := ts.URL + "/v4/spreadsheets/" + id
	bu := base + ":batchUpdate"
	cases := []struct{ method, url, body string }{
		{"POST", bu, `{not json`},
		{"POST", bu, `{"requests":[{"fooBar":{}}]}`},
		{"POST", bu, `{"requests":[{"addSheet":{},"deleteSheet":{"sheetId":0}}]}`},
		{"POST", bu, `{"requests":[{"updateCells":{"range":{"startRowIndex":-5,"endRowIndex":2},"fields":"*","rows":[{"values":[{}]}]}}]}`},
		{"POST", bu, `{"requests":[{"updateCells":{"range":{"startRowIndex":5,"endRowIndex":2},"fields":"*"}}]}`},
		{"POST", bu, `{"requests":[{"updateCells":{"start":{"rowIndex":2},"rows":[]}}]}`},
		{"POST", bu, `{"requests":[{"mergeCells":{"range":{"startRowIndex":3,"endRowIndex":1,"startColumnIndex":3,"endColumnIndex":1}}}]}`},
		{"POST", bu, `{"requests":[{"insertDimension":{"range":{"dimension":"ROWS","startIndex":0,"endIndex":999999999999}}}]}`},
		{"POST", bu, `{"requests":[{"insertDimension":{"range":{"dimension":"DIAGONAL","startIndex":0,"endIndex":1}}}]}`},
		{"POST", bu, `{"requests":[{"deleteDimension":{"range":{"dimension":"ROWS","startIndex":-3,"endIndex":1}}}]}`},
		{"POST", bu, `{"requests":[{"updateDimensionProperties":{"range":{"dimension":"ROWS","startIndex":0,"endIndex":99999999999},"properties":{"pixelSize":3},"fields":"pixelSize"}}]}`},
		{"POST", bu, `{"requests":[{"repeatCell":{"range":{"startRowIndex":0,"endRowIndex":5000},"cell":{},"fields":"*"}}]}`},
		{"POST", bu, `{"requests":[{"copyPaste":{"source":{"startRowIndex":-1,"endRowIndex":1},"destination":{"startRowIndex":0}}}]}`},
		{"POST", bu, `{"requests":[{"cutPaste":{"source":{"endRowIndex":1,"endColumnIndex":1},"destination":{"rowIndex":-4}}}]}`},
		{"POST", bu, `{"requests":[{"sortRange":{"range":{"endRowIndex":3,"endColumnIndex":1},"sortSpecs":[{"dimensionIndex":7}]}}]}`},
		{"POST", bu, `{"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"title":"x"},"fields":"bogus(("}}]}`},
		{"POST", bu, `{"requests":[{"updateSheetProperties":{"properties":{"sheetId":0,"gridProperties":{"rowCount":0}},"fields":"gridProperties.rowCount"}}]}`},
		{"POST", bu, `{"requests":[{"createDeveloperMetadata":{"developerMetadata":{"metadataKey":"k"}}}]}`},
		{"POST", bu, `{"requests":"nope"}`},
		{"PUT", base + "/values/Sheet1%21A1?valueInputOption=RAW", `{"values":"X"}`},
		{"PUT", base + "/values/Sheet1%21A1?valueInputOption=RAW", `{"values":[[{"a":1}]]}`},
		{"PUT", base + "/values/Sheet1%21A1?valueInputOption=SOMETIMES", `{"values":[[1]]}`},
		{"PUT", base + "/values/Sheet1%21A1?valueInputOption=RAW", `{"range":"Sheet1!B2","values":[[1]]}`},
		{"PUT", base + "/values/%27unterminated?valueInputOption=RAW", `{"values":[[1]]}`},
		{"GET", base + "/values/Sheet1%21A0", ""},
		{"GET", base + "/values/Nope%21A1", ""},
		{"GET", base + "/values/Sheet1%21A1?valueRenderOption=PRETTY", ""},
		{"GET", base + "/values/Sheet1%21A1?majorDimension=DIAGONAL", ""},
		{"GET", base + "?fields=sheets((", ""},
		{"GET", base + "?ranges=Nope", ""},
		{"POST", base + "/values:batchGetByDataFilter", `{"dataFilters":[{}]}`},
		{"POST", base + "/values:batchGetByDataFilter", `{"dataFilters":[{"gridRange":{"sheetId":0,"startRowIndex":-1}}]}`},
		{"POST", base + "/values/Sheet1:append?valueInputOption=RAW&insertDataOption=SIDEWAYS", `{"values":[[1]]}`},
		{"GET", base + "/developerMetadata/abc", ""},
		{"GET", ts.URL + "/v4/spreadsheets/nope", ""},
		{"GET", ts.URL + "/v4/somethingelse", ""},
	}
	for _, c := range cases {
		code, body := rawJSON(t, c.method, c.url, c.body)
		e, _ := body["error"].(map[string]any)
		if code < 400 || code >= 500 || e == nil || e["code"] != float64(code) || e["status"] == "" || e["message"] == "" {
			t.Errorf("%s %s %s → %d %v, want a 4xx Google error envelope", c.method, c.url[len(ts.URL):], c.body, code, body)
		}
	}
	// The spreadsheet is untouched by all of that.
	sp, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if gp := sp.Sheets[0].Properties.GridProperties; len(sp.Sheets) != 1 || gp.RowCount != 1000 || gp.ColumnCount != 26 {
		t.Fatalf("spreadsheet changed: %+v", gp)
	}
}
