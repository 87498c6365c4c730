package sheetsemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// valueRangeIn is a ValueRange as received. Values stays raw so malformed
// shapes produce Google's exact "Invalid value at 'data.values'" error.
type valueRangeIn struct {
	Range          string          `json:"range"`
	MajorDimension *string         `json:"majorDimension"`
	Values         json.RawMessage `json:"values"`
}

// valueRangeOut is a ValueRange as Google returns it: no values key for an
// empty read.
type valueRangeOut struct {
	Range          string  `json:"range"`
	MajorDimension string  `json:"majorDimension"`
	Values         [][]any `json:"values,omitempty"`
}

// updateResult is UpdateValuesResponse.
type updateResult struct {
	SpreadsheetID  string         `json:"spreadsheetId"`
	UpdatedRange   string         `json:"updatedRange,omitempty"`
	UpdatedRows    int            `json:"updatedRows,omitempty"`
	UpdatedColumns int            `json:"updatedColumns,omitempty"`
	UpdatedCells   int            `json:"updatedCells,omitempty"`
	UpdatedData    *valueRangeOut `json:"updatedData,omitempty"`
	sheetTitle     string
	rows, cols     map[int]bool // touched rows/columns, for batch totals
}

// decodeValues checks that raw is a list of lists of scalars.
func decodeValues(raw json.RawMessage) ([][]any, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var outer []json.RawMessage
	if err := json.Unmarshal(t, &outer); err != nil {
		return nil, invalidJSONValue(string(t))
	}
	out := make([][]any, len(outer))
	for i, row := range outer {
		rt := bytes.TrimSpace(row)
		if string(rt) == "null" {
			continue
		}
		var cells []any
		if err := json.Unmarshal(rt, &cells); err != nil {
			return nil, invalidJSONValue(string(rt))
		}
		for _, c := range cells {
			switch c.(type) {
			case nil, string, float64, bool:
			default:
				return nil, invalidJSONValue(string(rt))
			}
		}
		out[i] = cells
	}
	return out, nil
}

// resolveA1 finds the sheet and the (still possibly open) range text names.
// Unquoted bare names are looked up as named ranges first (they shadow
// sheet titles), then as sheet titles.
func resolveA1(b *book, text string) (*sheet, A1Range, error) {
	r, err := ParseA1(text)
	if err != nil {
		// "Sheet1!MyRange": a named range qualified by its sheet.
		if i := strings.LastIndexByte(text, '!'); i > 0 {
			if nr := b.namedRange(text[i+1:]); nr != nil {
				return resolveA1(b, text[i+1:])
			}
		}
		return nil, r, badRequest("Unable to parse range: %s", text)
	}
	if r.Sheet == "" {
		s := b.firstVisible()
		if s == nil {
			return nil, r, badRequest("Unable to parse range: %s", text)
		}
		return s, r, nil
	}
	if !r.HasCells {
		if nr := b.namedRange(r.Sheet); nr != nil && (len(text) == 0 || text[0] != '\'') {
			s := b.sheetByID(nr.Range.SheetId)
			if s != nil {
				g := fromGridRange(nr.Range, s)
				return s, A1Range{Sheet: s.Props.Title, HasCells: true, StartRow: g.StartRow, EndRow: g.EndRow, StartCol: g.StartCol, EndCol: g.EndCol}, nil
			}
		}
	}
	s := b.sheetByTitle(r.Sheet)
	if s == nil {
		return nil, r, badRequest("Unable to parse range: %s", text)
	}
	r.Sheet = s.Props.Title
	return s, r, nil
}

func (b *book) namedRange(name string) *sheets.NamedRange {
	for _, nr := range b.NamedRanges {
		if nr.Name == name {
			return nr
		}
	}
	return nil
}

