package sheets

// Integration tests: the real google.golang.org/api/sheets/v4 client, this
// package's Client, and the sheetsemu server, end to end.

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheetsemu"
)

func startEmulator(t *testing.T, opts sheetsemu.Options) (*sheetsemu.Server, *httptest.Server) {
	t.Helper()
	emu := sheetsemu.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		_ = emu.Close()
	})
	return emu, srv
}

var shiftCols = []syncd.Column{
	{Name: "shift_id", Type: "bigint", Kind: syncd.KindInt, Scale: -1},
	{Name: "shift_date", Type: "date", Kind: syncd.KindDate, Scale: -1},
	{Name: "employee", Type: "text", Kind: syncd.KindText, Scale: -1},
	{Name: "total_sales", Type: "numeric(12,2)", Kind: syncd.KindNumeric, Scale: 2},
	{Name: "closed", Type: "boolean", Kind: syncd.KindBool, Scale: -1},
	{Name: "started_at", Type: "timestamp with time zone", Kind: syncd.KindTimestampTZ, Scale: -1},
	{Name: "meta", Type: "jsonb", Kind: syncd.KindJSON, Scale: -1},
	{Name: "big", Type: "numeric", Kind: syncd.KindNumeric, Scale: -1},
}

var shiftRows = [][]syncd.Value{
	{syncd.Text("1"), syncd.Text("2025-01-31"), syncd.Text("=IMPORTDATA(\"http://evil\")"), syncd.Text("12.50"), syncd.Text("true"),
		syncd.Text("2025-01-31 08:00:00.25+00"), syncd.Text(`{"a":[1,2]}`), syncd.Text("123456789012345678.9")},
	{syncd.Text("9007199254740993"), syncd.Text("0044-03-15 BC"), syncd.Text("+7 999 123"), syncd.Text("0.00"), syncd.Text("false"),
		syncd.Text("2025-10-26 01:30:00+00"), syncd.Text(`null`), syncd.Null},
	{syncd.Text("3"), syncd.Null, syncd.Null, syncd.Text("-1234567.89"), syncd.Null, syncd.Null, syncd.Null, syncd.Text("0")},
}

// TestEmulatorReadGivesBackEncodedCells checks the invariant comparisons
// rely on: after Encode(v) is written, Read returns exactly Encode(v),
// including for "", error-like text, zero, FALSE and text fallbacks.
func TestEmulatorReadGivesBackEncodedCells(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("Cells")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	rows := append(append([][]syncd.Value(nil), shiftRows...),
		[]syncd.Value{syncd.Text("0"), syncd.Text("2025-01-31"), syncd.Text(""), syncd.Text("0"), syncd.Text("false"),
			syncd.Text("infinity"), syncd.Text(`"#N/A"`), syncd.Text("-0.5")},
		[]syncd.Value{syncd.Text("4"), syncd.Null, syncd.Text("#N/A"), syncd.Text("NaN"), syncd.Null, syncd.Null, syncd.Null, syncd.Null})
	want := encodeRows(t, time.UTC, rows)
	if _, err := c.Apply(context.Background(), []syncd.Op{syncd.WriteRows{SheetID: 0, Row: 0, Rows: want}}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Read(context.Background(), []syncd.Range{{Tab: "Sheet1", EndRow: len(want), EndCol: len(shiftCols)}})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range want {
		for j, w := range row {
			var g syncd.Cell
			if i < len(got[0]) && j < len(got[0][i]) {
				g = got[0][i][j]
			}
			if !g.Equal(w) {
				t.Errorf("row %d %s: wrote %+v, read %+v", i, shiftCols[j].Name, w, g)
			}
		}
	}
}

func encodeRows(t *testing.T, loc *time.Location, rows [][]syncd.Value) [][]syncd.Cell {
	t.Helper()
	out := make([][]syncd.Cell, len(rows))
	for i, r := range rows {
		for j, v := range r {
			c, _ := Codec{}.Encode(shiftCols[j], v, loc)
			out[i] = append(out[i], c)
		}
	}
	return out
}

func formats() []syncd.NumberFormat {
	var f []syncd.NumberFormat
	for _, c := range shiftCols {
		f = append(f, Codec{}.Format(c))
	}
	return f
}

func headers() []string {
	var h []string
	for _, c := range shiftCols {
		h = append(h, c.Name)
	}
	return h
}

// readBack reads the tab and decodes every data row.
func readBack(t *testing.T, c *Client, tab string, loc *time.Location) [][]syncd.Value {
	t.Helper()
	got, err := c.Read(context.Background(), []syncd.Range{{Tab: tab, StartRow: 1, EndCol: len(shiftCols)}})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var out [][]syncd.Value
	for i, row := range got[0] {
		vals := make([]syncd.Value, len(shiftCols))
		for j := range shiftCols {
			var cell syncd.Cell
			if j < len(row) {
				cell = row[j]
			}
			v, err := Codec{}.Decode(shiftCols[j], cell, loc)
			if err != nil {
				t.Fatalf("row %d col %s: Decode(%+v): %v", i, shiftCols[j].Name, cell, err)
			}
			vals[j] = v
		}
		out = append(out, vals)
	}
	return out
}

func sameRows(t *testing.T, got, want [][]syncd.Value) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		for j := range want[i] {
			if got[i][j] != want[i][j] {
				t.Errorf("row %d %s = %+v, want %+v", i, shiftCols[j].Name, got[i][j], want[i][j])
			}
		}
	}
}

