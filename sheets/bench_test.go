package sheets

import (
	"strconv"
	"testing"
	"time"

	"github.com/syncd/syncd/syncer"
)

// benchValues is n rows shaped like the shifts table.
func benchValues(n int) [][]syncer.Value {
	out := make([][]syncer.Value, n)
	for i := range out {
		out[i] = []syncer.Value{
			syncer.Text(strconv.Itoa(i)), syncer.Text("2025-01-31"), syncer.Text("employee " + strconv.Itoa(i%50)),
			syncer.Text("1234.50"), syncer.Text("t"), syncer.Text("2025-01-31 08:00:00.25+00"),
			syncer.Text(`{"a":1}`), syncer.Text("open"), syncer.Text("a note"), syncer.Text(strconv.Itoa(i * 7)),
		}
	}
	return out
}

var benchCols = []syncer.Column{colInt, colDate, colText, colNum2, colBool, colTSTZ, colJSON, colText, colText, colInt}

// BenchmarkEncodeAndPlan100kRows measures turning 100,000 rows × 10
// columns into batchUpdate bodies (the COPY target of DESIGN §8).
func BenchmarkEncodeAndPlan100kRows(b *testing.B) {
	vals := benchValues(100_000)
	for b.Loop() {
		cells := make([][]syncer.Cell, len(vals))
		for i, row := range vals {
			cells[i] = make([]syncer.Cell, len(row))
			for j, v := range row {
				cells[i][j], _ = Codec{}.Encode(benchCols[j], v, time.UTC)
			}
		}
		batches, err := planBatches([]syncer.Op{syncer.AppendRows{SheetID: 1, Rows: cells}}, DefaultMaxRequestBytes)
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
