package sheetsemu

import (
	"google.golang.org/api/sheets/v4"
)

// writeRows applies rows of CellData at (r0,c0) with mask m. When bound is
// non-nil, cells inside it that rows don't cover get the masked fields
// cleared, and rows may not extend past it.
func writeRows(s *sheet, r0, c0 int, rows []*sheets.RowData, m cellMask, bound *gridRange) error {
	for i, row := range rows {
		r := r0 + i
		if bound != nil && r >= bound.EndRow {
			break
		}
		var vals []*sheets.CellData
		if row != nil {
			vals = row.Values
		}
		if bound != nil && c0+len(vals) > bound.EndCol {
			vals = vals[:max(bound.EndCol-c0, 0)]
		}
		for _, v := range vals {
			if err := checkCellInput(v); err != nil {
				return err
			}
		}
		s.setRow(r, c0, vals, m.apply)
	}
	if bound == nil {
		return nil
	}
	for r := bound.StartRow; r < bound.EndRow; r++ {
		i := r - r0
		covered := 0
		if i < len(rows) && rows[i] != nil {
			covered = len(rows[i].Values)
		}
		for cc := max(bound.StartCol+covered, bound.StartCol); cc < bound.EndCol; cc++ {
			if r >= s.usedRows() || cc >= len(s.Rows[r]) {
				break
			}
			if old := s.cell(r, cc); old != nil {
				s.setCell(r, cc, m.apply(old, nil))
			}
		}
	}
	return nil
}

func rowsExtent(rows []*sheets.RowData) (int, int) {
	w := 0
	for _, r := range rows {
		if r != nil {
			w = max(w, len(r.Values))
		}
	}
	return len(rows), w
}

