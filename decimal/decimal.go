// Package decimal is syncd's one exact decimal number: what the sheet codec
// and the importer read Postgres numeric and money values into, round to a
// column's scale and print back as the canonical text Postgres accepts.
// Values never pass through a binary float, so money stays exact to the
// cent, integers beyond 2^53 keep every digit and numerics of any length
// round-trip.
//
// The arithmetic and representation are github.com/shopspring/decimal's
// (an arbitrary-precision coefficient and a base-10 exponent). This
// package adds what that library leaves open: a strict syntax for the
// text it accepts (no exponents, no spaces, no grouping), a scale that is
// kept as written ("1.50" stays "1.50", as Postgres keeps it), and
// rounding to a scale the way Postgres rounds numeric input. Reading
// human-formatted text ("1 234,56 ₽", "$1,234.56") is the caller's job:
// it normalises the text and hands the plain form to Parse.
package decimal

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	sd "github.com/shopspring/decimal"
)

// Decimal is an exact decimal number with a scale: the number of digits
// after the decimal point it prints with. The zero value is 0 with scale 0.
// Decimals are values; no method modifies its receiver.
type Decimal struct {
	d sd.Decimal
}

// Parse reads a plain decimal: an optional sign, ASCII digits and at most
// one decimal point, with at least one digit ("-12.50", "+7", ".5", "5.").
// The scale is the number of digits written after the point. Anything
// else (spaces, exponents, grouping, NaN) is not a plain decimal: ok is
// false.
func Parse(s string) (d Decimal, ok bool) {
	neg := false
	if s != "" && (s[0] == '-' || s[0] == '+') {
		neg, s = s[0] == '-', s[1:]
	}
	ip, fp, _ := strings.Cut(s, ".")
	if ip == "" && fp == "" {
		return Decimal{}, false
	}
	return fromDigits(neg, ip, fp)
}

// ParseCanonical reads a finite number exactly as Postgres prints numeric:
// an optional minus, digits, and when there is a point, digits after it
// ("-12.50", "0.001", "42"). It rejects what Parse alone accepts ("+1",
// ".5", "5.").
func ParseCanonical(s string) (d Decimal, ok bool) {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	ip, fp, hasPoint := strings.Cut(s, ".")
	if ip == "" || hasPoint && fp == "" {
		return Decimal{}, false
	}
	return fromDigits(neg, ip, fp)
}