func TestEmulatorApplyReadInfoRoundTrip(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("Payroll")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	if info.Title != "Payroll" || len(info.Tabs) != 1 || info.Tabs[0].Title != "Sheet1" {
		t.Fatalf("Info = %+v", info)
	}
	loc := info.TimeZone

	calls, err := c.Apply(ctx, []syncd.Op{
		syncd.AddTab{SheetID: 42, Title: "Shifts 2025", Header: headers(), Formats: formats()},
		syncd.AppendRows{SheetID: 42, Rows: encodeRows(t, loc, shiftRows), Formats: formats()},
	})
	if err != nil || calls != 1 {
		t.Fatalf("Apply(AddTab, AppendRows) = %d calls, %v; want 1", calls, err)
	}
	info, err = c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tab, ok := info.Tab("Shifts 2025")
	if !ok || tab.SheetID != 42 || tab.FrozenRows != 1 {
		t.Fatalf("new tab = %+v (found %v); want sheet 42 with a frozen header", tab, ok)
	}
	head, err := c.Read(ctx, []syncd.Range{{Tab: "Shifts 2025", EndRow: 1, EndCol: len(shiftCols)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(head[0]) != 1 || len(head[0][0]) != len(shiftCols) || head[0][0][3] != syncd.StringCell("total_sales") {
		t.Errorf("header row = %+v", head)
	}
	sameRows(t, readBack(t, c, "Shifts 2025", loc), shiftRows)

	// Ranges A1 cannot express are read wide and cropped.
	got, err := c.Read(ctx, []syncd.Range{
		{Tab: "Shifts 2025", StartRow: 1},
		{Tab: "Shifts 2025", StartRow: 1, EndCol: len(shiftCols)},
		{Tab: "Shifts 2025", StartRow: 2, StartCol: 3},
		{Tab: "Shifts 2025", StartRow: 2, EndRow: 3, StartCol: 3},
	})
	if err != nil {
		t.Fatalf("Read of open ranges: %v", err)
	}
	if fmt.Sprint(got[0]) != fmt.Sprint(got[1]) {
		t.Errorf("Tab from row 2 = %v\nwant %v", got[0], got[1])
	}
	if want := got[1][1][3:]; fmt.Sprint(got[2][0]) != fmt.Sprint(want) || len(got[2]) != 2 || len(got[3]) != 1 || fmt.Sprint(got[3][0]) != fmt.Sprint(want) {
		t.Errorf("D3 onwards = %v, D3:3 = %v; want first row %v", got[2], got[3], want)
	}

	// Overwrite row 2 (0-based: the first data row is 1), delete the
	// last data row, rename the tab: one call.
	changed := [][]syncd.Value{append([]syncd.Value(nil), shiftRows[0]...)}
	changed[0][3] = syncd.Text("99.99")
	changed[0][2] = syncd.Text("Ann")
	calls, err = c.Apply(ctx, []syncd.Op{
		syncd.WriteRows{SheetID: 42, Row: 1, Rows: encodeRows(t, loc, changed)},
		syncd.DeleteRows{SheetID: 42, Start: 3, End: 4},
		syncd.RenameTab{SheetID: 42, Title: "Shifts"},
	})
	if err != nil || calls != 1 {
		t.Fatalf("second Apply = %d calls, %v", calls, err)
	}
	sameRows(t, readBack(t, c, "Shifts", loc), [][]syncd.Value{changed[0], shiftRows[1]})
	if st := c.Stats(); st.WriteCalls != 2 || st.ReadCalls != 6 || st.RateLimited != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestEmulatorTimeZoneComesFromTheSpreadsheet(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("TZ")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Spreadsheets.BatchUpdate(id, batchSetTimeZone("Asia/Kolkata")).Do(); err != nil {
		t.Fatalf("emulator cannot change the time zone: %v", err)
	}
	info, err := c.Info(context.Background())
	if err != nil || info.TimeZone.String() != "Asia/Kolkata" {
		t.Fatalf("Info = %v, %v; want Asia/Kolkata", info.TimeZone, err)
	}
}

func TestEmulatorAccessErrorsNameTheAccount(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	sa, key, err := sheetsemu.GenerateServiceAccount("syncd@demo.iam.gserviceaccount.com", srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	emu.AddServiceAccount(sa)
	path := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(path, key, 0o600); err != nil {
		t.Fatal(err)
	}
	id := emu.CreateSpreadsheet("Private")
	if err := emu.Share(id, "someone-else@demo.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	open := func(id string) *Client {
		c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, CredentialsFile: path, Quota: NewQuota(0, 0, nil)})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	_, err = open(id).Info(context.Background())
	if !errors.Is(err, ErrNotShared) || !strings.Contains(err.Error(), "not shared with syncd@demo.iam.gserviceaccount.com: share it with that address as Editor") {
		t.Errorf("unshared spreadsheet: %v", err)
	}
	_, err = open("no-such-spreadsheet").Info(context.Background())
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "spreadsheet no-such-spreadsheet not found") {
		t.Errorf("missing spreadsheet: %v", err)
	}
	if err := emu.Share(id, "syncd@demo.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	if _, err := open(id).Info(context.Background()); err != nil {
		t.Errorf("after sharing: %v", err)
	}
	// The token carries the Drive scope too: Version works with the same key.
	if v, err := open(id).Version(context.Background()); err != nil || v < 1 {
		t.Errorf("Version after sharing = %d, %v", v, err)
	}
}

// TestEmulatorQuotaNeverSees429 runs more writes than the quota allows in
// a minute, with the emulator enforcing the same per-minute quota on the
// same (fake) clock: our pacing must keep every request under it. A client
// paced faster than the emulator's quota is the control: it must see 429s.
func TestEmulatorQuotaNeverSees429(t *testing.T) {
	for _, tt := range []struct {
		name        string
		clientLimit int
		want429     bool
	}{
		{"paced at the quota", 3, false},
		{"paced above the quota (control)", 6, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := newFakeClock()
			emu, srv := startEmulator(t, sheetsemu.Options{WriteQuota: 3, ReadQuota: 3, Now: clock.Now})
			id := emu.CreateSpreadsheet("Quota")
			c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Clock: clock,
				Quota: NewQuota(tt.clientLimit, tt.clientLimit, clock)})
			if err != nil {
				t.Fatal(err)
			}
			const writes = 8
			done := make(chan error, 1)
			go func() {
				for i := 0; i < writes; i++ {
					op := syncd.WriteRows{SheetID: 0, Row: i, Rows: [][]syncd.Cell{{syncd.NumberCell(float64(i))}}}
					if _, err := c.Apply(context.Background(), []syncd.Op{op}); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			if err := clock.runUntil(t, done); err != nil {
				t.Fatal(err)
			}
			st := c.Stats()
			rejected := emu.Stats()[id].Rejected
			if tt.want429 != (st.RateLimited > 0) || int64(st.RateLimited) != rejected {
				t.Errorf("client saw %d 429s, emulator rejected %d; want429 = %v", st.RateLimited, rejected, tt.want429)
			}
			if st.WriteCalls-st.Retries != writes {
				t.Errorf("stats %+v for %d writes", st, writes)
			}
		})
	}
}

func batchSetTimeZone(tz string) *sheetsapi.BatchUpdateSpreadsheetRequest {
	return &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{{
		UpdateSpreadsheetProperties: &sheetsapi.UpdateSpreadsheetPropertiesRequest{
			Properties: &sheetsapi.SpreadsheetProperties{TimeZone: tz}, Fields: "timeZone",
		},
	}}}
}

// TestEmulatorConcurrentUse runs Applies and Reads from several goroutines
// on one Client (run with -race).
func TestEmulatorConcurrentUse(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("Busy")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(1000, 1000, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				op := syncd.WriteRows{SheetID: 0, Row: g*5 + i, Rows: [][]syncd.Cell{{syncd.NumberCell(float64(g*5 + i))}}}
				if _, err := c.Apply(context.Background(), []syncd.Op{op}); err != nil {
					errs <- err
					return
				}
				if _, err := c.Read(context.Background(), []syncd.Range{{Tab: "Sheet1", EndCol: 1}}); err != nil {
					errs <- err
					return
				}
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := c.Read(context.Background(), []syncd.Range{{Tab: "Sheet1", EndCol: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 40 || got[0][39][0] != syncd.NumberCell(39) {
		t.Errorf("after 40 concurrent writes the column has %d rows", len(got[0]))
	}
	if st := c.Stats(); st.WriteCalls != 40 || st.ReadCalls != 41 {
		t.Errorf("stats %+v", st)
	}
}

// TestEmulatorAppendedRowsCarryColumnFormats appends past the 1,000 rows a
// new tab starts with and checks the last appended cell still has the
// column's DATE format, which is re-applied to whole columns after every
// append instead of being sent with each cell.
func TestEmulatorAppendedRowsCarryColumnFormats(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("Formats")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	date := Codec{}.Format(colDate)
	formats := []syncd.NumberFormat{{}, date}
	rows := make([][]syncd.Cell, 1200)
	for i := range rows {
		rows[i] = []syncd.Cell{syncd.NumberCell(float64(i)), syncd.NumberCell(45688 + float64(i))}
	}
	ctx := context.Background()
	if _, err := c.Apply(ctx, []syncd.Op{syncd.AddTab{SheetID: 5, Title: "T", Header: []string{"n", "day"}, Formats: formats}}); err != nil {
		t.Fatal(err)
	}
	if calls, err := c.Apply(ctx, []syncd.Op{syncd.AppendRows{SheetID: 5, Rows: rows, Formats: formats}}); err != nil || calls != 1 {
		t.Fatalf("Apply(AppendRows) = %d calls, %v", calls, err)
	}
	ss, err := c.svc.Spreadsheets.Get(id).Ranges("T!B1201").
		Fields("sheets.data.rowData.values(userEnteredValue,userEnteredFormat.numberFormat)").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	var cell *sheetsapi.CellData
	for _, s := range ss.Sheets {
		for _, d := range s.Data {
			if len(d.RowData) > 0 && len(d.RowData[0].Values) > 0 {
				cell = d.RowData[0].Values[0]
			}
		}
	}
	if cell == nil || cell.UserEnteredValue == nil || cell.UserEnteredValue.NumberValue == nil || *cell.UserEnteredValue.NumberValue != 45688+1199 {
		t.Fatalf("cell B1201 = %+v, want the last appended date", cell)
	}
	if f := cell.UserEnteredFormat; f == nil || f.NumberFormat == nil || f.NumberFormat.Type != "DATE" || f.NumberFormat.Pattern != date.Pattern {
		t.Errorf("cell B1201 format = %+v, want %+v", f, date)
	}
}

// TestEmulatorReadByIDIgnoresTitles: ranges addressed by sheet id read the
// tab with that id whatever it is called now (one batchGetByDataFilter
// call, mixed with ranges by title), and any rectangle is expressible; a
// sheet id that no tab has is an error, never another tab's cells.
func TestEmulatorReadByIDIgnoresTitles(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("ById")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	cells := func(rows ...[]string) [][]syncd.Cell {
		var out [][]syncd.Cell
		for _, r := range rows {
			var row []syncd.Cell
			for _, v := range r {
				row = append(row, syncd.StringCell(v))
			}
			out = append(out, row)
		}
		return out
	}
	if _, err := c.Apply(ctx, []syncd.Op{
		syncd.AddTab{SheetID: 7, Title: "Ledger", Header: []string{"k", "v", "w"}},
		syncd.AppendRows{SheetID: 7, Rows: cells([]string{"a", "1", "x"}, []string{"b", "2", "y"})},
		syncd.RenameTab{SheetID: 7, Title: "Ledger backup"},
		syncd.AddTab{SheetID: 8, Title: "Ledger", Header: []string{"person's"}},
	}); err != nil {
		t.Fatal(err)
	}
	before := c.Stats()
	got, err := c.Read(ctx, []syncd.Range{
		{Tab: "Ledger", SheetID: 7, ByID: true},
		{Tab: "Ledger", SheetID: 7, ByID: true, StartRow: 1, StartCol: 1, EndCol: 2},
		{Tab: "Ledger", SheetID: 7, ByID: true, StartRow: 1, StartCol: 1, EndCol: 2}, // the same range twice
		{Tab: "Ledger"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := [][][]syncd.Cell{
		cells([]string{"k", "v", "w"}, []string{"a", "1", "x"}, []string{"b", "2", "y"}),
		cells([]string{"1"}, []string{"2"}),
		cells([]string{"1"}, []string{"2"}),
		cells([]string{"person's"}),
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Read = %v\nwant %v", got, want)
	}
	if n := c.Stats().ReadCalls - before.ReadCalls; n != 1 {
		t.Errorf("Read made %d read calls, want 1", n)
	}
	if _, err := c.Read(ctx, []syncd.Range{{Tab: "Ledger", SheetID: 99, ByID: true}}); err == nil {
		t.Fatal("read of a sheet id no tab has succeeded")
	}
}
