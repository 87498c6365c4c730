package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
)

// Value types a plan column may declare.
const (
	TypeText    = "text"    // trimmed text (unless trim: false)
	TypeInt     = "int"     // whole number: a number cell or digits
	TypeDecimal = "decimal" // exact decimal: numbers, "1 234,50", "1,234.50"
	TypePercent = "percent" // percent units: 7 from "7%", 0.07 in a PERCENT cell, or 7
	TypeDate    = "date"    // a DATE-formatted serial, or text in one of date_formats
	TypeTime    = "time"    // "09:30", "9:30:15", or a time serial
	TypeBool    = "bool"    // TRUE/FALSE cells, да/нет, yes/no, 1/0
)

// DefaultDateFormats are tried, in order, for date text when a column names
// none.
var DefaultDateFormats = []string{"yyyy-mm-dd", "dd.mm.yyyy"}

var (
	defaultTrue  = []string{"true", "yes", "y", "да", "д", "1", "истина", "on", "✓"}
	defaultFalse = []string{"false", "no", "n", "нет", "н", "0", "ложь", "off"}
)

// errFormula marks a cell holding a formula error (#REF!, #VALUE!): the
// sheet shows no value at all there.
var errFormula = errors.New("formula error")

// Rule is how one column's cells become Postgres values. The zero Rule reads
// trimmed text.
type Rule struct {
	// Type is one of the Type* constants.
	Type string
	// DecimalComma reads "1 234,50" (locales such as ru_RU); otherwise a
	// comma groups thousands.
	DecimalComma bool
	// Scale rounds decimals to this many fractional digits (half away from
	// zero, as Postgres does); -1 keeps every digit.
	Scale int
	// MaxIntDigits bounds the digits before the point (numeric(12,2): 10);
	// 0 means no bound.
	MaxIntDigits int
	// IntBits is 16, 32 or 64 for int2/int4/int8 (0 means 64).
	IntBits int
	// DateFormats are the patterns tried for date text ("dd.mm.yyyy").
	DateFormats []string
	// Map replaces a cell's trimmed text before parsing (matched without
	// regard to case); a nil target means NULL ("∞" → NULL).
	Map map[string]*string
	// Lower lower-cases text (after trimming, before Map and Allowed).
	Lower bool
	// NoTrim keeps leading and trailing white space of text.
	NoTrim bool
	// Allowed, when non-empty, lists every value the column accepts.
	Allowed []string
	// Default is used for an empty cell; nil means NULL.
	Default *string
	// ErrorsAsNull turns formula errors into NULL (with a warning) instead
	// of rejecting the row: for columns the sheet computes and Postgres can
	// recompute.
	ErrorsAsNull bool
	// True and False override the words read as booleans.
	True, False []string
}

// ParseError says why a cell was not accepted.
type ParseError struct {
	// Kind is the rejection kind: "bad_value" or "missing_value".
	Kind string
	Msg  string
	// Formula is true when the cell held a formula error.
	Formula bool
}

// Error returns the message: what the cell holds and what was expected.
func (e *ParseError) Error() string { return e.Msg }

func badValue(format string, args ...any) *ParseError {
	return &ParseError{Kind: KindBadValue, Msg: fmt.Sprintf(format, args...)}
}

