package sheetsemu

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

// BenchmarkMirror100kRows measures the syncd-shaped workload: append
// 100,000 rows × 10 typed columns in 2 MB-ish batches, then read the tab
// back once, through the real client.
func BenchmarkMirror100kRows(b *testing.B) {
	for i := 0; i < b.N; i++ {
		emu := New(Options{})
		id := emu.CreateSpreadsheet("bench")
		svc, ts := benchClient(b, emu)
		const total, perBatch = 100_000, 10_000
		for start := 0; start < total; start += perBatch {
			rowsData := make([]*sheets.RowData, perBatch)
			for r := range rowsData {
				vals := make([]*sheets.CellData, 10)
				for c := range vals {
					if c%2 == 0 {
						vals[c] = numCell(float64(start + r))
					} else {
						vals[c] = strCell(fmt.Sprintf("r%dc%d", start+r, c))
					}
				}
				rowsData[r] = &sheets.RowData{Values: vals}
			}
			_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
				{AppendCells: &sheets.AppendCellsRequest{SheetId: 0, Fields: "userEnteredValue", Rows: rowsData}},
			}}).Do()
			if err != nil {
				b.Fatal(err)
			}
		}
		vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1").ValueRenderOption("UNFORMATTED_VALUE").Do()
		if err != nil {
			b.Fatal(err)
		}
		if len(vr.Values) != total {
			b.Fatalf("read %d rows", len(vr.Values))
		}
		ts.Close()
	}
}

// BenchmarkCopy100kx10 replays the shape of syncd's COPY of a 100,000-row
// × 10-column table: a header written and frozen, then a stream of ~2 MB
// batchUpdates, each an appendCells of the next rows followed by repeatCell
// number formats from those rows to the end of the grid (what sheets.
// appendRowsUnits sends), then one full read. It reports the emulator's own
// handler time (handler-s), the live heap the emulator keeps afterwards
// (live-MB) and the process's peak RSS (rss-peak-MB, client included).
// Run it with: go test -run XXX -bench Copy100k -benchtime 1x -count 5 ./sheetsemu
func BenchmarkCopy100kx10(b *testing.B) {
	const total, cols, perBatch = 100_000, 10, 8_000
	// Build the requests once: client-side cost is not what is measured.
	var batches []*sheets.BatchUpdateSpreadsheetRequest
	header := &sheets.RowData{}
	for c := 0; c < cols; c++ {
		header.Values = append(header.Values, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr(fmt.Sprintf("col%d", c))},
			UserEnteredFormat: &sheets.CellFormat{TextFormat: &sheets.TextFormat{Bold: true}}})
	}
	batches = append(batches, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{ColumnCount: cols, RowCount: 2}},
			Fields: "gridProperties.columnCount,gridProperties.rowCount"}},
		{UpdateCells: &sheets.UpdateCellsRequest{Start: &sheets.GridCoordinate{}, Rows: []*sheets.RowData{header}, Fields: "userEnteredValue,userEnteredFormat.textFormat.bold"}},
		{UpdateSheetProperties: &sheets.UpdateSheetPropertiesRequest{Properties: &sheets.SheetProperties{GridProperties: &sheets.GridProperties{FrozenRowCount: 1}}, Fields: "gridProperties.frozenRowCount"}},
	}})
	for start := 0; start < total; start += perBatch {
		n := min(perBatch, total-start)
		rows := make([]*sheets.RowData, n)
		for r := range rows {
			vals := make([]*sheets.CellData, cols)
			for c := range vals {
				switch c % 3 {
				case 0:
					vals[c] = numCell(float64(start + r))
				case 1:
					vals[c] = strCell(fmt.Sprintf("r%dc%d", start+r, c))
				case 2:
					if r%7 != 0 { // some NULLs
						vals[c] = numCell(float64(start+r) / 7)
					} else {
						vals[c] = &sheets.CellData{}
					}
				}
			}
			rows[r] = &sheets.RowData{Values: vals}
		}
		reqs := []*sheets.Request{{AppendCells: &sheets.AppendCellsRequest{Rows: rows, Fields: "userEnteredValue", ForceSendFields: []string{"SheetId"}}}}
		for _, c := range []int{2, 5, 8} {
			reqs = append(reqs, &sheets.Request{RepeatCell: &sheets.RepeatCellRequest{
				Range: &sheets.GridRange{StartRowIndex: int64(start + 1), StartColumnIndex: int64(c), EndColumnIndex: int64(c + 1),
					ForceSendFields: []string{"SheetId", "StartColumnIndex"}},
				Cell:   &sheets.CellData{UserEnteredFormat: &sheets.CellFormat{NumberFormat: &sheets.NumberFormat{Type: "NUMBER", Pattern: "0.00"}}},
				Fields: "userEnteredFormat.numberFormat",
			}})
		}
		batches = append(batches, &sheets.BatchUpdateSpreadsheetRequest{Requests: reqs})
	}
	b.ResetTimer()
	var handler time.Duration
	var live uint64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		emu := New(Options{})
		id := emu.CreateSpreadsheet("bench")
		var spent time.Duration
		var mu sync.Mutex
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			t0 := time.Now()
			emu.ServeHTTP(w, r)
			mu.Lock()
			spent += time.Since(t0)
			mu.Unlock()
		}))
		endpoint := ts.URL + "/"
		// SHEETSEMU_BENCH_URL points the client at an emulator running as
		// its own process (cmd/sheets-emulator), so that its memory can be
		// read apart from the client's; handler-s is then not measured.
		remote := os.Getenv("SHEETSEMU_BENCH_URL")
		if remote != "" {
			endpoint = strings.TrimSuffix(remote, "/") + "/"
		}
		svc, err := sheets.NewService(b.Context(), option.WithEndpoint(endpoint), option.WithoutAuthentication())
		if err != nil {
			b.Fatal(err)
		}
		if remote != "" {
			sp, err := svc.Spreadsheets.Create(&sheets.Spreadsheet{Properties: &sheets.SpreadsheetProperties{Title: "bench"}}).Do()
			if err != nil {
				b.Fatal(err)
			}
			id = sp.SpreadsheetId
		}
		b.StartTimer()
		for _, req := range batches {
			if _, err := svc.Spreadsheets.BatchUpdate(id, req).Do(); err != nil {
				b.Fatal(err)
			}
		}
		vr, err := svc.Spreadsheets.Values.Get(id, "Sheet1").ValueRenderOption("UNFORMATTED_VALUE").Do()
		if err != nil {
			b.Fatal(err)
		}
		if len(vr.Values) != total+1 {
			b.Fatalf("read %d rows", len(vr.Values))
		}
		b.StopTimer()
		ts.Close()
		vr = nil
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		live += after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
		runtime.KeepAlive(emu)
		handler += spent
		b.StartTimer()
	}
	b.ReportMetric(handler.Seconds()/float64(b.N), "handler-s/op")
	b.ReportMetric(float64(live)/float64(b.N)/(1<<20), "live-MB/op")
	b.ReportMetric(peakRSSMB(), "rss-peak-MB")
}

// peakRSSMB reads the process's peak resident set (VmHWM) on Linux; 0
// elsewhere.
func peakRSSMB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
