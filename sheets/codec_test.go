package sheets

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the zones the tests name, whatever the machine has
	"unicode/utf16"

	"github.com/syncd/syncd"
)

var (
	colText    = syncd.Column{Name: "comment", Type: "text", Kind: syncd.KindText, Scale: -1}
	colInt     = syncd.Column{Name: "id", Type: "bigint", Kind: syncd.KindInt, Scale: -1}
	colNum2    = syncd.Column{Name: "total_sales", Type: "numeric(12,2)", Kind: syncd.KindNumeric, Scale: 2}
	colNum0    = syncd.Column{Name: "n0", Type: "numeric(12,0)", Kind: syncd.KindNumeric, Scale: 0}
	colNum     = syncd.Column{Name: "n", Type: "numeric", Kind: syncd.KindNumeric, Scale: -1}
	colMoney   = syncd.Column{Name: "m", Type: "money", Kind: syncd.KindNumeric, Scale: 2}
	colF8      = syncd.Column{Name: "f8", Type: "double precision", Kind: syncd.KindFloat, Scale: -1}
	colF4      = syncd.Column{Name: "f4", Type: "real", Kind: syncd.KindFloat, Scale: -1}
	colBool    = syncd.Column{Name: "ok", Type: "boolean", Kind: syncd.KindBool, Scale: -1}
	colDate    = syncd.Column{Name: "shift_date", Type: "date", Kind: syncd.KindDate, Scale: -1}
	colTS      = syncd.Column{Name: "ts", Type: "timestamp without time zone", Kind: syncd.KindTimestamp, Scale: -1}
	colTSTZ    = syncd.Column{Name: "tstz", Type: "timestamp with time zone", Kind: syncd.KindTimestampTZ, Scale: -1}
	colJSON    = syncd.Column{Name: "j", Type: "jsonb", Kind: syncd.KindJSON, Scale: -1}
	colOther   = syncd.Column{Name: "arr", Type: "integer[]", Kind: syncd.KindOther, Scale: -1}
	serial0131 = 45688.0 // 2025-01-31
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("time zone %s unavailable: %v (the tests embed time/tzdata)", name, err)
	}
	return loc
}