// cellText is the text a person sees for c, used for value maps, messages
// and the rejected row kept verbatim.
func cellText(c syncd.GridCell) string {
	switch c.Value.Type {
	case syncd.CellString, syncd.CellError:
		return c.Value.String
	case syncd.CellNumber:
		if c.Formatted != "" && c.Format != "" {
			return c.Formatted
		}
		return strconv.FormatFloat(c.Value.Number, 'f', -1, 64)
	case syncd.CellBool:
		if c.Value.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return ""
}

// Parse turns a cell into the column's canonical Postgres text, or NULL.
// It never panics; a value it cannot read is a *ParseError.
func (r *Rule) Parse(c syncd.GridCell) (syncd.Value, error) {
	if c.Value.Type == syncd.CellError {
		return syncd.Null, &ParseError{Kind: KindBadValue, Formula: true,
			Msg: fmt.Sprintf("cell shows the formula error %s", c.Value.String)}
	}
	if c.Value.Type == syncd.CellString {
		s := c.Value.String
		if !r.NoTrim || r.Type != TypeText && r.Type != "" {
			s = strings.TrimSpace(s)
		}
		if r.Lower {
			s = strings.ToLower(s)
		}
		c.Value.String = s
	}
	if len(r.Map) > 0 && !c.Empty() {
		key := strings.TrimSpace(cellText(c))
		for from, to := range r.Map {
			if strings.EqualFold(from, key) {
				if to == nil {
					return syncd.Null, nil
				}
				c = syncd.GridCell{Value: syncd.StringCell(*to)}
				break
			}
		}
	}
	if c.Empty() {
		if r.Default == nil {
			return syncd.Null, nil
		}
		c = syncd.GridCell{Value: syncd.StringCell(*r.Default)}
	}
	v, err := r.parseValue(c)
	if err != nil {
		return syncd.Null, err
	}
	if len(r.Allowed) > 0 {
		for _, a := range r.Allowed {
			if a == v.Text {
				return v, nil
			}
		}
		return syncd.Null, badValue("%q is not one of %s", v.Text, strings.Join(r.Allowed, ", "))
	}
	return v, nil
}

func (r *Rule) parseValue(c syncd.GridCell) (syncd.Value, error) {
	switch r.Type {
	case "", TypeText:
		return syncd.Text(cellText(c)), nil
	case TypeInt:
		return r.parseInt(c)
	case TypeDecimal, TypePercent:
		return r.parseDecimal(c)
	case TypeDate:
		return r.parseDate(c)
	case TypeTime:
		return r.parseTime(c)
	case TypeBool:
		return r.parseBool(c)
	}
	return syncd.Null, badValue("unknown type %q", r.Type)
}

func (r *Rule) parseInt(c syncd.GridCell) (syncd.Value, error) {
	switch c.Value.Type {
	case syncd.CellNumber:
		f := c.Value.Number
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return syncd.Null, badValue("%v is not a whole number", f)
		}
		return r.checkInt(strconv.FormatFloat(f, 'f', 0, 64))
	case syncd.CellString:
		d, ok := parseLocaleDecimal(c.Value.String, r.DecimalComma)
		if !ok || !d.IsInteger() {
			return syncd.Null, badValue("%q is not a whole number", c.Value.String)
		}
		return r.checkInt(d.Round(0).String())
	}
	return syncd.Null, badValue("%s is not a whole number", cellText(c))
}

func (r *Rule) checkInt(s string) (syncd.Value, error) {
	bits := r.IntBits
	if bits == 0 {
		bits = 64
	}
	if _, err := strconv.ParseInt(s, 10, bits); err != nil {
		return syncd.Null, badValue("%s is out of range for a %d-bit integer", s, bits)
	}
	return syncd.Text(s), nil
}

func (r *Rule) parseDecimal(c syncd.GridCell) (syncd.Value, error) {
	var d decimal.Decimal
	switch c.Value.Type {
	case syncd.CellNumber:
		var ok bool
		if d, ok = decimal.FromFloat(c.Value.Number); !ok {
			return syncd.Null, badValue("%v is not a number", c.Value.Number)
		}
		if r.Type == TypePercent && c.Format == "PERCENT" {
			d = d.Shift(2) // the cell holds the fraction, 0.07 for 7%
		}
	case syncd.CellString:
		s := strings.TrimSpace(c.Value.String)
		if r.Type == TypePercent {
			s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
		}
		var ok bool
		if d, ok = parseLocaleDecimal(s, r.DecimalComma); !ok {
			return syncd.Null, badValue("%q is not a number", c.Value.String)
		}
	default:
		return syncd.Null, badValue("%s is not a number", cellText(c))
	}
	d = d.Round(r.Scale)
	if r.MaxIntDigits > 0 && d.IntDigits() > r.MaxIntDigits {
		return syncd.Null, badValue("%s has more than %d digits before the decimal point", d, r.MaxIntDigits)
	}
	return syncd.Text(d.String()), nil
}

