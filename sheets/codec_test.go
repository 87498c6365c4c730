package sheets

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/syncd/syncd/syncer"
)

var (
	colText    = syncer.Column{Name: "comment", Type: "text", Kind: syncer.KindText, Scale: -1}
	colInt     = syncer.Column{Name: "id", Type: "bigint", Kind: syncer.KindInt, Scale: -1}
	colNum2    = syncer.Column{Name: "total_sales", Type: "numeric(12,2)", Kind: syncer.KindNumeric, Scale: 2}
	colNum0    = syncer.Column{Name: "n0", Type: "numeric(12,0)", Kind: syncer.KindNumeric, Scale: 0}
	colNum     = syncer.Column{Name: "n", Type: "numeric", Kind: syncer.KindNumeric, Scale: -1}
	colMoney   = syncer.Column{Name: "m", Type: "money", Kind: syncer.KindNumeric, Scale: 2}
	colF8      = syncer.Column{Name: "f8", Type: "double precision", Kind: syncer.KindFloat, Scale: -1}
	colF4      = syncer.Column{Name: "f4", Type: "real", Kind: syncer.KindFloat, Scale: -1}
	colBool    = syncer.Column{Name: "ok", Type: "boolean", Kind: syncer.KindBool, Scale: -1}
	colDate    = syncer.Column{Name: "shift_date", Type: "date", Kind: syncer.KindDate, Scale: -1}
	colTS      = syncer.Column{Name: "ts", Type: "timestamp without time zone", Kind: syncer.KindTimestamp, Scale: -1}
	colTSTZ    = syncer.Column{Name: "tstz", Type: "timestamp with time zone", Kind: syncer.KindTimestampTZ, Scale: -1}
	colJSON    = syncer.Column{Name: "j", Type: "jsonb", Kind: syncer.KindJSON, Scale: -1}
	colOther   = syncer.Column{Name: "arr", Type: "integer[]", Kind: syncer.KindOther, Scale: -1}
	serial0131 = 45688.0 // 2025-01-31
)

func mustLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s unavailable: %v", name, err)
	}
	return loc
}

