package sheets

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/syncd/syncd"
)

// recorder is an httptest Sheets endpoint that answers every batchUpdate
// with {} and keeps the bodies.
type recorder struct {
	mu     sync.Mutex
	bodies [][]byte
	paths  []string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	b, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.bodies = append(r.bodies, b)
	r.paths = append(r.paths, req.Method+" "+req.URL.EscapedPath())
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"spreadsheetId":"sid"}`)
}

// requests decodes the requests of the i-th body as generic JSON.
func (r *recorder) requests(t *testing.T, i int) []map[string]any {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var body struct {
		Requests []map[string]any `json:"requests"`
	}
	if err := json.Unmarshal(r.bodies[i], &body); err != nil {
		t.Fatalf("body %d: %v", i, err)
	}
	return body.Requests
}

func newTestClient(t *testing.T, h http.Handler, opts Options) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	opts.Endpoint = srv.URL
	if opts.SpreadsheetID == "" {
		opts.SpreadsheetID = "sid"
	}
	if opts.Quota == nil {
		opts.Quota = NewQuota(1000, 1000, opts.Clock)
	}
	c, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

// jsonOf re-encodes v so expectations can be written as JSON text.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestApplyWireShapes(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, Options{})
	date := syncd.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}
	money := syncd.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}
	ops := []syncd.Op{
		syncd.AddTab{SheetID: 7, Title: "Shifts", Header: []string{"id", "day", "total"}, Formats: []syncd.NumberFormat{{}, date, money}},
		syncd.WriteRows{SheetID: 0, Row: 0, Rows: [][]syncd.Cell{{syncd.NumberCell(0), syncd.BoolCell(false), {}, syncd.StringCell("=1+2")}}},
		syncd.AppendRows{SheetID: 7, Rows: [][]syncd.Cell{{syncd.NumberCell(1), syncd.NumberCell(45688), syncd.NumberCell(12.5)}}, Formats: []syncd.NumberFormat{{}, date, money}},
		syncd.DeleteRows{SheetID: 0, Start: 0, End: 2},
		syncd.RenameTab{SheetID: 7, Title: "Shifts 2025"},
		syncd.FormatColumns{SheetID: 0, Header: []string{"a"}, Formats: []syncd.NumberFormat{money, money}},
		syncd.WriteRows{SheetID: 7, Row: 3, Col: 2, Rows: [][]syncd.Cell{{syncd.StringCell("<b>&")}}},
	}
	calls, err := c.Apply(context.Background(), ops)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if calls != 1 || len(rec.bodies) != 1 {
		t.Fatalf("Apply made %d calls (%d bodies), want 1", calls, len(rec.bodies))
	}
	if want := "POST /v4/spreadsheets/sid:batchUpdate"; rec.paths[0] != want {
		t.Errorf("path %q, want %q", rec.paths[0], want)
	}
	want := []string{
		`{"addSheet":{"properties":{"gridProperties":{"columnCount":26,"rowCount":1000},"sheetId":7,"title":"Shifts"}}}`,
		`{"updateCells":{"fields":"userEnteredValue,userEnteredFormat.textFormat.bold","rows":[{"values":[` +
			`{"userEnteredFormat":{"textFormat":{"bold":true}},"userEnteredValue":{"stringValue":"id"}},` +
			`{"userEnteredFormat":{"textFormat":{"bold":true}},"userEnteredValue":{"stringValue":"day"}},` +
			`{"userEnteredFormat":{"textFormat":{"bold":true}},"userEnteredValue":{"stringValue":"total"}}]}],` +
			`"start":{"columnIndex":0,"rowIndex":0,"sheetId":7}}}`,
		`{"updateSheetProperties":{"fields":"gridProperties.frozenRowCount","properties":{"gridProperties":{"frozenRowCount":1},"sheetId":7}}}`,
		`{"repeatCell":{"cell":{"userEnteredFormat":{"numberFormat":{"pattern":"yyyy-mm-dd","type":"DATE"}}},"fields":"userEnteredFormat.numberFormat","range":{"endColumnIndex":2,"sheetId":7,"startColumnIndex":1,"startRowIndex":1}}}`,
		`{"repeatCell":{"cell":{"userEnteredFormat":{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"}}},"fields":"userEnteredFormat.numberFormat","range":{"endColumnIndex":3,"sheetId":7,"startColumnIndex":2,"startRowIndex":1}}}`,
		`{"autoResizeDimensions":{"dimensions":{"dimension":"COLUMNS","endIndex":3,"sheetId":7,"startIndex":0}}}`,
		`{"updateCells":{"fields":"userEnteredValue","rows":[{"values":[{"userEnteredValue":{"numberValue":0}},{"userEnteredValue":{"boolValue":false}},{},{"userEnteredValue":{"stringValue":"=1+2"}}]}],"start":{"columnIndex":0,"rowIndex":0,"sheetId":0}}}`,
		`{"appendCells":{"fields":"userEnteredValue","rows":[{"values":[{"userEnteredValue":{"numberValue":1}},{"userEnteredValue":{"numberValue":45688}},{"userEnteredValue":{"numberValue":12.5}}]}],"sheetId":7}}`,
		`{"repeatCell":{"cell":{"userEnteredFormat":{"numberFormat":{"pattern":"yyyy-mm-dd","type":"DATE"}}},"fields":"userEnteredFormat.numberFormat","range":{"endColumnIndex":2,"sheetId":7,"startColumnIndex":1,"startRowIndex":1}}}`,
		`{"repeatCell":{"cell":{"userEnteredFormat":{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"}}},"fields":"userEnteredFormat.numberFormat","range":{"endColumnIndex":3,"sheetId":7,"startColumnIndex":2,"startRowIndex":1}}}`,
		`{"deleteDimension":{"range":{"dimension":"ROWS","endIndex":2,"sheetId":0,"startIndex":0}}}`,
		`{"updateSheetProperties":{"fields":"title","properties":{"sheetId":7,"title":"Shifts 2025"}}}`,
		`{"updateCells":{"fields":"userEnteredValue,userEnteredFormat.textFormat.bold","rows":[{"values":[{"userEnteredFormat":{"textFormat":{"bold":true}},"userEnteredValue":{"stringValue":"a"}}]}],"start":{"columnIndex":0,"rowIndex":0,"sheetId":0}}}`,
		`{"updateSheetProperties":{"fields":"gridProperties.frozenRowCount","properties":{"gridProperties":{"frozenRowCount":1},"sheetId":0}}}`,
		`{"repeatCell":{"cell":{"userEnteredFormat":{"numberFormat":{"pattern":"#,##0.00","type":"NUMBER"}}},"fields":"userEnteredFormat.numberFormat","range":{"endColumnIndex":2,"sheetId":0,"startColumnIndex":0,"startRowIndex":1}}}`,
		`{"updateCells":{"fields":"userEnteredValue","rows":[{"values":[{"userEnteredValue":{"stringValue":"\u003cb\u003e\u0026"}}]}],"start":{"columnIndex":2,"rowIndex":3,"sheetId":7}}}`,
	}
	got := rec.requests(t, 0)
	if len(got) != len(want) {
		for _, r := range got {
			t.Log(jsonOf(t, r))
		}
		t.Fatalf("%d requests, want %d", len(got), len(want))
	}
	for i := range want {
		if g := jsonOf(t, got[i]); g != want[i] {
			t.Errorf("request %d:\n got %s\nwant %s", i, g, want[i])
		}
	}
}

func TestApplyRejectsBadOpsWithoutCalling(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, Options{})
	for _, op := range []syncd.Op{
		syncd.AddTab{Title: "no id"},
		syncd.DeleteRows{SheetID: 1, Start: 5, End: 5},
		syncd.WriteRows{SheetID: 1, Row: -1},
		syncd.WriteRows{SheetID: 1, Col: -1},
		syncd.RenameTab{SheetID: 1},
		nil,
	} {
		calls, err := c.Apply(context.Background(), []syncd.Op{syncd.RenameTab{SheetID: 1, Title: "ok"}, op})
		if err == nil || calls != 0 {
			t.Errorf("Apply(%#v) = %d calls, err %v; want 0 calls and an error", op, calls, err)
		}
	}
	if len(rec.bodies) != 0 {
		t.Errorf("%d requests sent for invalid ops", len(rec.bodies))
	}
	if calls, err := c.Apply(context.Background(), nil); calls != 0 || err != nil {
		t.Errorf("Apply(nil) = %d, %v", calls, err)
	}
	empty := []syncd.Op{syncd.AppendRows{SheetID: 1, Formats: []syncd.NumberFormat{{Type: "DATE"}}}, syncd.WriteRows{SheetID: 1, Row: 1}}
	if calls, err := c.Apply(context.Background(), empty); calls != 0 || err != nil || len(rec.bodies) != 0 {
		t.Errorf("Apply of ops without rows = %d calls, %v, %d bodies; want nothing sent", calls, err, len(rec.bodies))
	}
}

// rows returns n rows of cols cells of typical syncd data.
func rows(n, cols int) [][]syncd.Cell {
	out := make([][]syncd.Cell, n)
	for i := range out {
		row := make([]syncd.Cell, cols)
		for j := range row {
			switch j % 3 {
			case 0:
				row[j] = syncd.NumberCell(float64(i*cols + j))
			case 1:
				row[j] = syncd.StringCell("employee " + strings.Repeat("x", j))
			default:
				row[j] = syncd.NumberCell(45688 + float64(i)/7)
			}
		}
		out[i] = row
	}
	return out
}

func TestApplySplitsOnlyOverTheSizeLimitKeepingOrder(t *testing.T) {
	const limit = 20_000
	rec := &recorder{}
	c := newTestClient(t, rec, Options{MaxRequestBytes: limit})
	ops := []syncd.Op{
		syncd.AddTab{SheetID: 9, Title: "Big", Header: []string{"a", "b", "c"}},
		syncd.WriteRows{SheetID: 9, Row: 1, Rows: rows(600, 10)},
		syncd.DeleteRows{SheetID: 9, Start: 700, End: 701},
		syncd.AppendRows{SheetID: 9, Rows: rows(300, 10)},
	}
	calls, err := c.Apply(context.Background(), ops)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	if calls < 3 || calls != len(rec.bodies) {
		t.Fatalf("calls = %d, bodies = %d; want several, equal", calls, len(rec.bodies))
	}
	var kinds []string
	nextRow, written, appended := 1, 0, 0
	for i, b := range rec.bodies {
		if len(b) > limit {
			t.Errorf("body %d is %d bytes, limit %d", i, len(b), limit)
		}
		for _, r := range rec.requests(t, i) {
			for k, v := range r {
				kinds = append(kinds, k)
				switch k {
				case "updateCells":
					u := v.(map[string]any)
					if u["fields"] != "userEnteredValue" {
						continue // the header
					}
					start := u["start"].(map[string]any)
					if int(start["rowIndex"].(float64)) != nextRow {
						t.Errorf("chunk starts at row %v, want %d", start["rowIndex"], nextRow)
					}
					n := len(u["rows"].([]any))
					nextRow += n
					written += n
				case "appendCells":
					appended += len(v.(map[string]any)["rows"].([]any))
				}
			}
		}
		if i == 0 && (kinds[0] != "addSheet" || !contains(kinds, "updateCells")) {
			t.Errorf("first batch %v does not carry the AddTab with the first rows", kinds)
		}
	}
	if written != 600 || appended != 300 {
		t.Errorf("wrote %d rows, appended %d; want 600 and 300", written, appended)
	}
	del := indexOf(kinds, "deleteDimension")
	if del < 0 || lastIndexOf(kinds, "updateCells") > del || indexOf(kinds, "appendCells") < del {
		t.Errorf("op order lost: %v", kinds)
	}
}

func contains(s []string, v string) bool { return indexOf(s, v) >= 0 }

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func lastIndexOf(s []string, v string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == v {
			return i
		}
	}
	return -1
}