// readValues renders g for the values API, trimming trailing empty cells
// and rows; interior empty rows stay as empty lists.
func readValues(b *book, s *sheet, g gridRange, major string, o renderOpts) [][]any {
	var rows [][]any
	endRow := min(g.EndRow, s.usedRows())
	for r := g.StartRow; r < endRow; r++ {
		var row []any
		endCol := min(g.EndCol, len(s.Rows[r]))
		last := -1
		for c := g.StartCol; c < endCol; c++ {
			v, ok := renderCell(b, s, s.Rows[r][c], o)
			if !ok {
				v = ""
			} else {
				last = c - g.StartCol
			}
			row = append(row, v)
		}
		rows = append(rows, row[:last+1])
	}
	for len(rows) > 0 && len(rows[len(rows)-1]) == 0 {
		rows = rows[:len(rows)-1]
	}
	for i := range rows {
		if rows[i] == nil {
			rows[i] = []any{}
		}
	}
	if major == "COLUMNS" {
		return transpose(rows)
	}
	return rows
}

func transpose(rows [][]any) [][]any {
	w := 0
	for _, r := range rows {
		w = max(w, len(r))
	}
	cols := make([][]any, w)
	for c := 0; c < w; c++ {
		last := -1
		col := make([]any, len(rows))
		for r, row := range rows {
			if c < len(row) {
				col[r] = row[c]
				if row[c] != "" {
					last = r
				}
			} else {
				col[r] = ""
			}
		}
		cols[c] = col[:last+1]
	}
	return cols
}

// writeValues writes a 2-D value list at the top-left of r (bounded sides
// are checked, open sides take the data's extent). dataIndex is used in
// error messages for batch calls.
func writeValues(b *book, s *sheet, r A1Range, values [][]any, major, input string, dataIndex int) (*updateResult, error) {
	if major == "COLUMNS" {
		values = transposeInput(values)
	}
	// A single-cell range is only an anchor: Google writes the whole
	// value array from there.
	if r.HasCells && r.EndRow-r.StartRow == 1 && r.EndCol-r.StartCol == 1 {
		r.EndRow, r.EndCol = -1, -1
	}
	start := clampStart(r)
	nRows, nCols, cells := 0, 0, 0
	touchedRows, touchedCols := map[int]bool{}, map[int]bool{}
	for i, row := range values {
		if len(row) > 0 {
			nRows = i + 1
		}
		nCols = max(nCols, len(row))
		for j, v := range row {
			if v != nil {
				cells++
				touchedRows[start.StartRow+i] = true
				touchedCols[start.StartCol+j] = true
			}
		}
	}
	res := &updateResult{SpreadsheetID: b.ID, sheetTitle: s.Props.Title}
	if nRows == 0 {
		res.UpdatedRange = a1For(s, boundedOr(r, s))
		return res, nil
	}
	if r.HasCells && r.EndRow >= 0 && start.StartRow+nRows > r.EndRow {
		return nil, badRequest("Requested writing within range [%s], but tried writing to row [%d]", FormatA1(r), start.StartRow+nRows)
	}
	if r.HasCells && r.EndCol >= 0 && start.StartCol+nCols > r.EndCol {
		return nil, badRequest("Requested writing within range [%s], but tried writing to column [%s]", FormatA1(r), ColumnName(start.StartCol+nCols-1))
	}
	if start.StartRow+nRows > s.rowCount() || start.StartCol+nCols > s.colCount() {
		far := gridRange{StartRow: start.StartRow + nRows - 1, EndRow: start.StartRow + nRows, StartCol: start.StartCol + nCols - 1, EndCol: start.StartCol + nCols}
		return nil, badRequest("Range (%s) exceeds grid limits. Max rows: %d, max columns: %d", a1For(s, far), s.rowCount(), s.colCount())
	}
	for i, row := range values {
		for j, v := range row {
			if v == nil {
				continue
			}
			if str, ok := v.(string); ok && len([]rune(str)) > maxCellChars {
				return nil, badRequest("Invalid data[%d]: Your input contains more than the maximum of %d characters in a single cell.", dataIndex, maxCellChars)
			}
			setInput(s, start.StartRow+i, start.StartCol+j, v, input)
		}
	}
	g := gridRange{StartRow: start.StartRow, EndRow: start.StartRow + nRows, StartCol: start.StartCol, EndCol: start.StartCol + nCols}
	res.UpdatedRange = a1For(s, g)
	res.UpdatedRows = len(touchedRows)
	res.UpdatedColumns = len(touchedCols)
	res.UpdatedCells = cells
	res.rows, res.cols = touchedRows, touchedCols
	return res, nil
}

