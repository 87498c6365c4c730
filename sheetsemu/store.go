package sheetsemu

import (
	"unique"

	"google.golang.org/api/sheets/v4"
)

// cell is one stored cell in compact form: 40 bytes held inline in its
// row, where a *sheets.CellData with its ExtendedValue and number cost
// about 310 bytes in four allocations. A million-cell tab is what syncd's
// COPY benchmarks write, and the emulator must stay small beside them.
//
// The value is a kind plus a float64 or a string; everything else a cell
// may carry (format, note, validation, ...) is one interned, immutable
// cellRest shared by every cell that carries the same. The zero cell is
// an empty cell. Cells are compared with ==, which is what setRow uses to
// tell a change.
type cell struct {
	kind valueKind
	num  float64 // kindNumber, kindBool (0 or 1)
	str  string  // kindString, kindFormula
	rest unique.Handle[cellRest]
}

type valueKind uint8

const (
	kindNone valueKind = iota
	kindNumber
	kindString
	kindBool
	kindFormula
	// kindOther is a userEnteredValue that is not exactly one of the
	// above (an error value, {} or several fields at once); it is kept
	// as decoded in rest.extra.UserEnteredValue so it reads back as is.
	kindOther
)

// cellRest is everything of a stored cell but a plain value. It is used
// through unique.Handle, so equal records are stored once and compared by
// handle; pointers are compared by identity, which is enough because
// formats arrive shared (cellMask memoises its merges).
type cellRest struct {
	format     *sheets.CellFormat
	note       string
	hyperlink  string
	validation *sheets.DataValidationRule
	// extra holds the rarely set fields (text runs, pivot table, a loaded
	// formula's effective value, ...) and a kindOther value; nil when
	// none is set. It is never modified.
	extra *sheets.CellData
}

var noRest unique.Handle[cellRest]

// empty reports whether c holds nothing at all.
func (c cell) empty() bool { return c.kind == kindNone && c.rest == noRest }

// hasValue reports whether c has a userEnteredValue.
func (c cell) hasValue() bool { return c.kind != kindNone }

// restOf returns c's rest record (the zero record when it has none).
func (c cell) restOf() cellRest {
	if c.rest == noRest {
		return cellRest{}
	}
	return c.rest.Value()
}

// formula returns c's formula, or "".
func (c cell) formula() string {
	if c.kind == kindFormula {
		return c.str
	}
	if c.kind == kindOther {
		return formulaOf(c.restOf().extra)
	}
	return ""
}

// numberFormat returns c's userEnteredFormat.numberFormat, or nil.
func (c cell) numberFormat() *sheets.NumberFormat {
	if f := c.restOf().format; f != nil {
		return f.NumberFormat
	}
	return nil
}

// packCell converts a cell as the API spells it into its stored form. A
// nil or empty (cellEmpty) cell becomes the zero cell. The pointers of d
// are kept, not copied: stored parts are never modified.
func packCell(d *sheets.CellData) cell {
	if d == nil || cellEmpty(d) {
		return cell{}
	}
	c, other := packValue(d.UserEnteredValue)
	c.rest = packRest(d, other)
	return c
}

// packValue converts a userEnteredValue; other is set (to uv) when it is
// kept whole as kindOther.
func packValue(uv *sheets.ExtendedValue) (c cell, other *sheets.ExtendedValue) {
	switch {
	case uv == nil:
	case uv.ErrorValue == nil && len(uv.ForceSendFields) == 0 && len(uv.NullFields) == 0 && oneValue(uv):
		switch {
		case uv.NumberValue != nil:
			c.kind, c.num = kindNumber, *uv.NumberValue
		case uv.StringValue != nil:
			c.kind, c.str = kindString, *uv.StringValue
		case uv.BoolValue != nil:
			c.kind = kindBool
			if *uv.BoolValue {
				c.num = 1
			}
		case uv.FormulaValue != nil:
			c.kind, c.str = kindFormula, *uv.FormulaValue
		}
	default:
		c.kind, other = kindOther, uv
	}
	return c, other
}

// packRest interns everything of d but its userEnteredValue; other is a
// kindOther value to keep in rest.extra.
func packRest(d *sheets.CellData, other *sheets.ExtendedValue) unique.Handle[cellRest] {
	var extra *sheets.CellData
	if other != nil || d.EffectiveValue != nil || len(d.TextFormatRuns) > 0 || d.PivotTable != nil || len(d.ChipRuns) > 0 ||
		d.DataSourceFormula != nil || d.DataSourceTable != nil || d.EffectiveFormat != nil || d.FormattedValue != "" ||
		len(d.ForceSendFields) > 0 || len(d.NullFields) > 0 {
		x := *d
		x.UserEnteredValue, x.UserEnteredFormat, x.Note, x.Hyperlink, x.DataValidation = other, nil, "", "", nil
		extra = &x
	}
	if d.UserEnteredFormat == nil && d.Note == "" && d.Hyperlink == "" && d.DataValidation == nil && extra == nil {
		return noRest
	}
	return unique.Make(cellRest{format: d.UserEnteredFormat, note: d.Note, hyperlink: d.Hyperlink,
		validation: d.DataValidation, extra: extra})
}

// oneValue reports whether exactly one of v's value fields is set.
func oneValue(v *sheets.ExtendedValue) bool {
	n := 0
	for _, set := range [...]bool{v.NumberValue != nil, v.StringValue != nil, v.BoolValue != nil, v.FormulaValue != nil} {
		if set {
			n++
		}
	}
	return n == 1
}

// data converts c back into the API form: a fresh *sheets.CellData the
// caller may modify (its pointed-to parts are shared and must not be), or
// nil for an empty cell.
func (c cell) data() *sheets.CellData {
	if c.empty() {
		return nil
	}
	r := c.restOf()
	var d sheets.CellData
	if r.extra != nil {
		d = *r.extra
	}
	d.UserEnteredFormat, d.Note, d.Hyperlink, d.DataValidation = r.format, r.note, r.hyperlink, r.validation
	d.UserEnteredValue = c.value()
	return &d
}

// value returns c's userEnteredValue in API form (freshly allocated
// except for kindOther), or nil.
func (c cell) value() *sheets.ExtendedValue {
	switch c.kind {
	case kindNumber:
		return numberValue(c.num)
	case kindString:
		return stringValue(c.str)
	case kindBool:
		return boolValue(c.num != 0)
	case kindFormula:
		return &sheets.ExtendedValue{FormulaValue: ptr(c.str)}
	case kindOther:
		return c.restOf().extra.UserEnteredValue
	}
	return nil
}

// loadedEffective returns the effective value Google calculated for a
// loaded formula cell (kept in rest.extra), or nil.
func (c cell) loadedEffective() *sheets.ExtendedValue {
	if x := c.restOf().extra; x != nil {
		return x.EffectiveValue
	}
	return nil
}
