package testworld

import (
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/internal/sheettest"
)

// PersonUser is the quotaUser of a Person's requests: a Window and fault
// injectors tell them from syncd's.
const PersonUser = "person"

// Person acts on the world's spreadsheet as a person in the Sheets UI
// does: the gestures arrive as the spreadsheets.batchUpdate or
// values.update calls the UI makes, through the real
// google.golang.org/api/sheets/v4 client, with quotaUser PersonUser. Rows
// and columns are 0-based indexes into the tab's grid (row 0 is syncd's
// header). Each method is one API call (plus one spreadsheets.get to find
// the tab's sheet id) and returns its error; none fails the test, so a
// gesture the emulator refuses can be asserted on.
type Person struct {
	w   *World
	svc *sheetsapi.Service
}

// Person returns a new Person on the world's spreadsheet. It fails the
// test for a world with a service account (a Person acts unauthenticated).
func (w *World) Person() *Person {
	w.T.Helper()
	if w.CredentialsFile != "" {
		w.T.Fatal("testworld.Person: worlds with a service account are not supported")
	}
	hc := &http.Client{Transport: sheettest.QuotaUser(PersonUser, nil)}
	svc, err := sheetsapi.NewService(w.Ctx, option.WithHTTPClient(hc), option.WithEndpoint(w.Endpoint))
	if err != nil {
		w.T.Fatal(err)
	}
	return &Person{w: w, svc: svc}
}

// sheetID is the sheet id of the tab titled tab.
func (p *Person) sheetID(tab string) (int64, error) {
	ss, err := p.svc.Spreadsheets.Get(p.w.ID).Fields("sheets.properties").Context(p.w.Ctx).Do()
	if err != nil {
		return 0, fmt.Errorf("person: find tab %q: %w", tab, err)
	}
	for _, s := range ss.Sheets {
		if s.Properties.Title == tab {
			return s.Properties.SheetId, nil
		}
	}
	return 0, fmt.Errorf("person: no tab %q", tab)
}

// do sends one batchUpdate with the request build makes for tab's sheet id.
func (p *Person) do(what, tab string, build func(id int64) *sheetsapi.Request) error {
	id, err := p.sheetID(tab)
	if err != nil {
		return err
	}
	_, err = p.svc.Spreadsheets.BatchUpdate(p.w.ID, &sheetsapi.BatchUpdateSpreadsheetRequest{
		Requests: []*sheetsapi.Request{build(id)},
	}).Context(p.w.Ctx).Do()
	if err != nil {
		return fmt.Errorf("person: %s in %q: %w", what, tab, err)
	}
	return nil
}

// rows is the grid range of rows [start, end) across every column.
func rows(id int64, start, end int) *sheetsapi.GridRange {
	return &sheetsapi.GridRange{SheetId: id, StartRowIndex: int64(start), EndRowIndex: int64(end), ForceSendFields: []string{"SheetId", "StartRowIndex"}}
}

// Sort sorts every row below the header by column col (Data > Sort
// sheet, the frozen header staying on top).
func (p *Person) Sort(tab string, col int, ascending bool) error {
	order := "DESCENDING"
	if ascending {
		order = "ASCENDING"
	}
	return p.do("sort", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{
			Range:     &sheetsapi.GridRange{SheetId: id, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
			SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: int64(col), SortOrder: order, ForceSendFields: []string{"DimensionIndex"}}},
		}}
	})
}

// MoveRows drags rows [start, end) so that they land before row dest (as
// numbered before the move): moveDimension.
func (p *Person) MoveRows(tab string, start, end, dest int) error {
	return p.do("move rows", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{MoveDimension: &sheetsapi.MoveDimensionRequest{
			Source:           &sheetsapi.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: int64(start), EndIndex: int64(end), ForceSendFields: []string{"SheetId", "StartIndex"}},
			DestinationIndex: int64(dest), ForceSendFields: []string{"DestinationIndex"},
		}}
	})
}

// CutPasteRows cuts rows [start, end) and pastes them with their top at
// row dest (Ctrl+X, Ctrl+V): the source rows are left blank.
func (p *Person) CutPasteRows(tab string, start, end, dest int) error {
	return p.do("cut and paste rows", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{CutPaste: &sheetsapi.CutPasteRequest{
			Source:      rows(id, start, end),
			Destination: &sheetsapi.GridCoordinate{SheetId: id, RowIndex: int64(dest), ForceSendFields: []string{"SheetId", "RowIndex", "ColumnIndex"}},
			PasteType:   "PASTE_NORMAL",
		}}
	})
}

