package decimal

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in, plain, canonical string // "!" means rejected
	}{
		{"42", "42", "42"},
		{"-12.50", "-12.50", "-12.50"},
		{"0.001", "0.001", "0.001"},
		{"007.10", "7.10", "7.10"},
		{"-0", "0", "0"},
		{"-0.00", "0.00", "0.00"},
		{"+7", "7", "!"},
		{".5", "0.5", "!"},
		{"5.", "5", "!"},
		{"-.5", "-0.5", "!"},
		{"", "!", "!"},
		{"-", "!", "!"},
		{"+", "!", "!"},
		{".", "!", "!"},
		{"--5", "!", "!"},
		{"+-5", "!", "!"},
		{"1e5", "!", "!"},
		{" 1", "!", "!"},
		{"1 000", "!", "!"},
		{"1,5", "!", "!"},
		{"1.2.3", "!", "!"},
		{"NaN", "!", "!"},
		{"Infinity", "!", "!"},
		{"١٢", "!", "!"}, // non-ASCII digits
		{"0x10", "!", "!"},
		{"1_000", "!", "!"},
	} {
		for _, p := range []struct {
			name  string
			parse func(string) (Decimal, bool)
			want  string
		}{{"Parse", Parse, tc.plain}, {"ParseCanonical", ParseCanonical, tc.canonical}} {
			d, ok := p.parse(tc.in)
			got := "!"
			if ok {
				got = d.String()
			}
			if got != p.want {
				t.Errorf("%s(%q) = %s, want %s", p.name, tc.in, got, p.want)
			}
		}
	}
}

func must(t *testing.T, s string) Decimal {
	t.Helper()
	d, ok := Parse(s)
	if !ok {
		t.Fatalf("Parse(%q) failed", s)
	}
	return d
}

// TestExact: the values the codec and the importer must never change by a
// digit survive Parse and String, and Round to their own scale.
func TestExact(t *testing.T) {
	for _, s := range []string{
		"92233720368547758.07",  // largest money
		"-92233720368547758.08", // smallest money
		"9223372036854775807",   // int8 max
		"-9223372036854775808",  // int8 min
		"9007199254740993",      // 2^53 + 1: no double holds it
		"0.1000000000000000055511151231257827",
		"12345678901234567890.123456789012345678901234567890",
		"0.00000000000000000000000000000000000000000001",
		"1" + strings.Repeat("0", 1000) + ".5",
	} {
		d := must(t, s)
		if got := d.String(); got != s {
			t.Errorf("Parse(%q).String() = %s", s, got)
		}
		if got := d.Round(d.Scale()).String(); got != s {
			t.Errorf("%s rounded to its own scale = %s", s, got)
		}
		if r, _ := new(big.Rat).SetString(s); d.Rat().Cmp(r) != 0 {
			t.Errorf("%s: Rat = %s", s, d.Rat().FloatString(d.Scale()))
		}
	}
}

func TestRound(t *testing.T) {
	for _, tc := range []struct {
		in    string
		scale int
		want  string
	}{
		{"437.025", 2, "437.03"},
		{"-437.025", 2, "-437.03"},
		{"9.995", 2, "10.00"},
		{"-0.005", 2, "-0.01"},
		{"-0.004", 2, "0.00"},
		{"999.999", 0, "1000"},
		{"1.5", 4, "1.5000"},
		{"1.50", -1, "1.50"},
		{"2.5", 0, "3"},
		{"-2.5", 0, "-3"},
		{"0.0449", 1, "0.0"},
		{"99999999999999999999.995", 2, "100000000000000000000.00"},
	} {
		if got := must(t, tc.in).Round(tc.scale).String(); got != tc.want {
			t.Errorf("%s.Round(%d) = %s, want %s", tc.in, tc.scale, got, tc.want)
		}
	}
}

func TestShift(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"0.07", 2, "7"},
		{"0.075", 2, "7.5"},
		{"12", -3, "0.012"},
		{"7", 2, "700"},
		{"-1.25", 1, "-12.5"},
		{"0", 5, "0"},
	} {
		d := must(t, tc.in).Shift(tc.n)
		if got := d.String(); got != tc.want {
			t.Errorf("%s.Shift(%d) = %s, want %s", tc.in, tc.n, got, tc.want)
		}
	}
}