// epoch is day 0 of spreadsheet date serials.
var epoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

func (r *Rule) parseDate(c syncd.GridCell) (syncd.Value, error) {
	switch c.Value.Type {
	case syncd.CellNumber:
		if c.Format != "DATE" && c.Format != "DATE_TIME" {
			return syncd.Null, badValue("%v is a number, not a date (the cell has no date format)", c.Value.Number)
		}
		f := c.Value.Number
		if f < 1 || f > 2958465 { // 1899-12-31 .. 9999-12-31
			return syncd.Null, badValue("date serial %v is out of range", f)
		}
		return syncd.Text(epoch.AddDate(0, 0, int(math.Floor(f))).Format(time.DateOnly)), nil
	case syncd.CellString:
		s := strings.TrimSpace(c.Value.String)
		formats := r.DateFormats
		if len(formats) == 0 {
			formats = DefaultDateFormats
		}
		for _, f := range formats {
			if t, err := time.Parse(dateLayout(f), s); err == nil {
				return syncd.Text(t.Format(time.DateOnly)), nil
			}
		}
		return syncd.Null, badValue("%q is not a date (expected %s)", c.Value.String, strings.Join(formats, " or "))
	}
	return syncd.Null, badValue("%s is not a date", cellText(c))
}

// dateLayout turns a sheet-style pattern (dd.mm.yyyy, d/m/yy) into a Go
// layout. time.Parse then refuses impossible dates such as 31.02.2025.
func dateLayout(p string) string {
	r := strings.NewReplacer("yyyy", "2006", "yy", "06", "dd", "02", "d", "2", "mm", "01", "m", "1")
	return r.Replace(strings.ToLower(p))
}

func (r *Rule) parseTime(c syncd.GridCell) (syncd.Value, error) {
	switch c.Value.Type {
	case syncd.CellNumber:
		f := c.Value.Number
		if f < 0 || f >= 1 {
			return syncd.Null, badValue("%v is not a time of day", f)
		}
		secs := int(math.Round(f * 86400))
		if secs >= 86400 {
			secs = 86399
		}
		return syncd.Text(fmt.Sprintf("%02d:%02d:%02d", secs/3600, secs/60%60, secs%60)), nil
	case syncd.CellString:
		s := strings.TrimSpace(c.Value.String)
		for _, layout := range []string{"15:04", "15:04:05", "15.04"} {
			if t, err := time.Parse(layout, s); err == nil {
				return syncd.Text(t.Format(time.TimeOnly)), nil
			}
		}
		return syncd.Null, badValue("%q is not a time (expected HH:MM)", c.Value.String)
	}
	return syncd.Null, badValue("%s is not a time", cellText(c))
}

func (r *Rule) parseBool(c syncd.GridCell) (syncd.Value, error) {
	switch c.Value.Type {
	case syncd.CellBool:
		return syncd.Text(strconv.FormatBool(c.Value.Bool)), nil
	case syncd.CellNumber:
		switch c.Value.Number {
		case 1:
			return syncd.Text("true"), nil
		case 0:
			return syncd.Text("false"), nil
		}
	case syncd.CellString:
		s := strings.TrimSpace(c.Value.String)
		t, f := r.True, r.False
		if len(t) == 0 {
			t = defaultTrue
		}
		if len(f) == 0 {
			f = defaultFalse
		}
		for _, w := range t {
			if strings.EqualFold(w, s) {
				return syncd.Text("true"), nil
			}
		}
		for _, w := range f {
			if strings.EqualFold(w, s) {
				return syncd.Text("false"), nil
			}
		}
	}
	return syncd.Null, badValue("%q is not a yes/no value", cellText(c))
}
