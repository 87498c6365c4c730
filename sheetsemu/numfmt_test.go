package sheetsemu

import (
	"testing"

	"google.golang.org/api/sheets/v4"
)

func TestFormatNumberPatterns(t *testing.T) {
	nf := func(typ, pat string) *sheets.NumberFormat { return &sheets.NumberFormat{Type: typ, Pattern: pat} }
	cases := []struct {
		v      float64
		nf     *sheets.NumberFormat
		locale string
		want   string
	}{
		{2, nil, "", "2"},
		{1.5, nil, "", "1.5"},
		{1.0 / 3, nil, "", "0.3333333333"},
		{1e16, nil, "", "1.00E+16"},
		{1234567.891, nf("NUMBER", "#,##0.00"), "", "1,234,567.89"},
		{-1234.5, nf("NUMBER", "#,##0.00"), "", "-1,234.50"},
		{0.5, nf("NUMBER", "0.000"), "", "0.500"},
		{0.125, nf("PERCENT", "0.0%"), "", "12.5%"},
		{0.05, nf("PERCENT", "0%"), "", "5%"},
		{1234.5, nf("CURRENCY", `"$"#,##0.00`), "", "$1,234.50"},
		{-5, nf("CURRENCY", `"$"#,##0.00;("$"#,##0.00)`), "", "($5.00)"},
		{1234.5, nf("CURRENCY", `#,##0.00 "₽"`), "", "1,234.50 ₽"},
		{12345, nf("SCIENTIFIC", "0.00E+00"), "", "1.23E+4"},
		{45951, nf("DATE", "dd.mm.yyyy"), "ru_RU", "21.10.2025"},
		{43831, nf("DATE", "yyyy-mm-dd"), "", "2020-01-01"},
		{43831.75, nf("DATE_TIME", "M/d/yyyy H:mm:ss"), "", "1/1/2020 18:00:00"},
		{0.75, nf("TIME", "h:mm am/pm"), "", "6:00 PM"},
		{43831, nf("DATE", "dddd, mmmm d"), "", "Wednesday, January 1"},
		{43831, nf("DATE", ""), "", "1/1/2020"},
		{29790.4, nf("NUMBER", "#,##0.00"), "ru_RU", "29\u00a0790,40"},
		{1.5, nil, "de_DE", "1,5"},
	}
	for _, c := range cases {
		if got := formatNumberLocale(c.v, c.nf, c.locale); got != c.want {
			t.Errorf("format(%v, %+v, %q) = %q, want %q", c.v, c.nf, c.locale, got, c.want)
		}
	}
}

func TestParseUserEnteredTypes(t *testing.T) {
	cases := []struct {
		in      any
		num     *float64
		str     *string
		formula string
		typ     string
	}{
		{"42", ptr(42.0), nil, "", ""},
		{"-1,234.5", ptr(-1234.5), nil, "", "NUMBER"},
		{"12%", ptr(0.12), nil, "", "PERCENT"},
		{"$3.50", ptr(3.5), nil, "", "CURRENCY"},
		{"2020-01-02", ptr(43832.0), nil, "", "DATE"},
		{"1/2/2020", ptr(43832.0), nil, "", "DATE"},
		{"2020-01-02 12:00:00", ptr(43832.5), nil, "", "DATE_TIME"},
		{"=SUM(A1:A3)", nil, nil, "=SUM(A1:A3)", ""},
		{"'=SUM(A1)", nil, ptr("=SUM(A1)"), "", ""},
		{"hello", nil, ptr("hello"), "", ""},
		{"007abc", nil, ptr("007abc"), "", ""},
		{3.25, ptr(3.25), nil, "", ""},
	}
	for _, c := range cases {
		p := parseUserEntered(c.in)
		v := p.Value
		switch {
		case c.num != nil && (v == nil || v.NumberValue == nil || *v.NumberValue != *c.num):
			t.Errorf("%v → %+v, want number %v", c.in, v, *c.num)
		case c.str != nil && (v == nil || v.StringValue == nil || *v.StringValue != *c.str):
			t.Errorf("%v → %+v, want string %q", c.in, v, *c.str)
		case c.formula != "" && (v == nil || v.FormulaValue == nil || *v.FormulaValue != c.formula):
			t.Errorf("%v → %+v, want formula %q", c.in, v, c.formula)
		}
		if got := ""; p.Format != nil {
			got = p.Format.Type
			if got != c.typ {
				t.Errorf("%v → format %q, want %q", c.in, got, c.typ)
			}
		} else if c.typ != "" {
			t.Errorf("%v → no format, want %q", c.in, c.typ)
		}
	}
	if b := parseUserEntered("true").Value; b == nil || b.BoolValue == nil || !*b.BoolValue {
		t.Errorf("TRUE not parsed as bool: %+v", b)
	}
}

func TestFormulaEvaluation(t *testing.T) {
	b := &book{Props: defaultSpreadsheetProps("f")}
	s := &sheet{Props: newSheetProps(0, "Sheet1", 0)}
	other := &sheet{Props: newSheetProps(1, "Other Tab", 1)}
	b.Sheets = []*sheet{s, other}
	s.setCell(0, 0, numCell(2))
	s.setCell(1, 0, numCell(3))
	s.setCell(2, 0, strCell("x"))
	other.setCell(0, 0, numCell(10))
	s.setCell(0, 1, &sheets.CellData{UserEnteredValue: &sheets.ExtendedValue{FormulaValue: ptr("=B1")}})
	cases := map[string]string{
		"=1+2*3":                 "7",
		"=(1+2)*3":               "9",
		"=2^3^2":                 "512",
		"=-A1+A2":                "1",
		"=SUM(A1:A3)":            "5",
		"=AVERAGE(A1:A2)":        "2.5",
		"=A1&\"-\"&A3":           "2-x",
		"='Other Tab'!A1*A1":     "20",
		"=IF(A1>A2,\"a\",\"b\")": "b",
		"=1/0":                   "#DIV/0!",
		"=NOSUCH(1)":             "#NAME?",
		"=B1":                    "#REF!", // B1 refers to itself
		"=ROUND(2.345,2)":        "2.35",
		"=LEN(\"héllo\")":        "5",
	}
	for f, want := range cases {
		got, _ := formattedValue(evalFormula(b, s, f, 0), nil, "en_US")
		if got != want {
			t.Errorf("%s = %q, want %q", f, got, want)
		}
	}
}