func TestEncodeEveryKind(t *testing.T) {
	berlin := mustLoc(t, "Europe/Berlin")
	num := syncer.NumberCell
	str := syncer.StringCell
	tests := []struct {
		name string
		col  syncer.Column
		in   syncer.Value
		loc  *time.Location
		want syncer.Cell
	}{
		{"null text is an empty cell", colText, syncer.Null, nil, syncer.Cell{}},
		{"null number is an empty cell", colNum2, syncer.Null, nil, syncer.Cell{}},
		{"text verbatim", colText, syncer.Text("hello"), nil, str("hello")},
		{"formula stays text", colText, syncer.Text("=IMPORTDATA(\"x\")"), nil, str("=IMPORTDATA(\"x\")")},
		{"leading plus stays text", colText, syncer.Text("+7 999"), nil, str("+7 999")},
		{"empty text is an empty cell", colText, syncer.Text(""), nil, syncer.Cell{}},
		{"invalid UTF-8 is replaced as JSON would", colText, syncer.Text("a\xffb"), nil, str("a\uFFFDb")},
		{"error-like text is the error it reads back as", colText, syncer.Text("#N/A"), nil, syncer.Cell{Type: syncer.CellError, String: "#N/A"}},
		{"int", colInt, syncer.Text("42"), nil, num(42)},
		{"int at 2^53 is a number", colInt, syncer.Text("9007199254740992"), nil, num(9007199254740992)},
		{"int beyond 2^53 is text", colInt, syncer.Text("9007199254740993"), nil, str("9007199254740993")},
		{"negative int beyond 2^53 is text", colInt, syncer.Text("-9223372036854775808"), nil, str("-9223372036854775808")},
		{"numeric scale 2", colNum2, syncer.Text("12.50"), nil, num(12.5)},
		{"numeric 15 digits is a number", colNum2, syncer.Text("1234567890123.45"), nil, num(1234567890123.45)},
		{"numeric 16 digits is text", colNum2, syncer.Text("12345678901234.56"), nil, str("12345678901234.56")},
		{"numeric tiny is a number", colNum, syncer.Text("0.000000000000000000001"), nil, num(1e-21)},
		{"numeric NaN is text", colNum, syncer.Text("NaN"), nil, str("NaN")},
		{"numeric underflow is text", colNum, syncer.Text("0." + strings.Repeat("0", 400) + "1"), nil, str("0." + strings.Repeat("0", 400) + "1")},
		{"money", colMoney, syncer.Text("1234.56"), nil, num(1234.56)},
		{"money as Postgres prints it", colMoney, syncer.Text("$1,234.56"), nil, num(1234.56)},
		{"negative money", colMoney, syncer.Text("-$1,234.56"), nil, num(-1234.56)},
		{"money sign in parentheses", colMoney, syncer.Text("($5.00)"), nil, num(-5)},
		{"dollar text in a numeric column stays text", colNum2, syncer.Text("$5.00"), nil, str("$5.00")},
		{"float", colF8, syncer.Text("1.5"), nil, num(1.5)},
		{"float exponent", colF8, syncer.Text("1e+100"), nil, num(1e100)},
		{"float NaN is text", colF8, syncer.Text("NaN"), nil, str("NaN")},
		{"float -Infinity is text", colF8, syncer.Text("-Infinity"), nil, str("-Infinity")},
		{"bool true", colBool, syncer.Text("t"), nil, syncer.BoolCell(true)},
		{"bool false", colBool, syncer.Text("f"), nil, syncer.BoolCell(false)},
		{"bool::text true", colBool, syncer.Text("true"), nil, syncer.BoolCell(true)},
		{"date serial", colDate, syncer.Text("2025-01-31"), nil, num(serial0131)},
		{"date epoch is 0", colDate, syncer.Text("1899-12-30"), nil, num(0)},
		{"date before epoch is negative", colDate, syncer.Text("1899-12-29"), nil, num(-1)},
		{"date infinity is text", colDate, syncer.Text("infinity"), nil, str("infinity")},
		{"date BC is text", colDate, syncer.Text("0044-03-15 BC"), nil, str("0044-03-15 BC")},
		{"timestamp noon", colTS, syncer.Text("2025-01-31 12:00:00"), nil, num(serial0131 + 0.5)},
		{"timestamp microsecond", colTS, syncer.Text("2025-01-31 00:00:00.000001"), nil, num(serial0131 + 1e-6/86400)},
		{"timestamp microsecond beyond a double is text", colTS, syncer.Text("2300-01-01 00:00:00.000001"), nil, str("2300-01-01 00:00:00.000001")},
		{"timestamp -infinity is text", colTS, syncer.Text("-infinity"), nil, str("-infinity")},
		{"timestamptz in UTC", colTSTZ, syncer.Text("2025-01-31 12:00:00+00"), time.UTC, num(serial0131 + 0.5)},
		{"timestamptz nil loc is UTC", colTSTZ, syncer.Text("2025-01-31 12:00:00+00"), nil, num(serial0131 + 0.5)},
		{"timestamptz in Berlin wall clock", colTSTZ, syncer.Text("2025-01-31 12:00:00+00"), berlin, num(serial0131 + 13.0/24)},
		{"jsonb compacted", colJSON, syncer.Text(`{"a": 1, "b": [1, 2]}`), nil, str(`{"a":1,"b":[1,2]}`)},
		{"json keeps html", colJSON, syncer.Text(`{"a": "<b>"}`), nil, str(`{"a":"<b>"}`)},
		{"other verbatim", colOther, syncer.Text("{1,2,3}"), nil, str("{1,2,3}")},
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
			c, truncated := Codec{}.Encode(colText, syncer.Text(tt.in), nil)
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
	if c, truncated := (Codec{}).Encode(colText, syncer.Text(exact), nil); truncated || c.String != exact {
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
		c, _ := Codec{}.Encode(colTSTZ, syncer.Text(s), berlin)
		if c.Type == syncer.CellString {
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
	num := syncer.NumberCell
	str := syncer.StringCell
	tests := []struct {
		name string
		col  syncer.Column
		in   syncer.Cell
		loc  *time.Location
		want syncer.Value
	}{
		{"empty is NULL", colNum2, syncer.Cell{}, nil, syncer.Null},
		{"empty string is NULL", colText, str(""), nil, syncer.Null},
		{"text", colText, str("=1+2"), nil, syncer.Text("=1+2")},
		{"number in text column", colText, num(123), nil, syncer.Text("123")},
		{"bool in text column", colText, syncer.BoolCell(true), nil, syncer.Text("TRUE")},
		{"int", colInt, num(42), nil, syncer.Text("42")},
		{"int at 2^53", colInt, num(9007199254740992), nil, syncer.Text("9007199254740992")},
		{"int typed as text", colInt, str(" +7 "), nil, syncer.Text("7")},
		{"int8 kept as text", colInt, str("9007199254740993"), nil, syncer.Text("9007199254740993")},
		{"numeric padded to scale", colNum2, num(12.5), nil, syncer.Text("12.50")},
		{"numeric typed as text", colNum2, str("12.5"), nil, syncer.Text("12.50")},
		{"numeric with separators", colNum2, str("1,234.5"), nil, syncer.Text("1234.50")},
		{"numeric rounds half away from zero", colNum2, num(-0.005), nil, syncer.Text("-0.01")},
		{"numeric rounds to scale 0", colNum0, num(12.5), nil, syncer.Text("13")},
		{"numeric carry", colNum2, str("9.999"), nil, syncer.Text("10.00")},
		{"numeric negative zero", colNum2, str("-0.001"), nil, syncer.Text("0.00")},
		{"numeric no scale keeps digits", colNum, str("12.50"), nil, syncer.Text("12.50")},
		{"numeric no scale from number", colNum, num(12.5), nil, syncer.Text("12.5")},
		{"numeric huge", colNum, num(1e21), nil, syncer.Text("1000000000000000000000")},
		{"numeric long text exact", colNum2, str("12345678901234.56"), nil, syncer.Text("12345678901234.56")},
		{"numeric NaN text", colNum, str("nan"), nil, syncer.Text("NaN")},
		{"money", colMoney, num(1234.56), nil, syncer.Text("1234.56")},
		{"money typed with a symbol", colMoney, str("€ 1,234.5"), nil, syncer.Text("1234.50")},
		{"money typed negative", colMoney, str("-$3"), nil, syncer.Text("-3.00")},
		{"float fixed", colF8, num(123456789012345), nil, syncer.Text("123456789012345")},
		{"float 1e15 is exponent", colF8, num(1e15), nil, syncer.Text("1e+15")},
		{"float small fixed", colF8, num(0.0001), nil, syncer.Text("0.0001")},
		{"float small exponent", colF8, num(0.00001), nil, syncer.Text("1e-05")},
		{"float shortest", colF8, num(0.1), nil, syncer.Text("0.1")},
		{"float Infinity text", colF8, str("Infinity"), nil, syncer.Text("Infinity")},
		{"float typed", colF8, str("2.50"), nil, syncer.Text("2.5")},
		{"real shortest", colF4, num(1.1), nil, syncer.Text("1.1")},
		{"real 1e6 is exponent", colF4, num(1e6), nil, syncer.Text("1e+06")},
		{"bool", colBool, syncer.BoolCell(false), nil, syncer.Text("false")},
		{"bool typed yes", colBool, str("Yes"), nil, syncer.Text("true")},
		{"bool one", colBool, num(1), nil, syncer.Text("true")},
		{"date", colDate, num(serial0131), nil, syncer.Text("2025-01-31")},
		{"date before 1900", colDate, num(-36522), nil, syncer.Text("1800-01-01")},
		{"date typed", colDate, str("2025-1-5"), nil, syncer.Text("2025-01-05")},
		{"date infinity", colDate, str("Infinity"), nil, syncer.Text("infinity")},
		{"date BC", colDate, str("0044-03-15 BC"), nil, syncer.Text("0044-03-15 BC")},
		{"timestamp", colTS, num(serial0131 + 0.5), nil, syncer.Text("2025-01-31 12:00:00")},
		{"timestamp rounds down to microsecond", colTS, num(1.5 + 0.4e-6/86400), nil, syncer.Text("1899-12-31 12:00:00")},
		{"timestamp rounds up to microsecond", colTS, num(1.5 + 0.6e-6/86400), nil, syncer.Text("1899-12-31 12:00:00.000001")},
		{"timestamp rounds up over midnight", colTS, num(serial0131 + 1 - 0.3e-6/86400), nil, syncer.Text("2025-02-01 00:00:00")},
		{"timestamp typed with T", colTS, str("2025-01-31T12:34"), nil, syncer.Text("2025-01-31 12:34:00")},
		{"timestamp typed date only", colTS, str("2025-01-31"), nil, syncer.Text("2025-01-31 00:00:00")},
		{"timestamp fraction", colTS, str("2025-01-31 12:00:00.1234567"), nil, syncer.Text("2025-01-31 12:00:00.123457")},
		{"timestamptz from Berlin wall clock", colTSTZ, num(serial0131 + 13.0/24), berlin, syncer.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed with offset", colTSTZ, str("2025-01-31 13:00:00+01"), berlin, syncer.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed with Z", colTSTZ, str("2025-01-31T12:00:00Z"), berlin, syncer.Text("2025-01-31 12:00:00+00")},
		{"timestamptz typed in sheet zone", colTSTZ, str("2025-07-31 14:00"), berlin, syncer.Text("2025-07-31 12:00:00+00")},
		{"timestamptz BC", colTSTZ, str("0044-03-15 12:00:00+00 BC"), time.UTC, syncer.Text("0044-03-15 12:00:00+00 BC")},
		{"json", colJSON, str(`{"a": 1}`), nil, syncer.Text(`{"a":1}`)},
		{"json number", colJSON, num(5), nil, syncer.Text("5")},
		{"other", colOther, str("{1,2}"), nil, syncer.Text("{1,2}")},
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
		col  syncer.Column
		in   syncer.Cell
		want string // in the error text
	}{
		{"int fraction", colInt, syncer.NumberCell(42.5), "expected a whole number"},
		{"int beyond 2^53", colInt, syncer.NumberCell(1e17), "expected a whole number"},
		{"int words", colInt, syncer.StringCell("forty"), `got "forty"`},
		{"numeric words", colNum2, syncer.StringCell("abc"), "expected a number such as 12.50"},
		{"numeric bool", colNum2, syncer.BoolCell(true), "got boolean TRUE"},
		{"numeric bad grouping", colNum2, syncer.StringCell("12,34.5"), "expected a number"},
		{"numeric with a currency symbol", colNum2, syncer.StringCell("$5"), "expected a number"},
		{"money words", colMoney, syncer.StringCell("lots of $"), "expected a number"},
		{"money double sign", colMoney, syncer.StringCell("-$-5"), "expected a number"},
		{"float words", colF8, syncer.StringCell("lots"), "expected a number"},
		{"real overflow", colF4, syncer.NumberCell(1e300), "out of range for real"},
		{"bool two", colBool, syncer.NumberCell(2), "expected TRUE or FALSE"},
		{"date with time", colDate, syncer.NumberCell(serial0131 + 0.5), "time of day"},
		{"date european", colDate, syncer.StringCell("31/01/2025"), "expected a date such as 2025-01-31"},
		{"date impossible", colDate, syncer.StringCell("2025-02-30"), "expected a date"},
		{"date huge serial", colDate, syncer.NumberCell(1e12), "expected a date"},
		{"timestamp offset", colTS, syncer.StringCell("2025-01-31 12:00:00+02"), "expected a date and time"},
		{"timestamp bool", colTS, syncer.BoolCell(true), "expected a date and time"},
		{"json invalid", colJSON, syncer.StringCell("{bad"), `expected JSON`},
		{"formula error", colText, syncer.Cell{Type: syncer.CellError, String: "#REF!"}, "#REF!"},
		{"not finite", colNum2, syncer.NumberCell(math.Inf(1)), "not finite"},
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
	if _, err := (Codec{}).Decode(colText, syncer.Cell{Type: syncer.CellError, String: "#N/A"}, nil); !errors.Is(err, ErrFormulaError) {
		t.Errorf("formula error: err = %v, want ErrFormulaError", err)
	}
}

func TestFormatPerKind(t *testing.T) {
	tests := []struct {
		col  syncer.Column
		want syncer.NumberFormat
	}{
		{colDate, syncer.NumberFormat{Type: "DATE", Pattern: "yyyy-mm-dd"}},
		{colTS, syncer.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}},
		{colTSTZ, syncer.NumberFormat{Type: "DATE_TIME", Pattern: "yyyy-mm-dd hh:mm:ss"}},
		{colNum2, syncer.NumberFormat{Type: "NUMBER", Pattern: "#,##0.00"}},
		{colNum0, syncer.NumberFormat{Type: "NUMBER", Pattern: "#,##0"}},
		{colNum, syncer.NumberFormat{}},
		{colMoney, syncer.NumberFormat{Type: "CURRENCY", Pattern: "#,##0.00"}},
		{syncer.Column{Type: "numeric(10,4)", Kind: syncer.KindNumeric, Scale: 4}, syncer.NumberFormat{Type: "NUMBER", Pattern: "#,##0.0000"}},
		{colInt, syncer.NumberFormat{Type: "NUMBER", Pattern: "0"}},
		{colText, syncer.NumberFormat{Type: "TEXT", Pattern: "@"}},
		{colJSON, syncer.NumberFormat{Type: "TEXT", Pattern: "@"}},
		{colF8, syncer.NumberFormat{}},
		{colBool, syncer.NumberFormat{}},
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
	cases := map[*syncer.Column][]string{
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
				c, _ := Codec{}.Encode(*col, syncer.Text(s), loc)
				got, err := Codec{}.Decode(*col, c, loc)
				if err != nil {
					t.Errorf("%s %q in %s: Decode(%+v): %v", col.Kind, s, loc, c, err)
					continue
				}
				if got != syncer.Text(s) {
					t.Errorf("%s %q in %s: round trip via %+v gave %q", col.Kind, s, loc, c, got.Text)
				}
			}
		}
	}
}
