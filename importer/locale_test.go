package importer

import (
	"testing"

	"github.com/syncd/syncd"
)

// TestParseLocaleDecimal: the legacy sheet's number text normalises to the
// exact decimal it spells, in either locale.
func TestParseLocaleDecimal(t *testing.T) {
	for _, tc := range []struct {
		in    string
		comma bool
		want  string // "!" means rejected
	}{
		{"1\u00a0234,56", true, "1234.56"},
		{"1 234,56", true, "1234.56"},
		{"1'234.5", false, "1234.5"},
		{"1.234,56", true, "1234.56"},
		{"1.234,56", false, "1234.56"}, // the last separator is the decimal one
		{"1,234.56", true, "1234.56"},
		{"1,5", true, "1.5"},
		{"1,5", false, "15"}, // a decimal-point locale groups with commas
		{"1,234,5", true, "12345"},
		{"€ 12,50", true, "12.50"},
		{"12,50 ₽", true, "12.50"},
		{"\u22121 000,00", true, "-1000.00"},
		{"+7", true, "7"},
		{",5", true, "0.5"},
		{"1.2.3", false, "!"},
		{"12a", true, "!"},
		{"1e5", true, "!"},
		{"", true, "!"},
		{"₽", true, "!"},
	} {
		d, ok := parseLocaleDecimal(tc.in, tc.comma)
		got := "!"
		if ok {
			got = d.String()
		}
		if got != tc.want {
			t.Errorf("parseLocaleDecimal(%q, %v) = %s, want %s", tc.in, tc.comma, got, tc.want)
		}
	}
}

// TestParseExact: values no double holds come through Parse digit for
// digit: int8 beyond 2^53, numerics past 15 significant digits, money.
func TestParseExact(t *testing.T) {
	for _, tc := range []struct {
		r    *Rule
		in   string
		want string
	}{
		{&Rule{Type: TypeInt}, "9 007 199 254 740 993", "9007199254740993"},
		{&Rule{Type: TypeInt}, "9223372036854775807", "9223372036854775807"},
		{&Rule{Type: TypeInt}, "9223372036854775808", "!"},
		{&Rule{Type: TypeInt, IntBits: 16}, "32 768", "!"},
		{&Rule{Type: TypeInt}, "12,000", "12000"},
		{&Rule{Type: TypeInt, DecimalComma: true}, "12,00", "12"},
		{&Rule{Type: TypeDecimal, Scale: -1}, "12345678901234567890,123456789", "12345678901234567890123456789"}, // en: commas group
		{&Rule{Type: TypeDecimal, Scale: -1, DecimalComma: true}, "12345678901234567890,123456789", "12345678901234567890.123456789"},
		{&Rule{Type: TypeDecimal, Scale: 2, DecimalComma: true}, "92 233 720 368 547 758,07", "92233720368547758.07"},
		{&Rule{Type: TypeDecimal, Scale: 2, DecimalComma: true}, "0,005", "0.01"},
		{&Rule{Type: TypePercent, Scale: 4}, "12.34567%", "12.3457"},
	} {
		v, err := tc.r.Parse(syncd.GridCell{Value: syncd.StringCell(tc.in)})
		got := v.Text
		if err != nil {
			got = "!"
		}
		if got != tc.want {
			t.Errorf("%s rule: Parse(%q) = %q (%v), want %s", tc.r.Type, tc.in, got, err, tc.want)
		}
	}
}
