package sheets

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncd/syncd"
)

// MaxCellChars is the most characters a Sheets cell may hold. Google counts
// them in UTF-16 code units, so the codec does too.
const MaxCellChars = 50_000

// TruncationMarker ends every text the codec had to cut to MaxCellChars. It
// is visible to people reading the sheet, and Decode refuses cells that end
// with it so a cut value is never imported back into Postgres.
const TruncationMarker = "…[truncated by syncd]"

// maxExactInt is 2^53: integers beyond it are not exact in a double.
const maxExactInt = 1 << 53

// maxSignificantDigits is DBL_DIG: every decimal with at most 15
// significant digits survives the trip through a double.
const maxSignificantDigits = 15

// Number format patterns. They are ISO-like and locale-neutral on purpose:
// the sheet's locale decides separators, the pattern only the shape.
const (
	DatePattern     = "yyyy-mm-dd"
	DateTimePattern = "yyyy-mm-dd hh:mm:ss"
)

// ErrTruncated is returned by Decode for a cell holding a value the codec
// cut (it ends with TruncationMarker): the full value only exists in
// Postgres, so the cell must never be imported back.
var ErrTruncated = errors.New("cell was truncated by syncd and is never imported back")

// ErrFormulaError is returned by Decode for a cell that shows a formula
// error such as #REF!.
var ErrFormulaError = errors.New("cell holds a formula error")

// Codec implements syncer.Codec: the cell type contract of CONTRACT.md §2. The
// zero Codec is ready to use and safe for concurrent use.
type Codec struct{}

var _ syncd.Codec = Codec{}

// Format returns the number format the cells of col carry: DATE
// (yyyy-mm-dd) for dates, DATE_TIME (yyyy-mm-dd hh:mm:ss) for timestamps,
// CURRENCY for money and NUMBER for numerics with a declared scale
// ("#,##0.00" for scale 2), NUMBER "0" for integers (so large ids are not
// shown in scientific notation), and TEXT "@" for text, json and other
// kinds, so that what a person types there (e.g. "00123") stays text
// instead of being turned into a number by the sheet. Floats and bools get
// the zero NumberFormat (the sheet's default).
func (Codec) Format(col syncd.Column) syncd.NumberFormat {
	switch col.Kind {
	case syncd.KindDate:
		return syncd.NumberFormat{Type: "DATE", Pattern: DatePattern}
	case syncd.KindTimestamp, syncd.KindTimestampTZ:
		return syncd.NumberFormat{Type: "DATE_TIME", Pattern: DateTimePattern}
	case syncd.KindInt:
		return syncd.NumberFormat{Type: "NUMBER", Pattern: "0"}
	case syncd.KindNumeric:
		scale := col.Scale
		if isMoney(col) {
			if scale < 0 {
				scale = 2
			}
			return syncd.NumberFormat{Type: "CURRENCY", Pattern: decimalPattern(scale)}
		}
		if scale < 0 {
			return syncd.NumberFormat{}
		}
		return syncd.NumberFormat{Type: "NUMBER", Pattern: decimalPattern(scale)}
	case syncd.KindText, syncd.KindJSON, syncd.KindOther:
		return syncd.NumberFormat{Type: "TEXT", Pattern: "@"}
	}
	return syncd.NumberFormat{}
}

// decimalPattern returns "#,##0" with scale zeros after the point. A double
// shows at most 15 significant digits, so longer scales are capped there.
func decimalPattern(scale int) string {
	if scale <= 0 {
		return "#,##0"
	}
	return "#,##0." + strings.Repeat("0", min(scale, maxSignificantDigits))
}

func isMoney(col syncd.Column) bool { return strings.HasPrefix(col.Type, "money") }

