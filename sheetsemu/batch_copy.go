package sheetsemu

import (
	"sort"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// snapshot copies the cells of g so that overlapping pastes read the
// original values.
func snapshot(s *sheet, g gridRange) [][]cell {
	out := make([][]cell, g.rows())
	for r := range out {
		out[r] = make([]cell, g.cols())
		for c := range out[r] {
			out[r][c] = s.at(g.StartRow+r, g.StartCol+c)
		}
	}
	return out
}

// pasteCell combines a source cell into a destination cell per pasteType.
func pasteCell(dst, src *sheets.CellData, pasteType string) *sheets.CellData {
	var nc sheets.CellData
	if dst != nil {
		nc = *dst
	}
	if src == nil {
		src = &sheets.CellData{}
	}
	switch pasteType {
	case "PASTE_VALUES":
		nc.UserEnteredValue = src.UserEnteredValue
	case "PASTE_FORMAT", "PASTE_NO_BORDERS":
		nc.UserEnteredFormat = src.UserEnteredFormat
	case "PASTE_FORMULA":
		nc.UserEnteredValue = src.UserEnteredValue
	case "PASTE_DATA_VALIDATION":
		nc.DataValidation = src.DataValidation
	case "PASTE_CONDITIONAL_FORMATTING":
	default:
		c := *src
		return &c
	}
	return &nc
}

// pasteSources is what a paste takes from each source cell: the cell,
// or for PASTE_VALUES only the value it shows, a formula's result rather
// than the formula ("the values ONLY without formats, formulas or
// merges": developers.google.com/apps-script/reference/spreadsheet/copy-paste-type).
// They are read before anything is written, as Google pastes a copy.
func pasteSources(b *book, s *sheet, src [][]cell, pasteType string) [][]*sheets.CellData {
	out := make([][]*sheets.CellData, len(src))
	for r, row := range src {
		out[r] = make([]*sheets.CellData, len(row))
		for c, cl := range row {
			if pasteType != "PASTE_VALUES" {
				out[r][c] = cl.data()
				continue
			}
			ev := effectiveValue(b, s, cl, 0)
			switch {
			case ev == nil:
			case ev.ErrorValue != nil:
				out[r][c] = &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{StringValue: ptr(errorText(ev.ErrorValue))}}
			default:
				v := *ev
				out[r][c] = &sheets.CellData{UserEnteredValue: &v}
			}
		}
	}
	return out
}

func buCopyPaste(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "copyPaste"
	u := r.CopyPaste
	if u.Source == nil || u.Destination == nil {
		return nil, invalidRequest(i, kind, "source and destination are required")
	}
	ss, err := c.sheetFor(i, kind, u.Source.SheetId)
	if err != nil {
		return nil, err
	}
	ds, err := c.sheetFor(i, kind, u.Destination.SheetId)
	if err != nil {
		return nil, err
	}
	sg := fromGridRange(u.Source, ss)
	dg := fromGridRange(u.Destination, ds)
	if err := checkInGrid(ss, sg); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if err := checkInGrid(ds, dg); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	cells := snapshot(ss, sg)
	if u.PasteOrientation == "TRANSPOSE" {
		cells = transposeCells(cells)
	}
	src := pasteSources(c.b, ss, cells, u.PasteType)
	h, w := len(src), 0
	if h > 0 {
		w = len(src[0])
	}
	if h == 0 || w == 0 {
		return nil, nil
	}
	// Tile when the destination is an exact multiple of the source.
	tr, tc := 1, 1
	if dg.rows()%h == 0 && dg.rows() > h {
		tr = dg.rows() / h
	}
	if dg.cols()%w == 0 && dg.cols() > w {
		tc = dg.cols() / w
	}
	if dg.StartRow+h*tr > ds.rowCount() || dg.StartCol+w*tc > ds.colCount() {
		return nil, invalidRequest(i, kind, "The destination range is outside the grid.")
	}
	for a := 0; a < tr; a++ {
		for b := 0; b < tc; b++ {
			for r0 := 0; r0 < h; r0++ {
				for c0 := 0; c0 < w; c0++ {
					row, col := dg.StartRow+a*h+r0, dg.StartCol+b*w+c0
					ds.setCell(row, col, pasteCell(ds.cell(row, col), src[r0][c0], u.PasteType))
				}
			}
		}
	}
	return nil, nil
}

