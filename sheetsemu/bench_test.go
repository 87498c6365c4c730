package sheetsemu

import (
	"fmt"
	"testing"

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
