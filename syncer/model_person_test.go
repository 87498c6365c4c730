package syncer_test

import (
	"errors"
	"fmt"
	"strings"

	"google.golang.org/api/googleapi"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
)

// The person of TestModelPersonInsideTheWindowAndKills: gestures through
// the real client straight to the emulator. The model does not predict
// what a gesture does to the tab: it reads the tab before and after and
// lets the ledger record what moved (ledger.observe).

// wperson acts on the mirror's tab.
type wperson struct {
	w *wmodel
	// n numbers the values the person types, so that each is unique and
	// the audit can tell where it went.
	n int
	// seen is the tab as the last gesture found it: syncd's picture of
	// it when the gesture was made inside syncd's window.
	seen [][]syncd.Cell
}

// snap is the tab as the person sees it.
type snap struct {
	tab  syncd.TabInfo
	grid [][]syncd.Cell
}

func (p *wperson) look() (snap, error) {
	b := p.w.b
	info, err := b.sheet.Info(b.ctx)
	if err != nil {
		return snap{}, fmt.Errorf("look at the spreadsheet: %w", err)
	}
	for _, t := range info.Tabs {
		if t.Title == "M" {
			got, err := b.sheet.Read(b.ctx, []syncd.Range{{Tab: t.Title}})
			if err != nil {
				return snap{}, fmt.Errorf("read the tab: %w", err)
			}
			return snap{tab: t, grid: got[0]}, nil
		}
	}
	return snap{}, fmt.Errorf("no tab M in %+v", info.Tabs)
}

// dataRows are the 1-based sheet rows that show anything; keyed only
// those with a key.
func (s snap) dataRows(keyed bool) []int {
	var out []int
	for r := 1; r < len(s.grid); r++ {
		vals := rowTexts(s.grid[r])
		if vals[0] != "" || !keyed && strings.Join(vals, "") != "" {
			out = append(out, r+1)
		}
	}
	return out
}

func rowTexts(row []syncd.Cell) []string {
	out := make([]string, len(modelCols))
	for c := range out {
		out[c] = shown(cellAt(row, c))
	}
	return out
}

// act makes one gesture and records what it changed. It returns what it
// did; an API refusal is the person's and only described, any other
// failure is returned.
func (p *wperson) act(i int) (string, error) {
	before, err := p.look()
	if err != nil {
		return "look", err
	}
	p.seen = before.grid
	desc, err := p.gesture(i, before)
	if err != nil {
		var ge *googleapi.Error
		if !errors.As(err, &ge) {
			return desc, err
		}
		p.w.ops["refused gesture"]++
		desc += fmt.Sprintf(" (refused: %d %s)", ge.Code, ge.Message)
	}
	after, err := p.look()
	if err != nil {
		return desc, err
	}
	p.w.ledger.observe(i, desc, before.grid, after.grid)
	return desc, nil
}

func (p *wperson) gesture(i int, s snap) (string, error) {
	rows := s.dataRows(false)
	if len(rows) == 0 {
		return p.newRow(s)
	}
	r := rows[p.w.rng.IntN(len(rows))]
	switch g := p.w.rng.IntN(100); {
	case g < 30:
		return p.typeCells(s, r)
	case g < 38:
		p.n++
		k := fmt.Sprintf("e%d", p.n)
		p.w.ops["overtype key"]++
		return fmt.Sprintf("overtype key of row %d with %s", r, k), p.typeAt(s, r, 0, k, false)
	case g < 46:
		return p.sort(s)
	case g < 54 && p.w.move:
		return p.drag(s, r)
	case g < 62:
		return p.cutPaste(s, r)
	case g < 70:
		return p.copyPaste(s)
	case g < 78:
		p.w.ops["insert rows"]++
		n := 1 + p.w.rng.IntN(2)
		return fmt.Sprintf("insert %d blank row(s) at row %d", n, r), p.do(insertDim(s.tab.SheetID, "ROWS", r-1, r-1+n))
	case g < 86:
		if len(s.dataRows(false)) < 2 {
			return p.typeCells(s, r)
		}
		p.w.ops["delete row"]++
		return fmt.Sprintf("delete row %d (key %q)", r, rowTexts(s.grid[r-1])[0]), p.do(deleteDim(s.tab.SheetID, "ROWS", r-1, r))
	default:
		return p.newRow(s)
	}
}