func TestEncodeEveryKind(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	num := syncd.NumberCell
	str := syncd.StringCell
	tests := []struct {
		name string
		col  syncd.Column
		in   syncd.Value
		loc  *time.Location
		want syncd.Cell
	}{
		{"null text is an empty cell", colText, syncd.Null, nil, syncd.Cell{}},
		{"null number is an empty cell", colNum2, syncd.Null, nil, syncd.Cell{}},
		{"text verbatim", colText, syncd.Text("hello"), nil, str("hello")},
		{"formula stays text", colText, syncd.Text("=IMPORTDATA(\"x\")"), nil, str("=IMPORTDATA(\"x\")")},
		{"leading plus stays text", colText, syncd.Text("+7 999"), nil, str("+7 999")},
		{"empty text is an empty cell", colText, syncd.Text(""), nil, syncd.Cell{}},
		{"invalid UTF-8 is replaced as JSON would", colText, syncd.Text("a\xffb"), nil, str("a\uFFFDb")},
		{"error-like text is the error it reads back as", colText, syncd.Text("#N/A"), nil, syncd.Cell{Type: syncd.CellError, String: "#N/A"}},
		{"int", colInt, syncd.Text("42"), nil, num(42)},
		{"int at 2^53 is a number", colInt, syncd.Text("9007199254740992"), nil, num(9007199254740992)},
		{"int beyond 2^53 is text", colInt, syncd.Text("9007199254740993"), nil, str("9007199254740993")},
		{"negative int beyond 2^53 is text", colInt, syncd.Text("-9223372036854775808"), nil, str("-9223372036854775808")},
		{"numeric scale 2", colNum2, syncd.Text("12.50"), nil, num(12.5)},
		{"numeric 15 digits is a number", colNum2, syncd.Text("1234567890123.45"), nil, num(1234567890123.45)},
		{"numeric 16 digits is text", colNum2, syncd.Text("12345678901234.56"), nil, str("12345678901234.56")},
		{"numeric tiny is a number", colNum, syncd.Text("0.000000000000000000001"), nil, num(1e-21)},
		{"numeric NaN is text", colNum, syncd.Text("NaN"), nil, str("NaN")},
		{"numeric underflow is text", colNum, syncd.Text("0." + strings.Repeat("0", 400) + "1"), nil, str("0." + strings.Repeat("0", 400) + "1")},
		{"money", colMoney, syncd.Text("1234.56"), nil, num(1234.56)},
		{"money as Postgres prints it", colMoney, syncd.Text("$1,234.56"), nil, num(1234.56)},
		{"negative money", colMoney, syncd.Text("-$1,234.56"), nil, num(-1234.56)},
		{"money sign in parentheses", colMoney, syncd.Text("($5.00)"), nil, num(-5)},
		{"dollar text in a numeric column stays text", colNum2, syncd.Text("$5.00"), nil, str("$5.00")},
		{"float", colF8, syncd.Text("1.5"), nil, num(1.5)},
		{"float exponent", colF8, syncd.Text("1e+100"), nil, num(1e100)},
		{"float NaN is text", colF8, syncd.Text("NaN"), nil, str("NaN")},
		{"float -Infinity is text", colF8, syncd.Text("-Infinity"), nil, str("-Infinity")},
		{"bool true", colBool, syncd.Text("t"), nil, syncd.BoolCell(true)},
		{"bool false", colBool, syncd.Text("f"), nil, syncd.BoolCell(false)},
		{"bool::text true", colBool, syncd.Text("true"), nil, syncd.BoolCell(true)},
		{"date serial", colDate, syncd.Text("2025-01-31"), nil, num(serial0131)},
		{"date epoch is 0", colDate, syncd.Text("1899-12-30"), nil, num(0)},
		{"date before epoch is negative", colDate, syncd.Text("1899-12-29"), nil, num(-1)},
		{"date infinity is text", colDate, syncd.Text("infinity"), nil, str("infinity")},
		{"date BC is text", colDate, syncd.Text("0044-03-15 BC"), nil, str("0044-03-15 BC")},
		{"timestamp noon", colTS, syncd.Text("2025-01-31 12:00:00"), nil, num(serial0131 + 0.5)},
		{"timestamp microsecond", colTS, syncd.Text("2025-01-31 00:00:00.000001"), nil, num(serial0131 + 1e-6/86400)},
		{"timestamp microsecond beyond a double is text", colTS, syncd.Text("2300-01-01 00:00:00.000001"), nil, str("2300-01-01 00:00:00.000001")},
		{"timestamp -infinity is text", colTS, syncd.Text("-infinity"), nil, str("-infinity")},
		{"timestamptz in UTC", colTSTZ, syncd.Text("2025-01-31 12:00:00+00"), time.UTC, num(serial0131 + 0.5)},
		{"timestamptz nil loc is UTC", colTSTZ, syncd.Text("2025-01-31 12:00:00+00"), nil, num(serial0131 + 0.5)},
		{"timestamptz in Berlin wall clock", colTSTZ, syncd.Text("2025-01-31 12:00:00+00"), berlin, num(serial0131 + 13.0/24)},
		{"jsonb compacted", colJSON, syncd.Text(`{"a": 1, "b": [1, 2]}`), nil, str(`{"a":1,"b":[1,2]}`)},
		{"json keeps html", colJSON, syncd.Text(`{"a": "<b>"}`), nil, str(`{"a":"<b>"}`)},
		{"other verbatim", colOther, syncd.Text("{1,2,3}"), nil, str("{1,2,3}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, truncated := Codec{}.Encode(tt.col, tt.in, tt.loc)
			if truncated {
				t.Errorf("truncated = true for %q", tt.in.Text)
			}
			if !got.Equal(tt.want) {
				t.Errorf("Encode(%s, %q) = %+v, want %+v", tt.col.Kind, tt.in.Text, got, tt.want)
			}
		})
	}
}

