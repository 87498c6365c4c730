package sheetsemu

import (
	"strings"

	"google.golang.org/api/sheets/v4"
)

// gridRange is a resolved, bounded, 0-based half-open rectangle on a sheet.
type gridRange struct {
	StartRow, EndRow, StartCol, EndCol int
}

func (g gridRange) rows() int { return g.EndRow - g.StartRow }
func (g gridRange) cols() int { return g.EndCol - g.StartCol }

// clampRange bounds the open sides of r to the sheet's grid.
func clampRange(r A1Range, s *sheet) gridRange {
	g := gridRange{StartRow: r.StartRow, EndRow: r.EndRow, StartCol: r.StartCol, EndCol: r.EndCol}
	if !r.HasCells {
		return gridRange{0, s.rowCount(), 0, s.colCount()}
	}
	if g.StartRow < 0 {
		g.StartRow = 0
	}
	if g.StartCol < 0 {
		g.StartCol = 0
	}
	if g.EndRow < 0 {
		g.EndRow = s.rowCount()
	}
	if g.EndCol < 0 {
		g.EndCol = s.colCount()
	}
	return g
}

// fromGridRange converts an API GridRange to a bounded gridRange.
func fromGridRange(gr *sheets.GridRange, s *sheet) gridRange {
	g := gridRange{int(gr.StartRowIndex), int(gr.EndRowIndex), int(gr.StartColumnIndex), int(gr.EndColumnIndex)}
	if gr.EndRowIndex == 0 && !hasForced(gr.ForceSendFields, "EndRowIndex") {
		g.EndRow = s.rowCount()
	}
	if gr.EndColumnIndex == 0 && !hasForced(gr.ForceSendFields, "EndColumnIndex") {
		g.EndCol = s.colCount()
	}
	return g
}

func hasForced(fields []string, name string) bool {
	for _, f := range fields {
		if f == name {
			return true
		}
	}
	return false
}

// a1For renders a bounded range with its sheet title, as Google echoes it.
func a1For(s *sheet, g gridRange) string {
	return FormatA1(A1Range{Sheet: s.Props.Title, HasCells: true,
		StartRow: g.StartRow, EndRow: g.EndRow, StartCol: g.StartCol, EndCol: g.EndCol})
}

// effectiveValue is the computed value of a stored cell.
func effectiveValue(b *book, s *sheet, c cell, depth int) *sheets.ExtendedValue {
	switch c.kind {
	case kindNone:
		return nil
	case kindFormula:
		if ev := c.loadedEffective(); ev != nil {
			return ev // as Google calculated it (loaded)
		}
		return evalFormula(b, s, c.str, depth)
	case kindOther:
		uv := c.value()
		if uv.FormulaValue != nil {
			if ev := c.loadedEffective(); ev != nil {
				return ev
			}
			return evalFormula(b, s, *uv.FormulaValue, depth)
		}
		return uv
	}
	return c.value()
}

func errorText(e *sheets.ErrorValue) string {
	switch e.Type {
	case "DIVIDE_BY_ZERO":
		return "#DIV/0!"
	case "NAME":
		return "#NAME?"
	case "REF":
		return "#REF!"
	case "VALUE":
		return "#VALUE!"
	case "NUM":
		return "#NUM!"
	case "N_A":
		return "#N/A"
	case "NULL_VALUE":
		return "#NULL!"
	}
	return "#ERROR!"
}

// formattedValue renders an effective value as the UI displays it.
func formattedValue(ev *sheets.ExtendedValue, nf *sheets.NumberFormat, locale string) (string, bool) {
	switch {
	case ev == nil:
		return "", false
	case ev.NumberValue != nil:
		return formatNumberLocale(*ev.NumberValue, nf, locale), true
	case ev.StringValue != nil:
		return *ev.StringValue, true
	case ev.BoolValue != nil:
		if *ev.BoolValue {
			return "TRUE", true
		}
		return "FALSE", true
	case ev.ErrorValue != nil:
		return errorText(ev.ErrorValue), true
	}
	return "", false
}

func isDateType(nf *sheets.NumberFormat) bool {
	if nf == nil {
		return false
	}
	switch nf.Type {
	case "DATE", "TIME", "DATE_TIME":
		return true
	}
	return false
}

// renderOpts are the values API render options.
type renderOpts struct {
	Value    string // FORMATTED_VALUE, UNFORMATTED_VALUE, FORMULA
	DateTime string // SERIAL_NUMBER, FORMATTED_STRING
}

// renderCell renders a cell for the values API; ok is false for an empty
// cell. Plain values are rendered straight from the stored form: a full
// read of a big tab must not allocate an API cell per cell.
func renderCell(b *book, s *sheet, c cell, o renderOpts) (any, bool) {
	formatted := o.Value == "" || o.Value == "FORMATTED_VALUE"
	switch c.kind {
	case kindNone:
		return nil, false
	case kindNumber:
		nf := c.numberFormat()
		if formatted || (o.DateTime == "FORMATTED_STRING" && isDateType(nf)) {
			return formatNumberLocale(c.num, nf, b.Props.Locale), true
		}
		return c.num, true
	case kindString:
		return c.str, true
	case kindBool:
		if formatted {
			if c.num != 0 {
				return "TRUE", true
			}
			return "FALSE", true
		}
		return c.num != 0, true
	}
	if o.Value == "FORMULA" {
		if uv := c.value(); uv.FormulaValue != nil {
			return *uv.FormulaValue, true
		}
	}
	ev := effectiveValue(b, s, c, 0)
	nf := c.numberFormat()
	if formatted {
		str, ok := formattedValue(ev, nf, b.Props.Locale)
		return str, ok
	}
	switch {
	case ev == nil:
		return nil, false
	case ev.NumberValue != nil:
		if o.DateTime == "FORMATTED_STRING" && isDateType(nf) {
			return formatNumberLocale(*ev.NumberValue, nf, b.Props.Locale), true
		}
		return *ev.NumberValue, true
	case ev.StringValue != nil:
		return *ev.StringValue, true
	case ev.BoolValue != nil:
		return *ev.BoolValue, true
	case ev.ErrorValue != nil:
		return errorText(ev.ErrorValue), true
	}
	return nil, false
}

// cellText is the plain text of a cell for sorting, HTML and search.
func cellText(b *book, s *sheet, c cell) string {
	str, _ := formattedValue(effectiveValue(b, s, c, 0), c.numberFormat(), b.Props.Locale)
	return strings.TrimSpace(str)
}
