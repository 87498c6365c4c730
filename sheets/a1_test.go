package sheets

import (
	"errors"
	"testing"

	"github.com/syncd/syncd"
)

func TestColumnLettersAndIndex(t *testing.T) {
	for _, tt := range []struct {
		col     int
		letters string
	}{{0, "A"}, {25, "Z"}, {26, "AA"}, {51, "AZ"}, {52, "BA"}, {701, "ZZ"}, {702, "AAA"}, {MaxColumns - 1, "ZZZ"}} {
		if got := ColumnLetters(tt.col); got != tt.letters {
			t.Errorf("ColumnLetters(%d) = %q, want %q", tt.col, got, tt.letters)
		}
		if got, err := ColumnIndex(tt.letters); err != nil || got != tt.col {
			t.Errorf("ColumnIndex(%q) = %d, %v, want %d", tt.letters, got, err, tt.col)
		}
	}
	for _, bad := range []int{-1, MaxColumns} {
		if got := ColumnLetters(bad); got != "" {
			t.Errorf("ColumnLetters(%d) = %q, want empty", bad, got)
		}
	}
	for _, bad := range []string{"", "A1", "AAAA", "ÄB", "-"} {
		if _, err := ColumnIndex(bad); err == nil {
			t.Errorf("ColumnIndex(%q) succeeded", bad)
		}
	}
	if got, err := ColumnIndex("ab"); err != nil || got != 27 {
		t.Errorf("ColumnIndex(ab) = %d, %v: letters are case-insensitive", got, err)
	}
}

func TestQuoteTitle(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Shifts", "Shifts"},
		{"Sheet_1", "Sheet_1"},
		{"My Sheet", "'My Sheet'"},
		{"Jon's Data", "'Jon''s Data'"},
		{"A1", "'A1'"},
		{"crm26", "'crm26'"},
		{"R1C1", "'R1C1'"},
		{"rc", "'rc'"},
		{"R", "'R'"},
		{"C12", "'C12'"},
		{"2024", "'2024'"},
		{"🌵 test", "'🌵 test'"},
		{"", "''"},
		{"Café", "'Café'"},
		{"Report", "Report"},
		{"Rates", "Rates"},
	} {
		if got := QuoteTitle(tt.in); got != tt.want {
			t.Errorf("QuoteTitle(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	for _, tt := range []struct {
		r    syncd.Range
		want string
	}{
		{syncd.Range{Tab: "Shifts"}, "Shifts"},
		{syncd.Range{Tab: "My Tab"}, "'My Tab'"},
		{syncd.Range{Tab: "Shifts", EndCol: 3}, "Shifts!A:C"},
		{syncd.Range{Tab: "Shifts", StartRow: 1, EndCol: 6}, "Shifts!A2:F"},
		{syncd.Range{Tab: "Shifts", StartRow: 1, EndRow: 10, StartCol: 1, EndCol: 3}, "Shifts!B2:C10"},
		{syncd.Range{Tab: "Shifts", EndRow: 1, EndCol: 1}, "Shifts!A1:A1"},
		{syncd.Range{Tab: "Shifts", StartRow: 1, EndRow: 5}, "Shifts!2:5"},
		{syncd.Range{Tab: "Jon's", EndRow: 1}, "'Jon''s'!1:1"},
		{syncd.Range{EndRow: 2, EndCol: 2}, "A1:B2"},
	} {
		got, err := FormatRange(tt.r)
		if err != nil || got != tt.want {
			t.Errorf("FormatRange(%+v) = %q, %v, want %q", tt.r, got, err, tt.want)
		}
	}
	for _, r := range []syncd.Range{
		{Tab: "T", StartCol: 2},              // C1 to the end of the grid
		{Tab: "T", StartRow: 4},              // row 5 onwards, every column
		{Tab: "T", StartRow: 4, StartCol: 1}, // B5 onwards
	} {
		if _, err := FormatRange(r); !errors.Is(err, ErrUnrepresentable) {
			t.Errorf("FormatRange(%+v): err = %v, want ErrUnrepresentable", r, err)
		}
	}
	for _, r := range []syncd.Range{
		{Tab: "T", StartRow: -1},
		{Tab: "T", StartRow: 5, EndRow: 5},
		{Tab: "T", StartCol: 3, EndCol: 2},
		{Tab: "T", EndCol: MaxColumns + 1},
		{},
	} {
		if s, err := FormatRange(r); err == nil {
			t.Errorf("FormatRange(%+v) = %q, want an error", r, s)
		}
	}
}

func TestParseRangeAPIEchoes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want syncd.Range
	}{
		{"Sheet1!A1:Z1000", syncd.Range{Tab: "Sheet1", EndRow: 1000, EndCol: 26}},
		{"'X'!A1:A10", syncd.Range{Tab: "X", EndRow: 10, EndCol: 1}},
		{"'Jon''s Data'!A1:Z1000", syncd.Range{Tab: "Jon's Data", EndRow: 1000, EndCol: 26}},
		{"'🌵 test_values_batch_get 1'!A1:C2", syncd.Range{Tab: "🌵 test_values_batch_get 1", EndRow: 2, EndCol: 3}},
		{"Shifts!A2:F", syncd.Range{Tab: "Shifts", StartRow: 1, EndCol: 6}},
		{"Shifts!A:C", syncd.Range{Tab: "Shifts", EndCol: 3}},
		{"Shifts!2:5", syncd.Range{Tab: "Shifts", StartRow: 1, EndRow: 5}},
		{"Shifts!B3", syncd.Range{Tab: "Shifts", StartRow: 2, EndRow: 3, StartCol: 1, EndCol: 2}},
		{"Shifts", syncd.Range{Tab: "Shifts"}},
		{"'A1'", syncd.Range{Tab: "A1"}},
		{"A1:B2", syncd.Range{EndRow: 2, EndCol: 2}},
		{"a!b!A1:A1", syncd.Range{Tab: "a!b", EndRow: 1, EndCol: 1}},
	} {
		got, err := ParseRange(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRange(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "'unterminated", "''!A1", "'T'x", "!A1", "T!", "T!A0", "T!B2:A1", "T!A:5", "T!5:A", "T!AAAA1", "T!A99999999999"} {
		if r, err := ParseRange(bad); err == nil {
			t.Errorf("ParseRange(%q) = %+v, want an error", bad, r)
		}
	}
}
