package importer

import (
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
)

func str(s string) syncd.GridCell { return syncd.GridCell{Value: syncd.StringCell(s)} }
func num(f float64, fmt string) syncd.GridCell {
	return syncd.GridCell{Value: syncd.NumberCell(f), Format: fmt}
}
func ptr(s string) *string { return &s }
func errCell(s string) syncd.GridCell {
	return syncd.GridCell{Value: syncd.Cell{Type: syncd.CellError, String: s}}
}
func boolCell(b bool) syncd.GridCell { return syncd.GridCell{Value: syncd.BoolCell(b)} }
func money(comma bool) *Rule {
	return &Rule{Type: TypeDecimal, DecimalComma: comma, Scale: 2, MaxIntDigits: 10}
}
func rule(typ string, scale int) *Rule { return &Rule{Type: typ, Scale: scale} }

// TestParseCells covers every messy form the legacy sheet holds, and the
// values each must become (canonical Postgres text; "NULL" for NULL;
// "!kind" for a rejection of that kind).
func TestParseCells(t *testing.T) {
	dates := &Rule{Type: TypeDate, DateFormats: []string{"dd.mm.yyyy", "yyyy-mm-dd"}}
	status := &Rule{Type: TypeText, Lower: true, Map: map[string]*string{"закрыта": ptr("closed")},
		Allowed: []string{"open", "closed", "cancelled"}, Default: ptr("open")}
	cases := []struct {
		name string
		r    *Rule
		c    syncd.GridCell
		want string
	}{
		{"ru money with nbsp", money(true), str("1\u00a0234,50"), "1234.50"},
		{"ru money with narrow nbsp", money(true), str("12\u202f345,6"), "12345.60"},
		{"ru money plain space", money(true), str("2 681,14"), "2681.14"},
		{"money number", money(true), num(29790.4, "NUMBER"), "29790.40"},
		{"formula result rounded to the cent", money(true), num(6895.664400000001, ""), "6895.66"},
		{"half away from zero", money(true), num(437.025, ""), "437.03"},
		{"negative ru money", money(true), str("−1 000,00"), "-1000.00"},
		{"en money", money(false), str("1,234.50"), "1234.50"},
		{"money with currency sign", money(true), str("1 500,00 ₽"), "1500.00"},
		{"money too large for numeric(12,2)", money(true), str("12 345 678 901,00"), "!bad_value"},
		{"money text", money(true), str("много"), "!bad_value"},
		{"empty money is NULL", money(true), str("  "), "NULL"},
		{"percent text", rule(TypePercent, 2), str("7%"), "7.00"},
		{"percent cell", rule(TypePercent, 2), num(0.07, "PERCENT"), "7.00"},
		{"percent units", rule(TypePercent, 2), num(9, ""), "9.00"},
		{"percent 0.05 cell", rule(TypePercent, -1), num(0.05, "PERCENT"), "5"},
		{"int", rule(TypeInt, -1), num(1000, ""), "1000"},
		{"int text", rule(TypeInt, -1), str(" 412633920 "), "412633920"},
		{"int 12a", rule(TypeInt, -1), str("12a"), "!bad_value"},
		{"int #REF! text", rule(TypeInt, -1), str("#REF!"), "!bad_value"},
		{"int #REF! error", rule(TypeInt, -1), errCell("#REF!"), "!bad_value"},
		{"int fraction", rule(TypeInt, -1), num(1.5, ""), "!bad_value"},
		{"int32 overflow", &Rule{Type: TypeInt, IntBits: 32}, num(3e9, ""), "!bad_value"},
		{"date serial", dates, num(45951, "DATE"), "2025-10-21"},
		{"date serial with time", dates, num(45951.75, "DATE_TIME"), "2025-10-21"},
		{"date number without date format", dates, num(45951, ""), "!bad_value"},
		{"date dd.mm.yyyy", dates, str("22.08.2025"), "2025-08-22"},
		{"date iso", dates, str("2025-05-12"), "2025-05-12"},
		{"impossible date", dates, str("31.02.2025"), "!bad_value"},
		{"month 13", dates, str("2025-13-01"), "!bad_value"},
		{"yesterday", dates, str("вчера"), "!bad_value"},
		{"time", rule(TypeTime, -1), str("9:30"), "09:30:00"},
		{"time serial", rule(TypeTime, -1), num(0.5, "TIME"), "12:00:00"},
		{"bool cell", rule(TypeBool, -1), boolCell(true), "true"},
		{"bool да", rule(TypeBool, -1), str("да"), "true"},
		{"bool Да", rule(TypeBool, -1), str("Да"), "true"},
		{"bool нет", rule(TypeBool, -1), str("нет"), "false"},
		{"bool yes", rule(TypeBool, -1), str("yes"), "true"},
		{"bool maybe", rule(TypeBool, -1), str("может быть"), "!bad_value"},
		{"text trimmed", rule(TypeText, -1), str("Сергей Лебедев "), "Сергей Лебедев"},
		{"text formula-looking stays text", rule(TypeText, -1), str("=SUM(A1:A9)"), "=SUM(A1:A9)"},
		{"text keeps spaces when asked", &Rule{Type: TypeText, NoTrim: true}, str(" x "), " x "},
		{"status map", status, str("закрыта"), "closed"},
		{"status case and space", status, str("CLOSED "), "closed"},
		{"status default", status, str(""), "open"},
		{"status unknown", status, str("done"), "!bad_value"},
		{"map to NULL", &Rule{Type: TypeDecimal, Scale: 2, Map: map[string]*string{"∞": nil}}, str("∞"), "NULL"},
	}
	for _, tc := range cases {
		v, err := tc.r.Parse(tc.c)
		got := v.Text
		switch {
		case err != nil:
			pe, ok := err.(*ParseError)
			if !ok {
				t.Errorf("%s: error %v is not a *ParseError", tc.name, err)
				continue
			}
			got = "!" + pe.Kind
		case !v.Valid:
			got = "NULL"
		}
		if got != tc.want {
			t.Errorf("%s: Parse(%+v) = %q (err %v), want %q", tc.name, tc.c, got, err, tc.want)
		}
	}
}

func TestDecimalShiftAndRound(t *testing.T) {
	for _, tc := range []struct {
		in    string
		shift int
		scale int
		want  string
	}{
		{"0.07", 2, -1, "7"},
		{"0.075", 2, 2, "7.50"},
		{"12", -3, -1, "0.012"},
		{"9.995", 0, 2, "10.00"},
		{"-0.005", 0, 2, "-0.01"},
		{"-0.004", 0, 2, "0.00"},
		{"999.999", 0, 0, "1000"},
	} {
		d, ok := decimal.Parse(tc.in)
		if !ok {
			t.Fatalf("parse %q", tc.in)
		}
		if got := d.Shift(tc.shift).Round(tc.scale).String(); got != tc.want {
			t.Errorf("%s shift %d round %d = %s, want %s", tc.in, tc.shift, tc.scale, got, tc.want)
		}
	}
}