func TestEncodeTruncatesLongText(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   string
	}{
		{"ascii", strings.Repeat("x", 60_000)},
		{"astral runes count twice", strings.Repeat("😀", 30_000)},
		{"multibyte", strings.Repeat("ж", 50_001)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, truncated := Codec{}.Encode(colText, syncd.Text(tt.in), nil)
			if !truncated {
				t.Fatal("truncated = false")
			}
			if !strings.HasSuffix(c.String, TruncationMarker) {
				t.Errorf("cell does not end with the marker: ...%q", c.String[len(c.String)-30:])
			}
			if n := len(utf16.Encode([]rune(c.String))); n > MaxCellChars {
				t.Errorf("cell has %d UTF-16 units, limit %d", n, MaxCellChars)
			}
			if _, err := (Codec{}).Decode(colText, c, nil); !errors.Is(err, ErrTruncated) {
				t.Errorf("Decode of a truncated cell: err = %v, want ErrTruncated", err)
			}
		})
	}
	exact := strings.Repeat("😀", MaxCellChars/2)
	if c, truncated := (Codec{}).Encode(colText, syncd.Text(exact), nil); truncated || c.String != exact {
		t.Errorf("text of exactly %d UTF-16 units was cut", MaxCellChars)
	}
}

// TestEncodeAmbiguousWallClock checks the two instants that share the wall
// clock 02:30 when Berlin leaves summer time: they cannot both be the same
// serial, so at least one goes as text, and each reads back as itself.
func TestEncodeAmbiguousWallClock(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	texts := 0
	for _, s := range []string{"2025-10-26 00:30:00+00", "2025-10-26 01:30:00+00"} {
		c, _ := Codec{}.Encode(colTSTZ, syncd.Text(s), berlin)
		if c.Type == syncd.CellString {
			texts++
		}
		got, err := Codec{}.Decode(colTSTZ, c, berlin)
		if err != nil || got.Text != s {
			t.Errorf("%s: encoded as %+v, decoded as %q, %v", s, c, got.Text, err)
		}
	}
	if texts == 0 {
		t.Error("both instants of the repeated hour were written as the same kind of serial")
	}
}

