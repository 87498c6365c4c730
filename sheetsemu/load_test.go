package sheetsemu

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadLegacyFixtureAndRenderHTML(t *testing.T) {
	emu, svc, ts := newClient(t, Options{})
	f, err := os.Open(filepath.Join(findFixture(t, "legacy-sheet"), "legacy-shift-bot.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	id, err := emu.Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if id != "legacy-shift-bot-7" {
		t.Fatalf("id = %q, want the document's spreadsheetId", id)
	}
	sp, err := svc.Spreadsheets.Get(id).Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if sp.Properties.TimeZone != "Europe/Moscow" || sp.Properties.Locale != "ru_RU" || sp.Sheets[0].Properties.Title != "Shifts" ||
		sp.Sheets[0].Properties.GridProperties.FrozenRowCount != 1 {
		t.Fatalf("loaded properties = %+v / %+v", sp.Properties, sp.Sheets[0].Properties)
	}
	vr, err := svc.Spreadsheets.Values.Get(id, "Shifts!A1:C1").Context(t.Context()).Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(vr.Values) != 1 || vr.Values[0][0] != "ID" || vr.Values[0][1] != "Date" {
		t.Fatalf("header = %v", vr.Values)
	}

	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	html := string(page)
	if resp.StatusCode != 200 || !strings.Contains(html, "Смены — бот (legacy)") || !strings.Contains(html, "<h3>Shifts") ||
		!strings.Contains(html, `font-weight:bold`) || !strings.Contains(html, `class="frozen"`) {
		t.Fatalf("HTML view lacks the spreadsheet, bold header or frozen row (status %d, %d bytes)", resp.StatusCode, len(page))
	}

	if _, err := emu.Load(strings.NewReader(`{"sheets":[{"properties":{"title":"A"}},{"properties":{"title":"A"}}]}`)); err == nil {
		t.Fatalf("duplicate sheet titles must be rejected")
	}
	if _, err := emu.Load(strings.NewReader(`{not json`)); err == nil {
		t.Fatalf("malformed JSON must be rejected")
	}
}

func TestHTMLAppliesNumberFormats(t *testing.T) {
	emu, _, ts := newClient(t, Options{})
	_, err := emu.Load(strings.NewReader(`{"properties":{"title":"Fmt"},"sheets":[{"properties":{"sheetId":0,"title":"S"},"data":[{"rowData":[{"values":[
	 {"userEnteredValue":{"numberValue":45292},"userEnteredFormat":{"numberFormat":{"type":"DATE","pattern":"yyyy-mm-dd"}}},
	 {"userEnteredValue":{"numberValue":1234.5},"userEnteredFormat":{"numberFormat":{"type":"CURRENCY","pattern":"\"$\"#,##0.00"}}},
	 {"userEnteredValue":{"numberValue":0.125},"userEnteredFormat":{"numberFormat":{"type":"PERCENT","pattern":"0.0%"}}}]}]}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	page, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"2024-01-01", "$1,234.50", "12.5%"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("HTML lacks %q", want)
		}
	}
}