func transposeCells(in [][]cell) [][]cell {
	if len(in) == 0 {
		return in
	}
	out := make([][]cell, len(in[0]))
	for c := range out {
		out[c] = make([]cell, len(in))
		for r := range in {
			out[c][r] = in[r][c]
		}
	}
	return out
}

func buCutPaste(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "cutPaste"
	u := r.CutPaste
	if u.Source == nil || u.Destination == nil {
		return nil, invalidRequest(i, kind, "source and destination are required")
	}
	ss, err := c.sheetFor(i, kind, u.Source.SheetId)
	if err != nil {
		return nil, err
	}
	ds, err := c.sheetFor(i, kind, u.Destination.SheetId)
	if err != nil {
		return nil, err
	}
	sg := fromGridRange(u.Source, ss)
	if err := checkInGrid(ss, sg); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if u.Destination.RowIndex < 0 || u.Destination.ColumnIndex < 0 {
		return nil, invalidRequest(i, kind, "Invalid destination.")
	}
	src := pasteSources(c.b, ss, snapshot(ss, sg), u.PasteType)
	if int(u.Destination.RowIndex)+sg.rows() > ds.rowCount() || int(u.Destination.ColumnIndex)+sg.cols() > ds.colCount() {
		return nil, invalidRequest(i, kind, "The destination range is outside the grid.")
	}
	// "All the source data will be cut, regardless of what is pasted."
	// Only cells move: row and column properties and developer metadata
	// stay with their rows (CONFORMANCE.md).
	for row := sg.StartRow; row < sg.EndRow; row++ {
		ss.mapRow(row, sg.StartCol, sg.EndCol, func(int, cell) cell { return cell{} })
	}
	for r0, row := range src {
		for c0, cd := range row {
			dr, dc := int(u.Destination.RowIndex)+r0, int(u.Destination.ColumnIndex)+c0
			ds.setCell(dr, dc, pasteCell(ds.cell(dr, dc), cd, u.PasteType))
		}
	}
	return nil, nil
}

// buSortRange sorts the rows of a range by the given columns. Empty cells
// sort last in either order; numbers sort before text, text before
// booleans (as in Sheets).
func buSortRange(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "sortRange"
	u := r.SortRange
	s, g, err := c.gridFor(i, kind, u.Range)
	if err != nil {
		return nil, err
	}
	g.EndRow = min(g.EndRow, max(s.usedRows(), g.StartRow))
	rows := snapshot(s, g)
	specs := u.SortSpecs
	if len(specs) == 0 {
		specs = []*sheets.SortSpec{{DimensionIndex: int64(g.StartCol), SortOrder: "ASCENDING"}}
	}
	for _, sp := range specs {
		if int(sp.DimensionIndex) < g.StartCol || int(sp.DimensionIndex) >= g.EndCol {
			return nil, invalidRequest(i, kind, "Sort column %d is outside the range.", sp.DimensionIndex)
		}
	}
	sort.SliceStable(rows, func(a, b int) bool {
		for _, sp := range specs {
			col := int(sp.DimensionIndex) - g.StartCol
			ea := effectiveValue(c.b, s, rows[a][col], 0)
			eb := effectiveValue(c.b, s, rows[b][col], 0)
			if ea == nil || eb == nil {
				if (ea == nil) != (eb == nil) {
					return eb == nil
				}
				continue
			}
			cmp := compareValues(ea, eb)
			if cmp == 0 {
				continue
			}
			if sp.SortOrder == "DESCENDING" {
				return cmp > 0
			}
			return cmp < 0
		}
		return false
	})
	for r0, row := range rows {
		for c0, cell := range row {
			s.setCell(g.StartRow+r0, g.StartCol+c0, cell.data())
		}
	}
	return nil, nil
}

func valueRank(v *sheets.ExtendedValue) int {
	switch {
	case v.NumberValue != nil:
		return 0
	case v.StringValue != nil:
		return 1
	case v.BoolValue != nil:
		return 2
	}
	return 3
}

func compareValues(a, b *sheets.ExtendedValue) int {
	ra, rb := valueRank(a), valueRank(b)
	if ra != rb {
		return ra - rb
	}
	switch ra {
	case 0:
		return cmpFloat(*a.NumberValue, *b.NumberValue)
	case 1:
		return strings.Compare(strings.ToLower(*a.StringValue), strings.ToLower(*b.StringValue))
	case 2:
		x, y := *a.BoolValue, *b.BoolValue
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}
