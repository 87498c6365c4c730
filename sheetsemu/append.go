package sheetsemu

type appendOut struct {
	SpreadsheetID string        `json:"spreadsheetId"`
	TableRange    string        `json:"tableRange,omitempty"`
	Updates       *updateResult `json:"updates"`
}

// handleValuesAppend serves POST values/{range}:append. It finds the
// table at the range (the contiguous block of rows with data starting at
// the first non-empty row), writes below it, and grows the grid when the
// data would run past the last row.
func (s *Server) handleValuesAppend(q *apiRequest) (any, error) {
	b, err := s.lookup(q)
	if err != nil {
		return nil, err
	}
	input, err := parseInputOption(q.query.Get("valueInputOption"), true)
	if err != nil {
		return nil, err
	}
	insert := q.query.Get("insertDataOption")
	if insert != "" && insert != "OVERWRITE" && insert != "INSERT_ROWS" {
		return nil, badRequest("Invalid value at 'insert_data_option' (type.googleapis.com/google.apps.sheets.v4.InsertDataOption), %q", insert)
	}
	var in valueRangeIn
	if err := q.decode(&in); err != nil {
		return nil, err
	}
	values, err := decodeValues(in.Values)
	if err != nil {
		return nil, err
	}
	major, err := majorOf(in.MajorDimension, "ROWS")
	if err != nil {
		return nil, err
	}
	if major == "COLUMNS" {
		values = transposeInput(values)
	}
	nb := b.clone()
	sh, r, err := resolveA1(nb, q.rng)
	if err != nil {
		return nil, err
	}
	g := clampRange(r, sh)
	out := &appendOut{SpreadsheetID: b.ID}
	var table gridRange
	var found bool
	if g.rows() == 1 && g.cols() == 1 {
		table, found = tableAtAnchor(sh, g.StartRow, g.StartCol)
	} else {
		table, found = findTable(nb, sh, g)
	}
	at := gridRange{StartRow: g.StartRow, StartCol: g.StartCol}
	if found {
		out.TableRange = a1For(sh, table)
		at = gridRange{StartRow: table.EndRow, StartCol: table.StartCol}
	}
	n := len(values)
	if insert == "INSERT_ROWS" && n > 0 {
		insertRows(nb, sh, at.StartRow, n)
	}
	if need := at.StartRow + n; need > sh.rowCount() {
		sh.grid().RowCount = int64(need)
	}
	width := 0
	for _, row := range values {
		width = max(width, len(row))
	}
	if need := at.StartCol + width; need > sh.colCount() {
		sh.grid().ColumnCount = int64(need)
	}
	res, err := writeValues(nb, sh, A1Range{Sheet: sh.Props.Title, HasCells: true, StartRow: at.StartRow, StartCol: at.StartCol, EndRow: -1, EndCol: -1}, values, "ROWS", input, 0)
	if err != nil {
		return nil, err
	}
	if err := checkCellLimit(nb); err != nil {
		return nil, err
	}
	s.commit(nb)
	if queryBool(q.query.Get("includeValuesInResponse")) {
		if err := s.attachUpdatedData(nb, res, q.query.Get("responseValueRenderOption"), q.query.Get("responseDateTimeRenderOption")); err != nil {
			return nil, err
		}
	}
	out.Updates = res
	return out, nil
}

// findTable locates the data table inside g: from the first row holding a
// value to the end of the contiguous run of non-empty rows, spanning the
// columns used by those rows.
func findTable(b *book, s *sheet, g gridRange) (gridRange, bool) {
	rowHas := func(r int) (int, int, bool) {
		lo, hi, ok := -1, -1, false
		if r >= s.usedRows() {
			return lo, hi, false
		}
		for c := g.StartCol; c < min(g.EndCol, len(s.Rows[r])); c++ {
			if s.at(r, c).hasValue() {
				if !ok {
					lo = c
				}
				hi, ok = c, true
			}
		}
		return lo, hi, ok
	}
	first := -1
	for r := g.StartRow; r < min(g.EndRow, s.usedRows()); r++ {
		if _, _, ok := rowHas(r); ok {
			first = r
			break
		}
	}
	if first < 0 {
		return gridRange{}, false
	}
	// Google anchors the table at the contiguous run of cells that ends
	// with the first row's last value: after appending ["a","","c"] the
	// table is C1, not A1:C1 (recorded in test_append_row_with_empty_value).
	_, hi, _ := rowHas(first)
	lo := hi
	for lo-1 >= g.StartCol && s.at(first, lo-1).hasValue() {
		lo--
	}
	t := gridRange{StartRow: first, EndRow: first, StartCol: lo, EndCol: hi + 1}
	for r := first; r < g.EndRow; r++ {
		_, h, ok := rowHas(r)
		if !ok {
			break
		}
		t.EndRow = r + 1
		t.EndCol = max(t.EndCol, h+1)
	}
	return t, true
}

// tableAtAnchor finds the table for a single-cell append range: it must
// start at that cell. Recorded traffic shows an empty anchor (e.g. a row
// just inserted above data) gets the values written right there.
func tableAtAnchor(s *sheet, r0, c0 int) (gridRange, bool) {
	if !s.at(r0, c0).hasValue() {
		return gridRange{}, false
	}
	t := gridRange{StartRow: r0, EndRow: r0 + 1, StartCol: c0, EndCol: c0 + 1}
	for s.at(r0, t.EndCol).hasValue() {
		t.EndCol++
	}
	for r := r0 + 1; r < s.usedRows(); r++ {
		any := false
		for c := t.StartCol; c < t.EndCol; c++ {
			if s.at(r, c).hasValue() {
				any = true
				break
			}
		}
		if !any {
			break
		}
		t.EndRow = r + 1
	}
	return t, true
}
