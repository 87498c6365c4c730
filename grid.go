package syncd

import (
	"context"
	"strings"
)

// GridCell is one sheet cell as an import needs it: the effective value (a
// formula's result, never the formula), the text the sheet shows, and the
// type of its number format, which is the only way to tell a date serial
// (DATE) or a percentage (PERCENT) from a plain number.
type GridCell struct {
	// Value is the effective value; CellError holds the error text such as
	// "#REF!".
	Value Cell
	// Formatted is the formattedValue; it may be empty when not requested.
	Formatted string
	// Format is the effective number format type (DATE, PERCENT, NUMBER,
	// ...), empty when the cell has none.
	Format string
}

// Empty reports whether the cell holds nothing a person would call a value:
// no value at all, or text made only of white space.
func (c GridCell) Empty() bool {
	switch c.Value.Type {
	case CellEmpty:
		return true
	case CellString:
		return strings.TrimSpace(c.Value.String) == ""
	}
	return false
}

// GridTab is one tab's grid from its first row: Rows[0] is sheet row 1 (the
// header). Rows may be shorter than the widest row; missing cells are empty.
type GridTab struct {
	Title string
	Rows  [][]GridCell
}

// Grid is what one read of a spreadsheet returns.
type Grid struct {
	// SpreadsheetID is the spreadsheet that was read.
	SpreadsheetID string
	// TimeZone is the spreadsheet's IANA time zone name ("" when unknown).
	TimeZone string
	// Locale is the spreadsheet's locale ("ru_RU"), "" when unknown.
	Locale string
	// Tabs are the requested tabs in the order asked for.
	Tabs []GridTab
	// Calls is the number of API requests the read took.
	Calls int
}

// Tab returns the tab with the given title, or false.
func (g *Grid) Tab(title string) (*GridTab, bool) {
	for i := range g.Tabs {
		if g.Tabs[i].Title == title {
			return &g.Tabs[i], true
		}
	}
	return nil, false
}

// GridReader reads whole tabs of one spreadsheet with as few API calls as
// it can (one spreadsheets.get for all of them). With formats false it may
// leave Cell.Formatted and Cell.Format empty, which keeps the response
// small when the columns' types alone say how to read the cells (mirror
// tabs). It fails with an error naming the tab when one of tabs does not
// exist, and naming the spreadsheet when the account may not open it.
type GridReader interface {
	ReadTabs(ctx context.Context, tabs []string, formats bool) (*Grid, error)
}