// Encode returns the cell for v in col under CONTRACT.md §2; loc is the
// spreadsheet's time zone (nil means UTC). It never fails: a value that
// cannot be represented exactly as a number, bool or date serial (int8
// beyond 2^53, numerics over 15 significant digits, NaN, infinity, BC
// dates, timestamps whose microseconds a double cannot hold) is written as
// its Postgres text, which Decode reads back exactly. Money is read as
// Postgres prints it ("$1,234.56") and decodes as a plain decimal
// ("1234.56"), which Postgres accepts back into a money column in any
// locale. Text longer than MaxCellChars is cut and ends with
// TruncationMarker; truncated reports it. The empty string is written as
// an empty cell, so it reads back as NULL: a sheet cannot tell them apart.
// Likewise text spelling a formula error ("#N/A") is returned as the
// CellError it will read back as. So Encode(v) always equals what Read
// returns after v is written, which is what comparisons rely on.
func (Codec) Encode(col syncd.Column, v syncd.Value, loc *time.Location) (syncd.Cell, bool) {
	if !v.Valid {
		return syncd.Cell{}, false
	}
	s := v.Text
	switch col.Kind {
	case syncd.KindInt:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= -maxExactInt && n <= maxExactInt {
			return syncd.NumberCell(float64(n)), false
		}
	case syncd.KindNumeric:
		if f, ok := exactDecimal(s); ok {
			return syncd.NumberCell(f), false
		}
		if d, ok := moneyDecimal(s); ok && isMoney(col) {
			if f, ok := exactDecimal(d.String()); ok {
				return syncd.NumberCell(f), false
			}
		}
	case syncd.KindFloat:
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return syncd.NumberCell(f), false
		}
	case syncd.KindBool:
		if b, ok := parseBool(s); ok {
			return syncd.BoolCell(b), false
		}
	case syncd.KindDate:
		if d, err := parseDate(s); err == nil && d.year > 0 {
			return syncd.NumberCell(float64(d.days())), false
		}
	case syncd.KindTimestamp:
		if serial, ok := timestampSerial(s); ok {
			return syncd.NumberCell(serial), false
		}
	case syncd.KindTimestampTZ:
		if serial, ok := timestamptzSerial(s, orUTC(loc)); ok {
			return syncd.NumberCell(serial), false
		}
	case syncd.KindJSON:
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(s)) == nil {
			s = buf.String()
		}
	}
	return textCell(s)
}

// textCell returns a string cell, cut to MaxCellChars with the marker. An
// empty string is an empty cell: the API reads "" back as no value, so
// writing it as a string would make the written and the read cell differ
// forever and every comparison report a change.
func textCell(s string) (syncd.Cell, bool) {
	if s == "" {
		return syncd.Cell{}, false
	}
	// JSON carries only valid UTF-8: stray bytes (a SQL_ASCII database)
	// would arrive as U+FFFD anyway; replacing them here keeps the cell
	// equal to what is read back.
	s = strings.ToValidUTF8(s, "\uFFFD")
	if formulaErrors[s] {
		// Text that spells a formula error reads back as one; say so, so
		// that the written and the read cell compare equal.
		return syncd.Cell{Type: syncd.CellError, String: s}, false
	}
	// Bytes ≥ UTF-16 units, so the cheap test settles nearly every cell.
	if len(s) <= MaxCellChars || utf16Len(s) <= MaxCellChars {
		return syncd.StringCell(s), false
	}
	budget := MaxCellChars - utf16Len(TruncationMarker)
	used, cut := 0, len(s)
	for i, r := range s {
		n := 1
		if r >= 0x10000 {
			n = 2
		}
		if used+n > budget {
			cut = i
			break
		}
		used += n
	}
	if cut == len(s) {
		return syncd.StringCell(s), false
	}
	return syncd.StringCell(s[:cut] + TruncationMarker), true
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// Decode reads a cell back into col's canonical Postgres text, reversing
// Encode: serials become dates and timestamps (rounded to the microsecond),
// numbers become exact decimal text at the column's scale, bools
// "true"/"false" (as bool::text prints them).
// It also accepts what a person plausibly types: "12.50" or "1,234.5" as
// text in a numeric cell, "2025-01-31" as text in a date cell, "yes" in a
// bool cell. An empty cell, or an empty string, is NULL. Anything else
// fails with an error saying what was expected; cells holding formula
// errors fail with ErrFormulaError and truncated ones with ErrTruncated.
func (Codec) Decode(col syncd.Column, c syncd.Cell, loc *time.Location) (syncd.Value, error) {
	switch c.Type {
	case syncd.CellEmpty:
		return syncd.Null, nil
	case syncd.CellError:
		return syncd.Null, fmt.Errorf("%w %s; expected %s", ErrFormulaError, c.String, expected(col))
	case syncd.CellString:
		if c.String == "" {
			return syncd.Null, nil
		}
		if strings.HasSuffix(c.String, TruncationMarker) {
			return syncd.Null, ErrTruncated
		}
	case syncd.CellNumber:
		if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
			return syncd.Null, fmt.Errorf("number %v is not finite; expected %s", c.Number, expected(col))
		}
	case syncd.CellBool:
	default:
		return syncd.Null, fmt.Errorf("unknown cell type %d", c.Type)
	}
	s, err := decodeKind(col, c, orUTC(loc))
	if err != nil {
		return syncd.Null, err
	}
	return syncd.Text(s), nil
}

