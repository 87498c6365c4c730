package sheets

import (
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// benchValues is n rows shaped like the shifts table.
func benchValues(n int) [][]syncd.Value {
	out := make([][]syncd.Value, n)
	for i := range out {
		out[i] = []syncd.Value{
			syncd.Text(strconv.Itoa(i)), syncd.Text("2025-01-31"), syncd.Text("employee " + strconv.Itoa(i%50)),
			syncd.Text("1234.50"), syncd.Text("t"), syncd.Text("2025-01-31 08:00:00.25+00"),
			syncd.Text(`{"a":1}`), syncd.Text("open"), syncd.Text("a note"), syncd.Text(strconv.Itoa(i * 7)),
		}
	}
	return out
}

var benchCols = []syncd.Column{colInt, colDate, colText, colNum2, colBool, colTSTZ, colJSON, colText, colText, colInt}

// BenchmarkEncodeAndPlan100kRows measures turning 100,000 rows × 10
// columns into batchUpdate bodies (the COPY target of CONTRACT.md §8).
func BenchmarkEncodeAndPlan100kRows(b *testing.B) {
	vals := benchValues(100_000)
	for b.Loop() {
		cells := make([][]syncd.Cell, len(vals))
		for i, row := range vals {
			cells[i] = make([]syncd.Cell, len(row))
			for j, v := range row {
				cells[i][j], _ = Codec{}.Encode(benchCols[j], v, time.UTC)
			}
		}
		batches, err := planBatches([]syncd.Op{syncd.AppendRows{SheetID: 1, Rows: cells}}, DefaultMaxRequestBytes)
		if err != nil {
			b.Fatal(err)
		}
		total := 0
		for _, bt := range batches {
			total += bt.size
		}
		b.ReportMetric(float64(len(batches)), "batches")
		b.ReportMetric(float64(total)/100, "bytes/1000rows")
	}
}