// TestSizeEstimateMatchesBodyFor1000Rows measures the body of 1,000 rows × 10 columns
// and checks the estimate the planner splits on matches the real body.
func TestSizeEstimateMatchesBodyFor1000Rows(t *testing.T) {
	rec := &recorder{}
	c := newTestClient(t, rec, Options{})
	if _, err := c.Apply(context.Background(), []syncd.Op{syncd.WriteRows{SheetID: 1, Row: 1, Rows: rows(1000, 10)}}); err != nil {
		t.Fatal(err)
	}
	batches, err := planBatches([]syncd.Op{syncd.WriteRows{SheetID: 1, Row: 1, Rows: rows(1000, 10)}}, DefaultMaxRequestBytes)
	if err != nil {
		t.Fatal(err)
	}
	real := len(rec.bodies[0])
	t.Logf("1,000 rows × 10 columns: %d bytes on the wire, estimated %d", real, batches[0].size)
	if d := batches[0].size - real; d < -8 || d > 8 {
		t.Errorf("size estimate %d is off the real body %d by %d", batches[0].size, real, d)
	}
}

// TestRowSizeMatchesEncoding checks the size the planner computes without
// encoding against what encoding/json produces, on awkward cells.
func TestRowSizeMatchesEncoding(t *testing.T) {
	cells := []syncd.Cell{
		{}, syncd.NumberCell(0), syncd.NumberCell(math.Copysign(0, -1)), syncd.NumberCell(1e-7), syncd.NumberCell(1.5e-300),
		syncd.NumberCell(1e21), syncd.NumberCell(123456789012345678), syncd.NumberCell(45688.142857142855), syncd.NumberCell(-2.5e-6),
		syncd.NumberCell(math.NaN()), syncd.NumberCell(math.Inf(-1)), syncd.BoolCell(true), syncd.BoolCell(false),
		syncd.StringCell(""), syncd.StringCell(`<a href="x">&'</a>`), syncd.StringCell("tab\there\nnew\x01\x1f\\"),
		syncd.StringCell("bad \xff utf8 \u2028\u2029 😀 ж"), {Type: syncd.CellError, String: "#REF!"},
	}
	for i := range cells {
		row := cells[i:min(i+3, len(cells))]
		want, err := json.Marshal(rowData([][]syncd.Cell{row})[0])
		if err != nil {
			t.Fatal(err)
		}
		if got := rowSize(row); got != len(want) {
			t.Errorf("rowSize(%+v) = %d, encoding is %d: %s", row, got, len(want), want)
		}
	}
	if got := rowSize(nil); got != 2 {
		t.Errorf("empty row size %d", got)
	}
}
