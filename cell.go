package syncd

import "strconv"

// CellType is the type of a sheet cell's value as the Sheets API carries it.
type CellType int

// The cell types. CellError is a formula error such as #REF!.
const (
	CellEmpty CellType = iota
	CellString
	CellNumber
	CellBool
	CellError
)

// Cell is one sheet cell's value as the Sheets API carries it with
// valueRenderOption UNFORMATTED_VALUE and dateTimeRenderOption SERIAL_NUMBER
// (dates are serial numbers). The zero Cell is an empty cell.
type Cell struct {
	Type   CellType
	String string  // CellString text, or the CellError text (e.g. "#REF!")
	Number float64 // CellNumber
	Bool   bool    // CellBool
}

// Equal reports whether two cells hold the same value.
func (c Cell) Equal(o Cell) bool { return c == o }

// Text renders the cell for people (conflicts, dry-run output): the text
// of a string or error, a number in its shortest exact decimal form,
// TRUE/FALSE, "" for an empty cell. Conflicts keep sheet values in this
// form, and read them back by kind, so it must not change.
func (c Cell) Text() string {
	switch c.Type {
	case CellString, CellError:
		return c.String
	case CellNumber:
		return strconv.FormatFloat(c.Number, 'f', -1, 64)
	case CellBool:
		if c.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return ""
}

// StringCell returns a text cell.
func StringCell(s string) Cell { return Cell{Type: CellString, String: s} }

// NumberCell returns a number cell.
func NumberCell(f float64) Cell { return Cell{Type: CellNumber, Number: f} }

// BoolCell returns a boolean cell.
func BoolCell(b bool) Cell { return Cell{Type: CellBool, Bool: b} }

// NumberFormat is a Sheets number format (NumberFormat.type and .pattern).
// The zero value means "no format" (the sheet's default).
type NumberFormat struct {
	Type    string // DATE, DATE_TIME, NUMBER, TEXT, ...
	Pattern string
}