func TestDecodeEveryKind(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	num := syncd.NumberCell
	str := syncd.StringCell
	tests := []struct {
		name string
		col  syncd.Column
		in   syncd.Cell
		loc  *time.Location
		want syncd.Value
	}{
		{"empty is NULL", colNum2, syncd.Cell{}, nil, syncd.Null},
		{"empty string is NULL", colText, str(""), nil, syncd.Null},
		{"text", colText, str("=1+2"), nil, syncd.Text("=1+2")},
		{"number in text column", colText, num(123), nil, syncd.Text("123")},
		{"bool in text column", colText, syncd.BoolCell(true), nil, syncd.Text("TRUE")},
		{"int", colInt, num(42), nil, syncd.Text("42")},
		{"int at 2^53", colInt, num(9007199254740992), nil, syncd.Text("9007199254740992")},
		{"int typed as text", colInt, str(" +7 "), nil, syncd.Text("7")},
		{"int8 kept as text", colInt, str("9007199254740993"), nil, syncd.Text("9007199254740993")},
		{"numeric padded to scale", colNum2, num(12.5), nil, syncd.Text("12.50")},
		{"numeric typed as text", colNum2, str("12.5"), nil, syncd.Text("12.50")},
		{"numeric with separators", colNum2, str("1,234.5"), nil, syncd.Text("1234.50")},
		{"numeric rounds half away from zero", colNum2, num(-0.005), nil, syncd.Text("-0.01")},
		{"numeric rounds to scale 0", colNum0, num(12.5), nil, syncd.Text("13")},
		{"numeric carry", colNum2, str("9.999"), nil, syncd.Text("10.00")},
		{"numeric negative zero", colNum2, str("-0.001"), nil, syncd.Text("0.00")},
		{"numeric no scale keeps digits", colNum, str("12.50"), nil, syncd.Text("12.50")},
		{"numeric no scale from number", colNum, num(12.5), nil, syncd.Text("12.5")},
		{"numeric huge", colNum, num(1e21), nil, syncd.Text("1000000000000000000000")},
		{"numeric long text exact", colNum2, str("12345678901234.56"), nil, syncd.Text("12345678901234.56")},
		{"numeric NaN text", colNum, str("nan"), nil, syncd.Text("NaN")},
		{"money", colMoney, num(1234.56), nil, syncd.Text("1234.56")},
		{"money typed with a symbol", colMoney, str("€ 1,234.5"), nil, syncd.Text("1234.50")},
		{"money typed negative", colMoney, str("-$3"), nil, syncd.Text("-3.00")},
		{"float fixed", colF8, num(123456789012345), nil, syncd.Text("123456789012345")},
		{"float 1e15 is exponent", colF8, num(1e15), nil, syncd.Text("1e+15")},
		{"float small fixed", colF8, num(0.0001), nil, syncd.Text("0.0001")},
		{"float small exponent", colF8, num(0.00001), nil, syncd.Text("1e-05")},
		{"float shortest", colF8, num(0.1), nil, syncd.Text("0.1")},
		{"float Infinity text", colF8, str("Infinity"), nil, syncd.Text("Infinity")},
		{"float typed", colF8, str("2.50"), nil, syncd.Text("2.5")},
		{"real shortest", colF4, num(1.1), nil, syncd.Text("1.1")},
		{"real 1e6 is exponent", colF4, num(1e6), nil, syncd.Text("1e+06")},
		{"bool", colBool, syncd.BoolCell(false), nil, syncd.Text("false")},
		{"bool typed yes", colBool, str("Yes"), nil, syncd.Text("true")},
		{"bool one", colBool, num(1), nil, syncd.Text("true")},
		{"date", colDate, num(serial0131), nil, syncd.Text("2025-01-31")},
		{"date before 1900", colDate, num(-36522), nil, syncd.Text("1800-01-01")},
		{"date typed", colDate, str("2025-1-5"), nil, syncd.Text("2025-01-05")},
		{"date infinity", colDate, str("Infinity"), nil, syncd.Text("infinity")},
		{"date BC", colDate, str("0044-03-15 BC"), nil, syncd.Text("0044-03-15 BC")},
		{"timestamp", colTS, num(serial0131 + 0.5), nil, syncd.Text("2025-01-31 12:00:00")},
		{"timestamp rounds down to microsecond", colTS, num(1.5 + 0.4e-6/86400), nil, syncd.Text("1899-12-31 12:00:00")},
		{"timestamp rounds up to microsecond", colTS, num(1.5 + 0.6e-6/86400), nil, syncd.Text("1899-12-31 12:00:00.000001")},
		{"timestamp rounds up over midnight", colTS, num(serial0131 + 1 - 0.3e-6/86400), nil, syncd.Text("2025-02-01 00:00:00")},
		{"timestamp typed with T", colTS, str("2025-01-31T12:34"), nil, syncd.Text("2025-01-31 12:34:00")},
		{"timestamp typed date only", colTS, str("2025-01-31"), nil, syncd.Text("2025-01-31 00:00:00")},
		{"timestamp fraction", colTS, str("2025-01-31 12:00:00.1234567"), nil, syncd.Text("2025-01-31 12:00:00.123457")},
		{"timestamptz from Berlin wall clock", colTSTZ, num(serial0131 + 13.0/24), berlin, syncd.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed with offset", colTSTZ, str("2025-01-31 13:00:00+01"), berlin, syncd.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed with Z", colTSTZ, str("2025-01-31T12:00:00Z"), berlin, syncd.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed in sheet zone", colTSTZ, str("2025-07-31 14:00"), berlin, syncd.Text("2025-07-31 12:00:00+00")},
		{"timestamptz BC", colTSTZ, str("0044-03-15 12:00:00+00 BC"), time.UTC, syncd.Text("0044-03-15 12:00:00+00 BC")},
		{"json", colJSON, str(`{"a": 1}`), nil, syncd.Text(`{"a":1}`)},
		{"json number", colJSON, num(5), nil, syncd.Text("5")},
		{"other", colOther, str("{1,2}"), nil, syncd.Text("{1,2}")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Codec{}.Decode(tt.col, tt.in, tt.loc)
			if err != nil {
				t.Fatalf("Decode(%s, %+v): %v", tt.col.Kind, tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Decode(%s, %+v) = %+v, want %+v", tt.col.Kind, tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeRejectsWithExpectation(t *testing.T) {
	tests := []struct {
		name string
		col  syncd.Column
		in   syncd.Cell
		want string // in the error text
	}{
		{"int fraction", colInt, syncd.NumberCell(42.5), "expected a whole number"},
		{"int beyond 2^53", colInt, syncd.NumberCell(1e17), "expected a whole number"},
		{"int words", colInt, syncd.StringCell("forty"), `got "forty"`},
		{"numeric words", colNum2, syncd.StringCell("abc"), "expected a number such as 12.50"},
		{"numeric bool", colNum2, syncd.BoolCell(true), "got boolean TRUE"},
		{"numeric bad grouping", colNum2, syncd.StringCell("12,34.5"), "expected a number"},
		{"numeric with a currency symbol", colNum2, syncd.StringCell("$5"), "expected a number"},
		{"money words", colMoney, syncd.StringCell("lots of $"), "expected a number"},
		{"money double sign", colMoney, syncd.StringCell("-$-5"), "expected a number"},
		{"float words", colF8, syncd.StringCell("lots"), "expected a number"},
		{"real overflow", colF4, syncd.NumberCell(1e300), "out of range for real"},
		{"bool two", colBool, syncd.NumberCell(2), "expected TRUE or FALSE"},
		{"date with time", colDate, syncd.NumberCell(serial0131 + 0.5), "time of day"},
		{"date european", colDate, syncd.StringCell("31/01/2025"), "expected a date such as 2025-01-31"},
		{"date impossible", colDate, syncd.StringCell("2025-02-30"), "expected a date"},
		{"date huge serial", colDate, syncd.NumberCell(1e12), "expected a date"},
		{"timestamp offset", colTS, syncd.StringCell("2025-01-31 12:00:00+02"), "expected a date and time"},
		{"timestamp bool", colTS, syncd.BoolCell(true), "expected a date and time"},
		{"json invalid", colJSON, syncd.StringCell("{bad"), `expected JSON`},
		{"formula error", colText, syncd.Cell{Type: syncd.CellError, String: "#REF!"}, "#REF!"},
		{"not finite", colNum2, syncd.NumberCell(math.Inf(1)), "not finite"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Codec{}.Decode(tt.col, tt.in, time.UTC)
			if err == nil {
				t.Fatalf("Decode(%s, %+v) = %+v, want an error", tt.col.Kind, tt.in, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
	if _, err := (Codec{}).Decode(colText, syncd.Cell{Type: syncd.CellError, String: "#N/A"}, nil); !errors.Is(err, ErrFormulaError) {
		t.Errorf("formula error: err = %v, want ErrFormulaError", err)
	}
}

func TestFormatPerKind(t *testing.T) {
	tests := []struct {
		col  syncd.Column
		want syncd.NumberFormat
	}{
		{colDate, syncd.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}},
		{colTS, syncd.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}},
		{colTSTZ, syncd.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}},
		{colNum2, syncd.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}},
		{colNum0, syncd.NumberFormat{Type: "NUMBER", Pattern: "#,##0"}},
		{colNum, syncd.NumberFormat{}},
		{colMoney, syncd.NumberFormat{Type: "CURRENCY", Pattern: "#,##0.00"}},
		{syncd.Column{Type: "numeric(10,4)", Kind: syncd.KindNumeric, Scale: 4}, syncd.NumberFormat{Type: "NUMBER", Pattern: "#,##0.0000"}},
		{colInt, syncd.NumberFormat{Type: "NUMBER", Pattern: "0"}},
		{colText, syncd.NumberFormat{Type: "TEXT", Pattern: "@"}},
		{colJSON, syncd.NumberFormat{Type: "TEXT", Pattern: "@"}},
		{colF8, syncd.NumberFormat{}},
		{colBool, syncd.NumberFormat{}},
	}
	for _, tt := range tests {
		if got := (Codec{}).Format(tt.col); got != tt.want {
			t.Errorf("Format(%s %s) = %+v, want %+v", tt.col.Kind, tt.col.Type, got, tt.want)
		}
	}
}

// TestRoundTripEveryKind checks Decode(Encode(v)) == v on values of every
// kind, including the ones that fall back to text.
func TestRoundTripEveryKind(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	cases := map[*syncd.Column][]string{
		&colText:  {"a", "=SUM(A1)", "@x", "-1", "  spaced  ", "日本語"},
		&colInt:   {"0", "-1", "42", "9007199254740992", "9007199254740993", "-9223372036854775808", "9223372036854775807"},
		&colNum2:  {"0.00", "12.50", "-3.10", "1234567890123.45", "12345678901234567890.12", "NaN"},
		&colNum0:  {"0", "7", "-123456789012345678901234567890"},
		&colMoney: {"0.01", "1234.56"},
		&colF8:    {"0", "-0", "1.5", "0.1", "1e+15", "1e-05", "0.0001", "123456789012345", "1.7976931348623157e+308", "5e-324", "NaN", "Infinity", "-Infinity"},
		&colF4:    {"1.1", "3.4028235e+38", "1e+06", "123456", "1e-45"},
		&colBool:  {"true", "false"},
		&colDate:  {"2025-01-31", "1899-12-30", "1800-01-01", "0001-01-01", "9999-12-31", "0044-03-15 BC", "infinity", "-infinity", "294276-12-31"},
		&colTS:    {"2025-01-31 00:00:00", "2025-01-31 12:34:56.789", "2025-01-31 23:59:59.999999", "1900-01-01 00:00:00.000001", "2079-06-06 12:00:00.5", "2300-01-01 00:00:00.000001", "4713-01-01 00:00:00 BC", "infinity"},
		&colTSTZ:  {"2025-01-31 12:00:00+00", "2025-03-30 01:00:00+00", "2025-10-26 00:30:00+00", "2025-10-26 01:30:00+00", "1850-01-01 00:00:00.25+00", "0001-01-01 00:00:00+00", "-infinity"},
		&colJSON:  {`{"a":1}`, `[1,"x",null,true]`, `"s"`, `12.5`},
		&colOther: {"{1,2,3}", "1 day 02:00:00", "[1,5)"},
	}
	for col, values := range cases {
		for _, loc := range []*time.Location{time.UTC, berlin} {
			for _, s := range values {
				c, _ := Codec{}.Encode(*col, syncd.Text(s), loc)
				got, err := Codec{}.Decode(*col, c, loc)
				if err != nil {
					t.Errorf("%s %q in %s: Decode(%+v): %v", col.Kind, s, loc, c, err)
					continue
				}
				if got != syncd.Text(s) {
					t.Errorf("%s %q in %s: round trip via %+v gave %q", col.Kind, s, loc, c, got.Text)
				}
			}
		}
	}
}