func TestFromFloat(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{29790.4, "29790.4"},
		{6895.664400000001, "6895.664400000001"},
		{0.07, "0.07"},
		{-0.0, "0"},
		{1e21, "1000000000000000000000"},
		{9007199254740992, "9007199254740992"},
		{5e-324, "0." + strings.Repeat("0", 323) + "5"},
	} {
		d, ok := FromFloat(tc.f)
		if !ok || d.String() != tc.want {
			t.Errorf("FromFloat(%v) = %s, %v; want %s", tc.f, d, ok, tc.want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if d, ok := FromFloat(f); ok {
			t.Errorf("FromFloat(%v) = %s, want not ok", f, d)
		}
	}
}

func TestQueries(t *testing.T) {
	for _, tc := range []struct {
		in               string
		scale, ints, sig int
		integer, zero    bool
	}{
		{"123.45", 2, 3, 5, false, false},
		{"-123.00", 2, 3, 3, true, false},
		{"0.5", 1, 0, 1, false, false},
		{"0.0012", 4, 0, 2, false, false},
		{"100", 0, 3, 1, true, false},
		{"0.000", 3, 0, 0, true, true},
		{"-0", 0, 0, 0, true, true},
		{"123456789012345.6", 1, 15, 16, false, false},
		// Next to powers of ten, where a float logarithm miscounts digits.
		{"1000000000000001", 0, 16, 16, true, false},
		{"999999999999999", 0, 15, 15, true, false},
		{"9999999999999999", 0, 16, 16, true, false},
		{"99999999999999999", 0, 17, 17, true, false},
		{"999999999999999999", 0, 18, 18, true, false},
		{"-1000000000000000001", 0, 19, 19, true, false},
	} {
		d := must(t, tc.in)
		if d.Scale() != tc.scale || d.IntDigits() != tc.ints || d.Significant() != tc.sig ||
			d.IsInteger() != tc.integer || d.IsZero() != tc.zero {
			t.Errorf("%s: scale %d int digits %d significant %d integer %v zero %v; want %d %d %d %v %v", tc.in,
				d.Scale(), d.IntDigits(), d.Significant(), d.IsInteger(), d.IsZero(),
				tc.scale, tc.ints, tc.sig, tc.integer, tc.zero)
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"1.50", "1.5", true},
		{"1.5", "1.50", true},
		{"1.5", "-1.5", false},
		{"0", "-0.000", true},
		{"100", "100.000000000000000", true},
		{"123456789012345678", "123456789012345678.0", true}, // past int64 once aligned
		{"123456789012345678", "123456789012345679.0", false},
		{"9223372036854775807", "9223372036854775807.00", true},
		{"99999999999999999999", "99999999999999999999", true},
		{"0.1", "0.10000000000000000000001", false},
		{"99999999999999999", "99999999999999999.00", true},
		{"999999999999999999", "999999999999999999.0", true}, // 19 digits aligned: big path
		{"1000000000000001", "1000000000000001.000", true},
		{"1000000000000001", "1000000000000000.000", false},
	} {
		if got := must(t, tc.a).Equal(must(t, tc.b)); got != tc.want {
			t.Errorf("%s.Equal(%s) = %v", tc.a, tc.b, got)
		}
	}
	if got := must(t, "1.50").Neg().String(); got != "-1.50" {
		t.Errorf("Neg(1.50) = %s", got)
	}
	if got := must(t, "-1.50").Abs().String(); got != "1.50" {
		t.Errorf("Abs(-1.50) = %s", got)
	}
	var zero Decimal
	if zero.String() != "0" || !zero.IsZero() || zero.Scale() != 0 || zero.Significant() != 0 {
		t.Errorf("the zero value prints as %q", zero.String())
	}
}

// FuzzDecimal: whatever Parse accepts prints canonically, reads back as the
// same number, and rounds to the nearest value at the scale asked for,
// half away from zero, with exactly that scale.
func FuzzDecimal(f *testing.F) {
	for _, s := range []string{"0", "-12.50", ".5", "5.", "+7", "9.995", "-0.005", "92233720368547758.07",
		"9007199254740993", "1e5", "", "-"} {
		f.Add(s, 2)
	}
	f.Fuzz(func(t *testing.T, s string, scale int) {
		d, ok := Parse(s)
		if !ok {
			return
		}
		text := d.String()
		back, ok := ParseCanonical(text)
		if !ok || back.String() != text || !back.Equal(d) {
			t.Fatalf("%q printed as %q, which reads back as %q", s, text, back)
		}
		if exact, ok := new(big.Rat).SetString(s); !ok || d.Rat().Cmp(exact) != 0 {
			t.Fatalf("%q is %s as a decimal but %v exactly", s, d.Rat().RatString(), exact)
		}
		scale = scale & 63
		r := d.Round(scale)
		if r.Equal(d) != (r.Rat().Cmp(d.Rat()) == 0) || !r.Equal(r) {
			t.Fatalf("%s.Equal(%s) = %v", r, text, r.Equal(d))
		}
		if r.Scale() != scale {
			t.Fatalf("%s.Round(%d) = %s", text, scale, r)
		}
		// |r - d| <= 0.5 * 10^-scale, and a tie goes away from zero.
		diff := new(big.Rat).Sub(r.Rat(), d.Rat())
		half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Mul(big.NewInt(2), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		switch c := new(big.Rat).Abs(diff).Cmp(half); {
		case c > 0:
			t.Fatalf("%s.Round(%d) = %s is more than half a unit away", text, scale, r)
		case c == 0 && diff.Sign() != d.Rat().Sign():
			t.Fatalf("%s.Round(%d) = %s: a tie must round away from zero", text, scale, r)
		}
	})
}