// CopyPasteRows copies rows [start, end) over the rows from dest on
// (Ctrl+C, Ctrl+V): the destination rows' cells are replaced.
func (p *Person) CopyPasteRows(tab string, start, end, dest int) error {
	return p.do("copy and paste rows", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{CopyPaste: &sheetsapi.CopyPasteRequest{
			Source:           rows(id, start, end),
			Destination:      rows(id, dest, dest+end-start),
			PasteType:        "PASTE_NORMAL",
			PasteOrientation: "NORMAL",
		}}
	})
}

// InsertBlankRows inserts n blank rows before row at (Insert > rows
// above), taking the formatting of the row above unless at is the first
// data row (the header's bold stays the header's).
func (p *Person) InsertBlankRows(tab string, at, n int) error {
	return p.do("insert rows", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{InsertDimension: &sheetsapi.InsertDimensionRequest{
			Range:             &sheetsapi.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: int64(at), EndIndex: int64(at + n), ForceSendFields: []string{"SheetId", "StartIndex"}},
			InheritFromBefore: at > 1,
		}}
	})
}

// DeleteRows deletes rows [start, end) (Delete rows).
func (p *Person) DeleteRows(tab string, start, end int) error {
	return p.do("delete rows", tab, func(id int64) *sheetsapi.Request {
		return &sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{
			Range: &sheetsapi.DimensionRange{SheetId: id, Dimension: "ROWS", StartIndex: int64(start), EndIndex: int64(end), ForceSendFields: []string{"SheetId", "StartIndex"}},
		}}
	})
}

// Type types text into one cell and presses Enter: values.update with
// USER_ENTERED, so "42" becomes a number and "=1+1" a formula, as for a
// person.
func (p *Person) Type(tab string, row, col int, text string) error {
	rng := A1(tab, row, col)
	_, err := p.svc.Spreadsheets.Values.Update(p.w.ID, rng, &sheetsapi.ValueRange{Values: [][]any{{text}}}).
		ValueInputOption("USER_ENTERED").Context(p.w.Ctx).Do()
	if err != nil {
		return fmt.Errorf("person: type %q into %s: %w", text, rng, err)
	}
	return nil
}

// OvertypeKey selects the key cell (row, col) and types text over it, as
// Type does; it returns what the cell showed before.
func (p *Person) OvertypeKey(tab string, row, col int, text string) (string, error) {
	grid, err := p.Look(tab)
	if err != nil {
		return "", err
	}
	old := ""
	if row < len(grid) && col < len(grid[row]) {
		old = grid[row][col]
	}
	return old, p.Type(tab, row, col, text)
}

// Look reads the tab as a person sees it: every row, each cell's
// formatted text (trailing empty cells and rows left out, as the API
// does).
func (p *Person) Look(tab string) ([][]string, error) {
	vr, err := p.svc.Spreadsheets.Values.Get(p.w.ID, quoteTab(tab)).ValueRenderOption("FORMATTED_VALUE").Context(p.w.Ctx).Do()
	if err != nil {
		return nil, fmt.Errorf("person: look at %q: %w", tab, err)
	}
	out := make([][]string, len(vr.Values))
	for i, row := range vr.Values {
		out[i] = make([]string, len(row))
		for j, v := range row {
			out[i][j] = fmt.Sprint(v)
		}
	}
	return out, nil
}

// FindRow is the first row whose cell in column col shows text, or -1.
func (p *Person) FindRow(tab string, col int, text string) (int, error) {
	grid, err := p.Look(tab)
	if err != nil {
		return -1, err
	}
	for r, row := range grid {
		if col < len(row) && row[col] == text {
			return r, nil
		}
	}
	return -1, nil
}

// A1 is the A1 reference of one cell (0-based row and column) of tab.
func A1(tab string, row, col int) string {
	return fmt.Sprintf("%s!%s%d", quoteTab(tab), colLetters(col), row+1)
}

func quoteTab(tab string) string { return "'" + strings.ReplaceAll(tab, "'", "''") + "'" }

func colLetters(col int) string {
	s := ""
	for col++; col > 0; col = (col - 1) / 26 {
		s = string(rune('A'+(col-1)%26)) + s
	}
	return s
}
