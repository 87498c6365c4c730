package sheetsemu

import (
	"testing"
)

func TestParseA1Forms(t *testing.T) {
	const open = -1
	cases := []struct {
		in       string
		sheet    string
		hasCells bool
		r0, c0   int
		r1, c1   int
	}{
		{"Sheet1!A1:B2", "Sheet1", true, 0, 0, 2, 2},
		{"A1:B2", "", true, 0, 0, 2, 2},
		{"B2:A1", "", true, 0, 0, 2, 2}, // reversed corners are normalised
		{"Sheet1!A:A", "Sheet1", true, 0, 0, open, 1},
		{"Sheet1!1:2", "Sheet1", true, 0, 0, 2, open},
		{"Sheet1!A5:A", "Sheet1", true, 4, 0, open, 1},
		{"Sheet1!C3", "Sheet1", true, 2, 2, 3, 3},
		{"Sheet1", "Sheet1", false, open, open, open, open},
		{"'My Custom Sheet'!A:A", "My Custom Sheet", true, 0, 0, open, 1},
		{"'Jon''s Data'!A1:D5", "Jon's Data", true, 0, 0, 5, 4},
		{"'A1'!B2", "A1", true, 1, 1, 2, 2},
		{"A1", "", true, 0, 0, 1, 1}, // an unquoted name that looks like a cell is a cell
		{"'🌵 x'", "🌵 x", false, open, open, open, open},
		{"Sheet1!AA10:ZZZ20", "Sheet1", true, 9, 26, 20, 18278},
		{"Sheet1!a1:b2", "Sheet1", true, 0, 0, 2, 2},
	}
	for _, c := range cases {
		r, err := ParseA1(c.in)
		if err != nil {
			t.Errorf("ParseA1(%q): %v", c.in, err)
			continue
		}
		got := []any{r.Sheet, r.HasCells, r.StartRow, r.StartCol, r.EndRow, r.EndCol}
		want := []any{c.sheet, c.hasCells, c.r0, c.c0, c.r1, c.c1}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("ParseA1(%q) = %+v, want %v", c.in, r, want)
				break
			}
		}
	}
}

func TestParseA1Rejects(t *testing.T) {
	for _, in := range []string{"", "'unterminated", "''!A1", "Sheet1!1:A", "Sheet1!A0", "Sheet1!AAAA1", "Sheet1!A1:B2:C3", "!A1", "Sheet1!", "'x'y"} {
		if r, err := ParseA1(in); err == nil {
			t.Errorf("ParseA1(%q) = %+v, want error", in, r)
		}
	}
}

func TestQuoteTitleMatchesGoogleEcho(t *testing.T) {
	cases := map[string]string{
		"Sheet1":                    "Sheet1",
		"Shifts":                    "Shifts",
		"worksheet 2":               "'worksheet 2'",
		"Jon's Data":                "'Jon''s Data'",
		"D3":                        "'D3'", // reads as a cell
		"X":                         "'X'",  // reads as a column
		"R1C1":                      "'R1C1'",
		"🌵 test_values_batch_get 1": "'🌵 test_values_batch_get 1'",
		"1abc":                      "'1abc'",
		"my_tab":                    "my_tab",
	}
	for in, want := range cases {
		if got := QuoteTitle(in); got != want {
			t.Errorf("QuoteTitle(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatA1EchoForms(t *testing.T) {
	cases := map[string]string{
		"Sheet1!A1:B2":       "Sheet1!A1:B2",
		"'Sheet1'!C1:C1":     "Sheet1!C1",
		"'Sheet1'!A:A":       "Sheet1!A:A",
		"Sheet1!A5:A":        "Sheet1!A5:A",
		"Sheet1!2:3":         "Sheet1!2:3",
		"'Jon''s Data'":      "'Jon''s Data'",
		"'My Sheet'!A1:ZZZ9": "'My Sheet'!A1:ZZZ9",
	}
	for in, want := range cases {
		r, err := ParseA1(in)
		if err != nil {
			t.Fatalf("ParseA1(%q): %v", in, err)
		}
		if got := FormatA1(r); got != want {
			t.Errorf("FormatA1(ParseA1(%q)) = %q, want %q", in, got, want)
		}
	}
}

func TestColumnName(t *testing.T) {
	for col, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 701: "ZZ", 702: "AAA", 18277: "ZZZ"} {
		if got := ColumnName(col); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", col, got, want)
		}
	}
}

// FuzzA1 checks that the parser never panics and that formatting a parsed
// range and parsing it again yields the same range.
func FuzzA1(f *testing.F) {
	for _, s := range []string{"Sheet1!A1:B2", "A:A", "1:2", "'Jon''s Data'!A5:A", "Sheet1", "'🌵'!ZZZ1", "A1", "B2:A1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseA1(s)
		if err != nil {
			return
		}
		text := FormatA1(r)
		r2, err := ParseA1(text)
		if err != nil {
			t.Fatalf("ParseA1(%q) ok but its format %q does not parse: %v", s, text, err)
		}
		if r != r2 {
			t.Fatalf("round trip changed range: %q → %+v → %q → %+v", s, r, text, r2)
		}
	})
}
