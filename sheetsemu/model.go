package sheetsemu

import (
	"encoding/json"
	"time"

	"google.golang.org/api/sheets/v4"
)

// Default grid size of a new sheet, as Google creates it.
const (
	defaultRows = 1000
	defaultCols = 26
	// maxCells is Google's per-spreadsheet cell limit.
	maxCells = 10_000_000
	// maxCellChars is Google's per-cell character limit.
	maxCellChars = 50_000
)

// book is one spreadsheet. Cells are stored compactly (store.go) in row
// slices that are never modified in place, so clone() is a cheap copy of
// slice headers: batchUpdate applies to a clone and swaps it in only
// when every sub-request succeeded.
type book struct {
	ID          string
	Props       *sheets.SpreadsheetProperties
	Sheets      []*sheet
	NamedRanges []*sheets.NamedRange
	DevMeta     []*sheets.DeveloperMetadata
	Created     time.Time
	Modified    time.Time
	// SharedWith lists service-account emails allowed to access the book
	// when authentication is enabled; empty means every known account.
	SharedWith []string
	// NoTheme is set for a loaded spreadsheet that has no
	// spreadsheetTheme; spreadsheets.get then reports none.
	NoTheme bool
}

// sheet is one tab. Rows holds only the used area; the grid size lives in
// Props.GridProperties.
type sheet struct {
	Props           *sheets.SheetProperties
	Rows            [][]cell
	RowMeta         []*sheets.DimensionProperties
	ColMeta         []*sheets.DimensionProperties
	Merges          []*sheets.GridRange
	Protected       []*sheets.ProtectedRange
	DevMeta         []*sheets.DeveloperMetadata
	RowGroups       []*sheets.DimensionGroup
	ColumnGroups    []*sheets.DimensionGroup
	BasicFilter     *sheets.BasicFilter
	CondFormats     []*sheets.ConditionalFormatRule
	BandedRanges    []*sheets.BandedRange
	FilterViews     []*sheets.FilterView
	validationCount int
}

