package sheets

import "testing"

// TestParseDecimalSyntax pins what the codec reads as a number: Postgres'
// own text strictly, and with lenient what people type (a '+', ".5", "5.",
// spaces around, thousands commas in groups of three), but never a second
// sign, an exponent or a misplaced comma.
func TestParseDecimalSyntax(t *testing.T) {
	for _, tc := range []struct {
		in            string
		strict, loose string // "!" means rejected
	}{
		{"-12.50", "-12.50", "-12.50"},
		{"0012", "12", "12"},
		{"-0.00", "0.00", "0.00"},
		{"+5", "!", "5"},
		{" 5 ", "!", "5"},
		{".5", "!", "0.5"},
		{"5.", "!", "5"},
		{"1,234,567.89", "!", "1234567.89"},
		{"-1,234", "!", "-1234"},
		{"1,23", "!", "!"},
		{"1234,567", "!", "!"},
		{",123", "!", "!"},
		{"+-5", "!", "!"},
		{"-+5", "!", "!"},
		{"1e5", "!", "!"},
		{"1.2.3", "!", "!"},
		{"1.234,5", "!", "!"},
		{"", "!", "!"},
		{"-", "!", "!"},
	} {
		for _, p := range []struct {
			lenient bool
			want    string
		}{{false, tc.strict}, {true, tc.loose}} {
			d, ok := parseDecimal(tc.in, p.lenient)
			got := "!"
			if ok {
				got = d.String()
			}
			if got != p.want {
				t.Errorf("parseDecimal(%q, %v) = %s, want %s", tc.in, p.lenient, got, p.want)
			}
		}
	}
}

// TestMoneyDecimal: money in the forms Postgres prints it and people type
// it reads as a plain decimal, one sign at most.
func TestMoneyDecimal(t *testing.T) {
	for in, want := range map[string]string{
		"$1,234.56":                  "1234.56",
		"-$1,234.56":                 "-1234.56",
		"($5.00)":                    "-5.00",
		"$-1.00":                     "-1.00",
		"€12.50":                     "12.50",
		"12.50 EUR":                  "12.50",
		"-$0.00":                     "0.00",
		"(-$5.00)":                   "!",
		"--$5":                       "!",
		"$":                          "!",
		"A- -1":                      "-1", // the sign after the space is read once, not twice
		"$92,233,720,368,547,758.07": "92233720368547758.07",
	} {
		d, ok := moneyDecimal(in)
		got := "!"
		if ok {
			got = d.String()
		}
		if got != want {
			t.Errorf("moneyDecimal(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestExactDecimal: a numeric is written as a number only when the double
// holds it exactly; int8-sized and long numerics stay text.
func TestExactDecimal(t *testing.T) {
	for in, want := range map[string]bool{
		"1234.56":              true,
		"123456789012345":      true,  // 15 significant digits
		"1234567890123456":     false, // 16
		"9007199254740993":     false, // 2^53 + 1
		"92233720368547758.07": false, // largest money
		"0.1":                  true,
		"1e-400":               false,
		"0." + "0000000001":    true,
		"+1":                   false, // not Postgres' text
	} {
		if _, got := exactDecimal(in); got != want {
			t.Errorf("exactDecimal(%q) = %v, want %v", in, got, want)
		}
	}
}
