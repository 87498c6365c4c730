package sheetsemu

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/api/sheets/v4"
)

// TestDecodeFastMatchesUnmarshal checks the fast decoder's contract: when
// it takes a body, it yields exactly what json.Unmarshal does; bodies it
// does not fully understand are left to json.Unmarshal.
func TestDecodeFastMatchesUnmarshal(t *testing.T) {
	pad := strings.Repeat(`{"userEnteredValue":{"stringValue":"x"}},`, 200)
	for _, tc := range []struct {
		body string
		fast bool
	}{
		{`{"appendCells":{"sheetId":3,"fields":"userEnteredValue","rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":1.5}},null,{},{"userEnteredValue":{"boolValue":false}},{"userEnteredValue":{"formulaValue":"=A1"}}]},null,{},{"values":null}]}}`, true},
		{`{"updateCells":{"start":{"sheetId":1,"rowIndex":2},"fields":"*","rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":-0,"stringValue":"both"}}]}]}}`, true},
		{`{"updateCells":{"range":{"sheetId":1,"endRowIndex":2},"fields":"*","rows":[{"values":[` + pad + `{"userEnteredValue":{}}]}]}}`, true},
		{`{"appendCells":{"fields":"*","rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":"NaN"}}]}]}}`, false},
		{`{"appendCells":{"fields":"*","rows":[{"values":[` + pad + `{"note":"n"}]}]}}`, false},
		{`{"appendCells":{"fields":"*","rows":[{"values":[` + pad + `{"userEnteredValue":{"errorValue":{"type":"REF"}}}]}]}}`, false},
		{`{"appendCells":{"fields":"*","rows":[{"values":[` + pad + `{}]}]},"repeatCell":{}}`, false},
		{" {\"updateCells\" : {\"rows\" : [ {\"values\" : [" + pad + ` { "userEnteredValue" : { "stringValue" : "a\"b\u00e9\n" , "numberValue" : 1E+2 } } , {"userEnteredValue":{"stringValue":"héllo","numberValue":-0.5e-3,"boolValue":true}} ] } ] , "fields" : "userEnteredValue" , "start" : {"rowIndex": 4} } } `, true},
		{`{"appendCells":{"rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":1,"numberValue":2}}]}]}}`, false},
		{`{"appendCells":{"Rows":[{"values":[` + pad + `{}]}]}}`, false},
		{`{"appendCells":{"rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":01}}]}]}}`, false},
		{`{"appendCells":{"rows":[{"values":[` + pad + `{"userEnteredValue":{"numberValue":1e999}}]}]}}`, false},
		{`{"appendCells":{"rows":[{"values":[` + pad + `{"userEnteredValue":{"stringValue":"ÿ"}}]}]}}`, true},
		{`{"appendCells":{"rows":[{"values":[` + pad + `]}]}} x`, false},
	} {
		var want, got sheets.Request
		if err := json.Unmarshal([]byte(tc.body), &want); err != nil && tc.fast {
			t.Fatalf("%v: %.80s", err, tc.body)
		}
		fast := decodeFast([]byte(tc.body), &got)
		if fast != tc.fast {
			t.Errorf("decodeFast took %v, want %v: %.80s", fast, tc.fast, tc.body)
		}
		if fast && !reflect.DeepEqual(got, want) {
			t.Errorf("decodeFast differs from json.Unmarshal for %.80s", tc.body)
		}
	}
}