func cloneJSON[T any](v T) T {
	var out T
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func (b *book) clone() *book {
	c := *b
	c.Props = cloneJSON(b.Props)
	c.NamedRanges = cloneJSON(b.NamedRanges)
	c.DevMeta = cloneJSON(b.DevMeta)
	c.SharedWith = append([]string(nil), b.SharedWith...)
	c.Sheets = make([]*sheet, len(b.Sheets))
	for i, s := range b.Sheets {
		c.Sheets[i] = s.clone()
	}
	return &c
}

func (s *sheet) clone() *sheet {
	c := *s
	c.Props = cloneJSON(s.Props)
	c.Rows = append([][]cell(nil), s.Rows...)
	c.RowMeta = append([]*sheets.DimensionProperties(nil), s.RowMeta...)
	c.ColMeta = append([]*sheets.DimensionProperties(nil), s.ColMeta...)
	c.Merges = cloneJSON(s.Merges)
	c.Protected = cloneJSON(s.Protected)
	c.DevMeta = cloneJSON(s.DevMeta)
	c.RowGroups = cloneJSON(s.RowGroups)
	c.ColumnGroups = cloneJSON(s.ColumnGroups)
	c.BasicFilter = cloneJSON(s.BasicFilter)
	c.CondFormats = cloneJSON(s.CondFormats)
	c.BandedRanges = cloneJSON(s.BandedRanges)
	c.FilterViews = cloneJSON(s.FilterViews)
	return &c
}

func (s *sheet) grid() *sheets.GridProperties {
	if s.Props.GridProperties == nil {
		s.Props.GridProperties = &sheets.GridProperties{}
	}
	return s.Props.GridProperties
}

func (s *sheet) rowCount() int { return int(s.grid().RowCount) }
func (s *sheet) colCount() int { return int(s.grid().ColumnCount) }

// at returns the stored cell at (r, c); the zero cell when none.
func (s *sheet) at(r, c int) cell {
	if r < 0 || r >= len(s.Rows) || c < 0 || c >= len(s.Rows[r]) {
		return cell{}
	}
	return s.Rows[r][c]
}

// cell returns the stored cell in API form (a fresh copy), or nil.
func (s *sheet) cell(r, c int) *sheets.CellData { return s.at(r, c).data() }

// setCell stores v (nil clears). The row slice is copied so clones sharing
// it are unaffected.
func (s *sheet) setCell(r, c int, v *sheets.CellData) {
	s.mapRow(r, c, c+1, func(_ int, old cell) cell { return packCell(normCell(old, v)) })
}

// normCell is what storing v over old keeps: nil for a cell carrying
// nothing, and without the kept effective value once the formula changed.
func normCell(old cell, v *sheets.CellData) *sheets.CellData {
	if v != nil && cellEmpty(v) {
		return nil
	}
	// A formula's value as Google last calculated it (kept from a loaded
	// spreadsheet, see load.go) stays valid only while that cell keeps its
	// formula; a cell written with anything else is calculated here.
	if v != nil && v.EffectiveValue != nil {
		if !old.empty() && old.formula() != formulaOf(v) {
			cp := *v
			cp.EffectiveValue = nil
			v = &cp
		}
	}
	return v
}

// setRow stores cells vals at (r, c0..) in one copy of the row, the bulk
// form of setCell; f maps the old cell (nil when empty) and the incoming
// one to the cell to store.
func (s *sheet) setRow(r, c0 int, vals []*sheets.CellData, f func(old, v *sheets.CellData) *sheets.CellData) {
	s.mapRow(r, c0, c0+len(vals), func(c int, old cell) cell {
		return packCell(normCell(old, f(old.data(), vals[c-c0])))
	})
}

// mapRow replaces the cells of row r in columns [c0, c1) with f(column,
// old cell), copying the row once and only if some cell changed.
func (s *sheet) mapRow(r, c0, c1 int, f func(c int, old cell) cell) {
	if r < 0 || c0 < 0 || c1 <= c0 {
		return
	}
	var prev []cell
	if r < len(s.Rows) {
		prev = s.Rows[r]
	}
	var row []cell // allocated at the first change
	for c := c0; c < c1; c++ {
		var old cell
		if c < len(prev) {
			old = prev[c]
		}
		nv := f(c, old)
		if nv == old {
			continue
		}
		if row == nil {
			row = make([]cell, max(len(prev), c1))
			copy(row, prev)
		}
		row[c] = nv
	}
	if row == nil {
		return
	}
	for len(s.Rows) <= r {
		s.Rows = append(s.Rows, nil)
	}
	s.Rows[r] = trimRow(row)
	s.trimRows()
}

func trimRow(row []cell) []cell {
	n := len(row)
	for n > 0 && row[n-1].empty() {
		n--
	}
	if n == 0 {
		return nil
	}
	return row[:n]
}

func (s *sheet) trimRows() {
	n := len(s.Rows)
	for n > 0 && len(s.Rows[n-1]) == 0 {
		n--
	}
	s.Rows = s.Rows[:n]
}

// cellEmpty reports whether a stored cell carries nothing worth keeping.
func cellEmpty(c *sheets.CellData) bool {
	return c.UserEnteredValue == nil && c.UserEnteredFormat == nil && c.Note == "" &&
		c.DataValidation == nil && c.Hyperlink == "" && len(c.TextFormatRuns) == 0 && c.PivotTable == nil
}

// usedRows / usedCols give the extent of stored cells.
func (s *sheet) usedRows() int { return len(s.Rows) }

func (s *sheet) usedCols() int {
	n := 0
	for _, r := range s.Rows {
		if len(r) > n {
			n = len(r)
		}
	}
	return n
}

func (b *book) sheetByID(id int64) *sheet {
	for _, s := range b.Sheets {
		if s.Props.SheetId == id {
			return s
		}
	}
	return nil
}

func (b *book) sheetByTitle(title string) *sheet {
	for _, s := range b.Sheets {
		if s.Props.Title == title {
			return s
		}
	}
	for _, s := range b.Sheets { // Google matches titles case-insensitively
		if equalFold(s.Props.Title, title) {
			return s
		}
	}
	return nil
}

func (b *book) firstVisible() *sheet {
	for _, s := range b.Sheets {
		if !s.Props.Hidden {
			return s
		}
	}
	if len(b.Sheets) > 0 {
		return b.Sheets[0]
	}
	return nil
}

func (b *book) cellCount() int {
	n := 0
	for _, s := range b.Sheets {
		n += s.rowCount() * s.colCount()
	}
	return n
}

// reindex makes sheet indexes match their order.
func (b *book) reindex() {
	for i, s := range b.Sheets {
		s.Props.Index = int64(i)
	}
}

func newSheetProps(id int64, title string, index int) *sheets.SheetProperties {
	return &sheets.SheetProperties{
		SheetId:   id,
		Title:     title,
		Index:     int64(index),
		SheetType: "GRID",
		GridProperties: &sheets.GridProperties{
			RowCount:    defaultRows,
			ColumnCount: defaultCols,
		},
	}
}

func defaultSpreadsheetProps(title string) *sheets.SpreadsheetProperties {
	return &sheets.SpreadsheetProperties{
		Title:      title,
		Locale:     "en_US",
		AutoRecalc: "ON_CHANGE",
		TimeZone:   "Etc/GMT",
	}
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// formulaOf returns a cell's formula, or "" when it holds none.
func formulaOf(c *sheets.CellData) string {
	if c == nil || c.UserEnteredValue == nil || c.UserEnteredValue.FormulaValue == nil {
		return ""
	}
	return *c.UserEnteredValue.FormulaValue
}