func boundedOr(r A1Range, s *sheet) gridRange {
	g := clampRange(r, s)
	if !r.HasCells {
		return g
	}
	if r.EndRow < 0 {
		g.EndRow = g.StartRow + 1
	}
	if r.EndCol < 0 {
		g.EndCol = g.StartCol + 1
	}
	return g
}

func clampStart(r A1Range) gridRange {
	g := gridRange{StartRow: max(r.StartRow, 0), StartCol: max(r.StartCol, 0)}
	return g
}

func transposeInput(cols [][]any) [][]any {
	h := 0
	for _, c := range cols {
		h = max(h, len(c))
	}
	rows := make([][]any, h)
	for i := range rows {
		rows[i] = make([]any, len(cols))
		for j, c := range cols {
			if i < len(c) {
				rows[i][j] = c[i]
			}
		}
		for len(rows[i]) > 0 && rows[i][len(rows[i])-1] == nil {
			rows[i] = rows[i][:len(rows[i])-1]
		}
	}
	return rows
}

// setInput stores one input value, keeping the cell's format and note.
// An empty string clears the value.
func setInput(s *sheet, r, c int, v any, input string) {
	old := s.cell(r, c)
	var nc sheets.CellData
	if old != nil {
		nc = *old
	}
	if input == "USER_ENTERED" {
		p := parseUserEntered(v)
		nc.UserEnteredValue = p.Value
		if p.Format != nil && (nc.UserEnteredFormat == nil || nc.UserEnteredFormat.NumberFormat == nil) {
			f := sheets.CellFormat{}
			if nc.UserEnteredFormat != nil {
				f = *nc.UserEnteredFormat
			}
			f.NumberFormat = p.Format
			nc.UserEnteredFormat = &f
		}
	} else {
		nc.UserEnteredValue = rawValue(v)
	}
	s.setCell(r, c, &nc)
}

// clearValues removes values (not formats) in g.
func clearValues(s *sheet, g gridRange) {
	type rc struct{ r, c int }
	var hits []rc
	for r := g.StartRow; r < min(g.EndRow, s.usedRows()); r++ {
		for c := g.StartCol; c < min(g.EndCol, len(s.Rows[r])); c++ {
			if s.Rows[r][c].hasValue() {
				hits = append(hits, rc{r, c})
			}
		}
	}
	// setCell may trim trailing rows, so mutate only after scanning.
	for _, h := range hits {
		nc := *s.cell(h.r, h.c)
		nc.UserEnteredValue = nil
		s.setCell(h.r, h.c, &nc)
	}
}

func parseInputOption(q string, required bool) (string, error) {
	switch q {
	case "RAW", "USER_ENTERED":
		return q, nil
	case "":
		if required {
			return "", badRequest("'valueInputOption' is required but not specified")
		}
		return "RAW", nil
	}
	return "", badRequest("Invalid value at 'value_input_option' (type.googleapis.com/google.apps.sheets.v4.ValueInputOption), %s", strconv.Quote(q))
}

func majorOf(p *string, def string) (string, error) {
	if p == nil || *p == "" || *p == "DIMENSION_UNSPECIFIED" {
		return def, nil
	}
	switch *p {
	case "ROWS", "COLUMNS":
		return *p, nil
	}
	return "", badRequest("Invalid value at 'data.major_dimension' (type.googleapis.com/google.apps.sheets.v4.Dimension), %s", strconv.Quote(*p))
}

func renderOptsFrom(value, dt string) (renderOpts, error) {
	switch value {
	case "", "FORMATTED_VALUE", "UNFORMATTED_VALUE", "FORMULA":
	default:
		return renderOpts{}, badRequest("Invalid value at 'value_render_option' (type.googleapis.com/google.apps.sheets.v4.ValueRenderOption), %s", strconv.Quote(value))
	}
	switch dt {
	case "", "SERIAL_NUMBER", "FORMATTED_STRING":
	default:
		return renderOpts{}, badRequest("Invalid value at 'date_time_render_option' (type.googleapis.com/google.apps.sheets.v4.DateTimeRenderOption), %s", strconv.Quote(dt))
	}
	return renderOpts{Value: value, DateTime: dt}, nil
}

var _ = fmt.Sprintf
