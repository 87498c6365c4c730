package sheetsemu

import "testing"

func TestRoutingAcceptsPrefixVariationsAndEncodedVerbs(t *testing.T) {
	_, svc, ts := newClient(t, Options{})
	id := newSpreadsheet(t, svc, "t").SpreadsheetId
	for _, p := range []string{"/v4/spreadsheets/", "/spreadsheets/", "/sheets/v4/spreadsheets/"} {
		code, body := rawJSON(t, "PUT", ts.URL+p+id+"/values/Sheet1%21B2?valueInputOption=RAW", `{"values":[["x"]]}`)
		if code != 200 || body["updatedRange"] != "Sheet1!B2" {
			t.Errorf("%s: %d %v", p, code, body)
		}
	}
	// An unencoded range with ':' inside and no verb is still a range.
	code, body := rawJSON(t, "GET", ts.URL+"/v4/spreadsheets/"+id+"/values/Sheet1!A1:B2", "")
	if code != 200 || body["range"] != "Sheet1!A1:B2" {
		t.Fatalf("unencoded range: %d %v", code, body)
	}
	// The verb after the last literal ':' wins over an encoded one.
	code, body = rawJSON(t, "POST", ts.URL+"/v4/spreadsheets/"+id+"/values/Sheet1%21B2%3AB3:clear", "")
	if code != 200 || body["clearedRange"] != "Sheet1!B2:B3" {
		t.Fatalf("clear: %d %v", code, body)
	}
}