func (p *wperson) do(reqs ...*sheetsapi.Request) error {
	_, err := p.w.p.svc.Spreadsheets.BatchUpdate(p.w.b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do()
	return err
}

// typeAt types v into one cell (row 1-based, col 0-based).
func (p *wperson) typeAt(s snap, row, col int, v any, userEntered bool) error {
	opt := "RAW"
	if userEntered {
		opt = "USER_ENTERED"
	}
	a1 := fmt.Sprintf("'%s'!%c%d", s.tab.Title, 'A'+col, row)
	_, err := p.w.p.svc.Spreadsheets.Values.Update(p.w.b.id, a1, valueRange([][]any{{v}})).ValueInputOption(opt).Do()
	return err
}

// value is something new to type into column c: numbers (some as
// formulas) into amount; text, numbers and text formulas elsewhere.
func (p *wperson) value(c int) (any, bool) {
	p.n++
	n := p.n
	switch kind := p.w.rng.IntN(3); {
	case c == 1 && kind == 0:
		return fmt.Sprintf("%d", 100000+n), true
	case c == 1:
		return fmt.Sprintf("=%d+%d", 200000, n), true
	case kind == 0:
		return fmt.Sprintf("t%d", n), false
	case kind == 1:
		return fmt.Sprintf("%d", 300000+n), true
	default:
		return fmt.Sprintf(`="f"&"%d"`, n), true
	}
}

func (p *wperson) typeCells(s snap, r int) (string, error) {
	p.w.ops["type"]++
	var did []string
	for _, c := range p.w.pick(1 + p.w.rng.IntN(3)) {
		v, ue := p.value(c)
		did = append(did, fmt.Sprintf("%v into %s", v, modelCols[c]))
		if err := p.typeAt(s, r, c, v, ue); err != nil {
			return "type " + strings.Join(did, ", "), err
		}
	}
	return fmt.Sprintf("type into row %d (key %q): %s", r, rowTexts(s.grid[r-1])[0], strings.Join(did, ", ")), nil
}

// newRow types a row below the data: with a key of the person's, or
// without one (its key is then the table's default, with sheet_inserts).
func (p *wperson) newRow(s snap) (string, error) {
	r := len(s.grid) + 1
	if r > int(s.tab.RowCount) {
		return "", nil
	}
	p.w.ops["new row"]++
	amt, _ := p.value(1)
	note, _ := p.value(2)
	row := []any{nil, amt, note}
	from := "A"
	if p.w.rng.IntN(2) == 0 {
		p.n++
		row[0] = fmt.Sprintf("e%d", p.n)
	} else {
		row, from = row[1:], "B"
	}
	a1 := fmt.Sprintf("'%s'!%s%d", s.tab.Title, from, r)
	_, err := p.w.p.svc.Spreadsheets.Values.Update(p.w.b.id, a1, valueRange([][]any{row})).ValueInputOption("USER_ENTERED").Do()
	return fmt.Sprintf("type a new row %d at %s: %v", r, a1, row), err
}

func (p *wperson) sort(s snap) (string, error) {
	p.w.ops["sort"]++
	c, order := p.w.rng.IntN(len(modelCols)), []string{"ASCENDING", "DESCENDING"}[p.w.rng.IntN(2)]
	return fmt.Sprintf("sort by %s %s", modelCols[c], order), p.do(&sheetsapi.Request{SortRange: &sheetsapi.SortRangeRequest{
		Range:     &sheetsapi.GridRange{SheetId: s.tab.SheetID, StartRowIndex: 1, ForceSendFields: []string{"SheetId"}},
		SortSpecs: []*sheetsapi.SortSpec{{DimensionIndex: int64(c), SortOrder: order, ForceSendFields: []string{"DimensionIndex"}}},
	}})
}

// target is a 1-based row to move, cut or copy to: a data row or the
// first row below the data.
func (p *wperson) target(s snap) int {
	return 2 + p.w.rng.IntN(len(s.grid))
}

// drag moves one row elsewhere (moveDimension), as dragging a row's
// handle does.
func (p *wperson) drag(s snap, r int) (string, error) {
	p.w.ops["drag"]++
	d := p.target(s)
	return fmt.Sprintf("drag row %d to before row %d", r, d), p.do(&sheetsapi.Request{MoveDimension: &sheetsapi.MoveDimensionRequest{
		Source: &sheetsapi.DimensionRange{SheetId: s.tab.SheetID, Dimension: "ROWS", StartIndex: int64(r - 1), EndIndex: int64(r),
			ForceSendFields: []string{"SheetId"}},
		DestinationIndex: int64(d - 1)}})
}

// rowRange is the mirrored columns of one row (1-based).
func rowRange(s snap, r int) *sheetsapi.GridRange {
	return &sheetsapi.GridRange{SheetId: s.tab.SheetID, StartRowIndex: int64(r - 1), EndRowIndex: int64(r),
		StartColumnIndex: 0, EndColumnIndex: int64(len(modelCols)), ForceSendFields: []string{"SheetId", "StartColumnIndex"}}
}

// cutPaste cuts a row's cells and pastes them over another row.
func (p *wperson) cutPaste(s snap, r int) (string, error) {
	d := p.target(s)
	if d == r || d > int(s.tab.RowCount) {
		return p.typeCells(s, r)
	}
	p.w.ops["cut/paste"]++
	return fmt.Sprintf("cut row %d (key %q), paste over row %d", r, rowTexts(s.grid[r-1])[0], d), p.do(&sheetsapi.Request{CutPaste: &sheetsapi.CutPasteRequest{
		Source:      rowRange(s, r),
		Destination: &sheetsapi.GridCoordinate{SheetId: s.tab.SheetID, RowIndex: int64(d - 1), ForceSendFields: []string{"SheetId", "ColumnIndex"}},
		PasteType:   "PASTE_NORMAL"}})
}

// copyPaste copies a keyed row over another row: the copy has the same
// key (a duplicate), the row under it is gone from the tab. Only keyed
// rows are copied: a copied keyless row would be a second typed row.
func (p *wperson) copyPaste(s snap) (string, error) {
	keyed := s.dataRows(true)
	if len(keyed) == 0 {
		return p.newRow(s)
	}
	r, d := keyed[p.w.rng.IntN(len(keyed))], p.target(s)
	if d == r || d > int(s.tab.RowCount) {
		return p.sort(s)
	}
	p.w.ops["copy/paste"]++
	return fmt.Sprintf("copy row %d (key %q) over row %d", r, rowTexts(s.grid[r-1])[0], d), p.do(&sheetsapi.Request{CopyPaste: &sheetsapi.CopyPasteRequest{
		Source: rowRange(s, r), Destination: rowRange(s, d), PasteType: "PASTE_NORMAL"}})
}

// moveSupported reports whether the person drags rows: SYNCD_MODEL_MOVE
// says so, or else the emulator is asked whether it knows moveDimension
// (a throwaway tab, added and deleted in the same atomic batch).
func (w *wmodel) moveSupported() bool {
	switch envInt(w.b.t, "SYNCD_MODEL_MOVE", -1) {
	case 0:
		return false
	case 1:
		return true
	}
	const probe = 987654
	err := w.per.do(
		&sheetsapi.Request{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{SheetId: probe, Title: "probe"}}},
		&sheetsapi.Request{MoveDimension: &sheetsapi.MoveDimensionRequest{
			Source:           &sheetsapi.DimensionRange{SheetId: probe, Dimension: "ROWS", StartIndex: 1, EndIndex: 2},
			DestinationIndex: 4}},
		&sheetsapi.Request{DeleteSheet: &sheetsapi.DeleteSheetRequest{SheetId: probe}})
	if err != nil {
		w.b.t.Logf("the person does not drag rows: the emulator answered moveDimension with %v", err)
		return false
	}
	return true
}