// fromDigits builds ±ip.fp from digit strings, either of which may be
// empty; ok is false when either holds anything but ASCII digits.
func fromDigits(neg bool, ip, fp string) (Decimal, bool) {
	if !allDigits(ip) || !allDigits(fp) || len(fp) > math.MaxInt32 {
		return Decimal{}, false
	}
	if len(ip)+len(fp) <= 18 { // fits an int64: skip big.Int's parser
		var v int64
		for _, digits := range [2]string{ip, fp} {
			for i := 0; i < len(digits); i++ {
				v = v*10 + int64(digits[i]-'0')
			}
		}
		if neg {
			v = -v
		}
		return Decimal{sd.New(v, -int32(len(fp)))}, true
	}
	v, ok := new(big.Int).SetString(ip+fp, 10)
	if !ok { // only when both are empty
		v = new(big.Int)
	}
	if neg {
		v.Neg(v)
	}
	return Decimal{sd.NewFromBigInt(v, -int32(len(fp)))}, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FromFloat returns the shortest decimal that reads back as f (29790.4,
// never 29790.399999…), with as many fraction digits as that text has.
// ok is false for NaN and the infinities.
func FromFloat(f float64) (d Decimal, ok bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Decimal{}, false
	}
	return Parse(strconv.FormatFloat(f, 'f', -1, 64))
}

// String returns the canonical text, which Postgres reads back exactly:
// a minus for negative numbers (never for zero), the integer digits
// without leading zeros ("0" when there are none) and, when the scale is
// positive, a point and exactly Scale digits ("-1234.50", "0.00", "7").
func (d Decimal) String() string {
	return d.d.StringFixed(int32(d.Scale()))
}

// Scale is the number of digits after the decimal point String prints.
func (d Decimal) Scale() int {
	return max(0, -int(d.d.Exponent()))
}

// Round returns d with exactly scale fraction digits, rounding half away
// from zero as Postgres rounds numeric input into numeric(p, scale) or
// money. A negative scale means unconstrained: d is returned as it is.
func (d Decimal) Round(scale int) Decimal {
	if scale < 0 {
		return d
	}
	return Decimal{d.d.Round(int32(scale))}
}

// Shift returns d × 10^n exactly (n may be negative); the scale drops by n,
// but not below 0: 0.07 shifted by 2 is 7, 12 shifted by -3 is 0.012.
func (d Decimal) Shift(n int) Decimal {
	return Decimal{d.d.Shift(int32(n))}
}

// Abs returns |d|.
func (d Decimal) Abs() Decimal { return Decimal{d.d.Abs()} }

// Neg returns -d (zero stays zero).
func (d Decimal) Neg() Decimal { return Decimal{d.d.Neg()} }

// IsZero reports whether d is 0 (at any scale).
func (d Decimal) IsZero() bool { return d.d.IsZero() }

// IsInteger reports whether d has no non-zero fraction digits ("12.00" is
// an integer).
func (d Decimal) IsInteger() bool { return d.d.IsInteger() }

// Equal reports numeric equality: scale does not count ("1.50" equals
// "1.5").
func (d Decimal) Equal(o Decimal) bool {
	if a, b, ok := alignSmall(d.d, o.d); ok { // no big.Int arithmetic
		return a == b
	}
	return d.d.Equal(o.d)
}

// alignSmall returns the coefficients of a and b at their common (smaller)
// exponent when both fit an int64 there; ok is false otherwise.
func alignSmall(a, b sd.Decimal) (ca, cb int64, ok bool) {
	if a.Exponent() < b.Exponent() {
		cb, ca, ok = alignSmall(b, a)
		return ca, cb, ok
	}
	ca, okA := small(a)
	cb, okB := small(b)
	diff := int(a.Exponent()) - int(b.Exponent())
	if !okA || !okB || numDigits(ca)+diff > 18 {
		return 0, 0, false
	}
	for range diff {
		ca *= 10
	}
	return ca, cb, true
}

// IntDigits is the number of digits before the decimal point, not counting
// a lone zero: 3 for 123.45, 0 for 0.5 and for 0. It is what numeric(p, s)
// limits to p - s.
func (d Decimal) IntDigits() int {
	i := d.d.Truncate(0)
	if i.IsZero() {
		return 0
	}
	return len(i.Abs().String())
}

// Significant is the number of significant digits: the digits from the
// first non-zero one to the last non-zero one (1 for 100, 2 for 0.0012,
// 0 for zero). A double holds every decimal of up to 15 of them.
func (d Decimal) Significant() int {
	if v, ok := small(d.d); ok {
		if v == 0 {
			return 0
		}
		for v%10 == 0 {
			v /= 10
		}
		return numDigits(v)
	}
	c := d.d.Coefficient()
	return len(strings.Trim(c.Abs(c).String(), "0"))
}

// Rat returns d as an exact rational, for sums.
func (d Decimal) Rat() *big.Rat { return d.d.Rat() }

// small returns x's coefficient when it has at most 18 digits (so it and
// ten times it fit an int64). shopspring's NumDigits can be one off near a
// power of ten (it takes a float logarithm), hence the margin of one.
func small(x sd.Decimal) (int64, bool) {
	if x.NumDigits() > 17 {
		return 0, false
	}
	return x.CoefficientInt64(), true
}

// numDigits is the number of decimal digits of |v| (1 for 0).
func numDigits(v int64) int {
	if v < 0 {
		v = -v
	}
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}