func decodeKind(col syncd.Column, c syncd.Cell, loc *time.Location) (string, error) {
	switch col.Kind {
	case syncd.KindInt:
		return decodeInt(col, c)
	case syncd.KindNumeric:
		return decodeNumeric(col, c)
	case syncd.KindFloat:
		return decodeFloat(col, c)
	case syncd.KindBool:
		return decodeBool(col, c)
	case syncd.KindDate:
		return decodeDate(col, c)
	case syncd.KindTimestamp:
		return decodeTimestamp(col, c, nil)
	case syncd.KindTimestampTZ:
		return decodeTimestamp(col, c, loc)
	case syncd.KindJSON:
		return decodeJSON(col, c)
	}
	// Text and other kinds take whatever the cell shows; Postgres parses
	// "other" values when they are cast back into the column.
	switch c.Type {
	case syncd.CellNumber:
		return strconv.FormatFloat(c.Number, 'f', -1, 64), nil
	case syncd.CellBool:
		if c.Bool {
			return "TRUE", nil
		}
		return "FALSE", nil
	}
	return c.String, nil
}

// expected names what a column of col's kind accepts, for error messages.
func expected(col syncd.Column) string {
	switch col.Kind {
	case syncd.KindInt:
		return "a whole number such as 42"
	case syncd.KindNumeric:
		return "a number such as 12.50"
	case syncd.KindFloat:
		return "a number such as 1.5, NaN or Infinity"
	case syncd.KindBool:
		return "TRUE or FALSE"
	case syncd.KindDate:
		return "a date such as 2025-01-31"
	case syncd.KindTimestamp:
		return "a date and time such as 2025-01-31 13:45:00"
	case syncd.KindTimestampTZ:
		return "a date and time such as 2025-01-31 13:45:00 (or with an offset, 2025-01-31 13:45:00+02)"
	case syncd.KindJSON:
		return `JSON such as {"a":1}`
	}
	return "text"
}

func typeError(col syncd.Column, c syncd.Cell) error {
	var got string
	switch c.Type {
	case syncd.CellNumber:
		got = "number " + strconv.FormatFloat(c.Number, 'f', -1, 64)
	case syncd.CellBool:
		got = "boolean " + strings.ToUpper(strconv.FormatBool(c.Bool))
	default:
		s := c.String
		if utf8.RuneCountInString(s) > 40 {
			s = string([]rune(s)[:40]) + "…"
		}
		got = strconv.Quote(s)
	}
	return fmt.Errorf("%s column %q: got %s, expected %s", col.Kind, col.Name, got, expected(col))
}

func decodeInt(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellNumber:
		f := c.Number
		if f != math.Trunc(f) || f < -maxExactInt || f > maxExactInt {
			return "", typeError(col, c)
		}
		return strconv.FormatInt(int64(f), 10), nil
	case syncd.CellString:
		n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(c.String), "+"), 10, 64)
		if err != nil {
			return "", typeError(col, c)
		}
		return strconv.FormatInt(n, 10), nil
	}
	return "", typeError(col, c)
}

func decodeBool(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellBool:
		return pgBool(c.Bool), nil
	case syncd.CellNumber:
		if c.Number == 0 || c.Number == 1 {
			return pgBool(c.Number == 1), nil
		}
	case syncd.CellString:
		if b, ok := parseBool(c.String); ok {
			return pgBool(b), nil
		}
	}
	return "", typeError(col, c)
}

// pgBool is the text bool::text gives, the form syncer reads columns in
// (boolout's "t"/"f" is accepted by Encode too).
func pgBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// parseBool accepts what Postgres' boolin accepts (t, true, yes, on, 1 and
// their opposites, any case, surrounding spaces).
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "t", "true", "y", "yes", "on", "1":
		return true, true
	case "f", "false", "n", "no", "off", "0":
		return false, true
	}
	return false, false
}

func decodeJSON(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellNumber:
		return strconv.FormatFloat(c.Number, 'f', -1, 64), nil
	case syncd.CellBool:
		return strconv.FormatBool(c.Bool), nil
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, []byte(c.String)); err != nil {
		return "", fmt.Errorf("%w (%v)", typeError(col, c), err)
	}
	return buf.String(), nil
}
