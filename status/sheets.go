package status

import (
	"context"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// SpreadsheetStatus is one spreadsheet in `syncd status`: the mirrors in
// it and its cells (every tab's rows × columns, as the daemon's last Info
// of it showed after its last write) against Google's [syncd.CellLimit].
type SpreadsheetStatus struct {
	ID      string   `json:"id"`
	Mirrors []string `json:"mirrors"`
	// Cells is nil until a write recorded them.
	Cells   *int64     `json:"cells"`
	Limit   int64      `json:"cell_limit"`
	CellsAt *time.Time `json:"cells_at,omitempty"`
}

// ReadSpreadsheets returns the spreadsheets of mirrors (in the order the
// mirrors first name them) with the cells their newest write recorded.
func ReadSpreadsheets(ctx context.Context, q catalog.Querier, mirrors []syncd.Mirror) ([]SpreadsheetStatus, error) {
	out := []SpreadsheetStatus{}
	at := map[string]int{}
	for _, m := range mirrors {
		if m.SpreadsheetID == "" {
			continue
		}
		i, ok := at[m.SpreadsheetID]
		if !ok {
			i = len(out)
			at[m.SpreadsheetID] = i
			out = append(out, SpreadsheetStatus{ID: m.SpreadsheetID, Limit: syncd.CellLimit})
		}
		out[i].Mirrors = append(out[i].Mirrors, m.Name)
	}
	for i := range out {
		cells, when, ok, err := store.SpreadsheetCells(ctx, q, out[i].ID)
		if err != nil {
			return out, err
		}
		if ok {
			out[i].Cells, out[i].CellsAt = &cells, &when
		}
	}
	return out, nil
}