func buUpdateCells(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "updateCells"
	u := r.UpdateCells
	m, err := compileCellMask(u.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	var s *sheet
	if u.Range != nil {
		if s, err = c.sheetFor(i, kind, u.Range.SheetId); err != nil {
			return nil, err
		}
		g := fromGridRange(u.Range, s)
		if err := checkInGrid(s, g); err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		// Rows reaching past the requested range are refused, not cut.
		if err := checkRowsFit(u.Rows, g.StartRow, g.StartCol, g.EndRow, g.EndCol); err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		if err := writeRows(s, g.StartRow, g.StartCol, u.Rows, m, &g); err != nil {
			return nil, invalidRequest(i, kind, "%v", err)
		}
		return nil, nil
	}
	start := u.Start
	if start == nil {
		start = &sheets.GridCoordinate{}
	}
	if s, err = c.sheetFor(i, kind, start.SheetId); err != nil {
		return nil, err
	}
	if start.RowIndex < 0 || start.ColumnIndex < 0 {
		return nil, invalidRequest(i, kind, "Invalid range.")
	}
	// With a start coordinate the grid is the limit; updateCells never
	// grows it (only appendCells adds rows).
	if err := checkRowsFit(u.Rows, int(start.RowIndex), int(start.ColumnIndex), s.rowCount(), s.colCount()); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if err := writeRows(s, int(start.RowIndex), int(start.ColumnIndex), u.Rows, m, nil); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	return nil, nil
}

// checkRowsFit refuses rows written at (r0,c0) that reach row endRow or
// column endCol, with Google's "Attempting to write column: 26, beyond the
// last requested column of: 25". Every listed cell counts, empty ones too.
func checkRowsFit(rows []*sheets.RowData, r0, c0, endRow, endCol int) error {
	for i, row := range rows {
		if row == nil || len(row.Values) == 0 {
			continue
		}
		if r0+i >= endRow {
			return errString(sprintf("Attempting to write row: %d, beyond the last requested row of: %d", r0+i, endRow-1))
		}
		if c0+len(row.Values) > endCol {
			return errString(sprintf("Attempting to write column: %d, beyond the last requested column of: %d", max(c0, endCol), endCol-1))
		}
	}
	return nil
}

// checkInGrid rejects ranges that reach outside the sheet's grid.
func checkInGrid(s *sheet, g gridRange) error {
	if g.StartRow < 0 || g.StartCol < 0 || g.EndRow < g.StartRow || g.EndCol < g.StartCol {
		return errString("Invalid range.")
	}
	if g.EndRow > s.rowCount() && g.EndRow > g.StartRow {
		return errString(sprintf("GridCoordinate.rowIndex[%d] is after last row in grid[%d]", g.EndRow-1, s.rowCount()-1))
	}
	if g.EndCol > s.colCount() && g.EndCol > g.StartCol {
		return errString(sprintf("GridCoordinate.columnIndex[%d] is after last column in grid[%d]", g.EndCol-1, s.colCount()-1))
	}
	return nil
}

// buAppendCells appends rows after the last row holding any data, growing
// the grid as needed.
func buAppendCells(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "appendCells"
	a := r.AppendCells
	s, err := c.sheetFor(i, kind, a.SheetId)
	if err != nil {
		return nil, err
	}
	m, err := compileCellMask(a.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	at := lastDataRow(s) + 1
	h, _ := rowsExtent(a.Rows)
	// appendCells adds the rows it needs but never columns.
	if err := checkRowsFit(a.Rows, at, 0, at+h, s.colCount()); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if need := at + h; need > s.rowCount() {
		s.grid().RowCount = int64(need)
	}
	if err := writeRows(s, at, 0, a.Rows, m, nil); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	return nil, nil
}

// lastDataRow is the index of the last row with a value, or -1.
func lastDataRow(s *sheet) int {
	for r := s.usedRows() - 1; r >= 0; r-- {
		for _, c := range s.Rows[r] {
			if c.hasValue() {
				return r
			}
		}
	}
	return -1
}

func buRepeatCell(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "repeatCell"
	u := r.RepeatCell
	if u.Range == nil {
		return nil, invalidRequest(i, kind, "range is required")
	}
	s, err := c.sheetFor(i, kind, u.Range.SheetId)
	if err != nil {
		return nil, err
	}
	m, err := compileCellMask(u.Fields)
	if err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	if err := checkCellInput(u.Cell); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	g := fromGridRange(u.Range, s)
	if err := checkInGrid(s, g); err != nil {
		return nil, invalidRequest(i, kind, "%v", err)
	}
	for row := g.StartRow; row < g.EndRow; row++ {
		s.mapRow(row, g.StartCol, g.EndCol, func(_ int, old cell) cell { return m.applyCell(old, u.Cell) })
	}
	return nil, nil
}

func buSetDataValidation(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "setDataValidation"
	u := r.SetDataValidation
	s, g, err := c.gridFor(i, kind, u.Range)
	if err != nil {
		return nil, err
	}
	m := cellMask{top: map[string]bool{"dataValidation": true}}
	src := &sheets.CellData{DataValidation: u.Rule}
	for row := g.StartRow; row < g.EndRow; row++ {
		for col := g.StartCol; col < g.EndCol; col++ {
			s.setCell(row, col, m.apply(s.cell(row, col), src))
		}
	}
	return nil, nil
}

func buMergeCells(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "mergeCells"
	u := r.MergeCells
	s, g, err := c.gridFor(i, kind, u.Range)
	if err != nil {
		return nil, err
	}
	var parts []gridRange
	switch u.MergeType {
	case "", "MERGE_ALL":
		parts = []gridRange{g}
	case "MERGE_ROWS":
		for row := g.StartRow; row < g.EndRow; row++ {
			parts = append(parts, gridRange{row, row + 1, g.StartCol, g.EndCol})
		}
	case "MERGE_COLUMNS":
		for col := g.StartCol; col < g.EndCol; col++ {
			parts = append(parts, gridRange{g.StartRow, g.EndRow, col, col + 1})
		}
	default:
		return nil, invalidRequest(i, kind, "Unknown merge type %s", u.MergeType)
	}
	// Merging over existing merges replaces those inside the new range;
	// a merge sticking out of it cannot be split.
	var keep []*sheets.GridRange
	for _, m := range s.Merges {
		mg := fromGridRange(m, s)
		if !overlaps(mg, g) {
			keep = append(keep, m)
		} else if !contains(g, mg) {
			return nil, invalidRequest(i, kind, "You must select all cells in a merged range to merge or unmerge them.")
		}
	}
	s.Merges = keep
	for _, p := range parts {
		if p.rows()*p.cols() < 2 {
			continue
		}
		for row := p.StartRow; row < p.EndRow; row++ {
			for col := p.StartCol; col < p.EndCol; col++ {
				if row == p.StartRow && col == p.StartCol {
					continue
				}
				if old := s.cell(row, col); old != nil && old.UserEnteredValue != nil {
					nc := *old
					nc.UserEnteredValue = nil
					s.setCell(row, col, &nc)
				}
			}
		}
		s.Merges = append(s.Merges, toGridRange(s, p))
	}
	return nil, nil
}

func buUnmergeCells(c *buCtx, i int, r *sheets.Request) (*sheets.Response, error) {
	const kind = "unmergeCells"
	u := r.UnmergeCells
	s, g, err := c.gridFor(i, kind, u.Range)
	if err != nil {
		return nil, err
	}
	var keep []*sheets.GridRange
	for _, m := range s.Merges {
		mg := fromGridRange(m, s)
		if overlaps(mg, g) {
			if !contains(g, mg) {
				return nil, invalidRequest(i, kind, "You must select all cells in a merged range to merge or unmerge them.")
			}
			continue
		}
		keep = append(keep, m)
	}
	s.Merges = keep
	return nil, nil
}

func overlaps(a, b gridRange) bool {
	return a.StartRow < b.EndRow && b.StartRow < a.EndRow && a.StartCol < b.EndCol && b.StartCol < a.EndCol
}

func contains(outer, inner gridRange) bool {
	return inner.StartRow >= outer.StartRow && inner.EndRow <= outer.EndRow &&
		inner.StartCol >= outer.StartCol && inner.EndCol <= outer.EndCol
}

func toGridRange(s *sheet, g gridRange) *sheets.GridRange {
	return &sheets.GridRange{SheetId: s.Props.SheetId, StartRowIndex: int64(g.StartRow), EndRowIndex: int64(g.EndRow),
		StartColumnIndex: int64(g.StartCol), EndColumnIndex: int64(g.EndCol)}
}
