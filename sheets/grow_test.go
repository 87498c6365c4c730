package sheets

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheetsemu"
)

// TestEmulatorGrowGridLetsAStrictSheetTakeTheWrites checks the client side
// of issue 12 against the strict emulator: a batch that empties a tab with
// a frozen header, or writes past a grid a person narrowed, is refused as
// invalid, and the same batch preceded by GrowGrid (and InsertColumns) is
// accepted, in one call.
func TestEmulatorGrowGridLetsAStrictSheetTakeTheWrites(t *testing.T) {
	c, srvURL, id := newEmulatedClient(t, "Grow")
	ctx := context.Background()
	row := textRow
	if _, err := c.Apply(ctx, []syncd.Op{syncd.AddTab{SheetID: 7, Title: "T", Header: []string{"a", "b", "c"}}}); err != nil {
		t.Fatal(err)
	}
	// Shrink the grid to the header and two rows, two columns, as a
	// person deleting rows and columns would leave it.
	svc := rawService(t, srvURL)
	mustDo(t, svc, id, deleteDim(7, "ROWS", 3, 1000), deleteDim(7, "COLUMNS", 2, 26))
	_, err := c.Apply(ctx, []syncd.Op{syncd.WriteRows{SheetID: 7, Row: 1, Rows: [][]syncd.Cell{row("1", "x", "y")}}})
	if !errors.Is(err, syncd.ErrInvalidRequest) {
		t.Fatalf("a write past the last column: %v, want ErrInvalidRequest", err)
	}
	_, err = c.Apply(ctx, []syncd.Op{syncd.DeleteRows{SheetID: 7, Start: 1, End: 3}})
	if !errors.Is(err, syncd.ErrInvalidRequest) {
		t.Fatalf("deleting every unfrozen row: %v, want ErrInvalidRequest", err)
	}
	calls, err := c.Apply(ctx, []syncd.Op{
		syncd.GrowGrid{SheetID: 7, Rows: 1, Cols: 1},
		syncd.InsertColumns{SheetID: 7, At: 1, Count: 1},
		syncd.WriteRows{SheetID: 7, Row: 0, Rows: [][]syncd.Cell{row("a", "b", "c", "d")}},
		syncd.DeleteRows{SheetID: 7, Start: 1, End: 3},
		syncd.AppendRows{SheetID: 7, Rows: [][]syncd.Cell{row("1", "2", "3", "4")}},
	})
	if err != nil || calls != 1 {
		t.Fatalf("grown batch: %d calls, %v", calls, err)
	}
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tab, _ := info.Tab("T")
	if tab.RowCount != 2 || tab.ColCount != 4 || tab.FrozenRows != 1 {
		t.Fatalf("grid after = %+v, want 2 rows × 4 columns, header frozen", tab)
	}
	got, err := c.Read(ctx, []syncd.Range{{Tab: "T", EndCol: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) != 2 || got[0][1][3] != syncd.StringCell("4") {
		t.Fatalf("tab = %v", got[0])
	}
}

// rawService is the plain Go client on the emulator, acting as a person.
func rawService(t *testing.T, endpoint string) *sheetsapi.Service {
	t.Helper()
	svc, err := sheetsapi.NewService(context.Background(), option.WithEndpoint(endpoint+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func deleteDim(sheetID int64, dim string, start, end int64) *sheetsapi.Request {
	return &sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: &sheetsapi.DimensionRange{
		SheetId: sheetID, Dimension: dim, StartIndex: start, EndIndex: end}}}
}

func mustDo(t *testing.T, svc *sheetsapi.Service, id string, reqs ...*sheetsapi.Request) {
	t.Helper()
	if _, err := svc.Spreadsheets.BatchUpdate(id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do(); err != nil {
		t.Fatal(err)
	}
}

// newEmulatedClient is a Client with no quota on a new spreadsheet of a
// fresh emulator; it also returns the emulator's URL and the id.
func newEmulatedClient(t *testing.T, title string) (*Client, string, string) {
	t.Helper()
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet(title)
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return c, srv.URL, id
}

// textRow is a row of text cells.
func textRow(vals ...string) []syncd.Cell {
	out := make([]syncd.Cell, len(vals))
	for i, v := range vals {
		out[i] = syncd.StringCell(v)
	}
	return out
}
