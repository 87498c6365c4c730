package importer

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode"
)

// decimal is an exact decimal number kept as text parts, so money never
// passes through a binary float once it has been read: "-1234.5" is
// {neg: true, int: "1234", frac: "5"}.
type decimal struct {
	neg       bool
	int, frac string
}

// String returns the canonical text form ("-1234.50"), which Postgres reads
// back exactly.
func (d decimal) String() string {
	s := d.int
	if d.frac != "" {
		s += "." + d.frac
	}
	if d.neg && strings.Trim(s, "0.") != "" {
		s = "-" + s
	}
	return s
}

// parsePlainDecimal reads "-123.45" (ASCII digits, optional sign and point).
func parsePlainDecimal(s string) (decimal, bool) {
	var d decimal
	if s == "" {
		return d, false
	}
	switch s[0] {
	case '-':
		d.neg, s = true, s[1:]
	case '+':
		s = s[1:]
	}
	ip, fp, hasPoint := strings.Cut(s, ".")
	if ip == "" && fp == "" || hasPoint && fp == "" && ip == "" {
		return d, false
	}
	if !allDigits(ip) || !allDigits(fp) {
		return d, false
	}
	ip = strings.TrimLeft(ip, "0")
	if ip == "" {
		ip = "0"
	}
	d.int, d.frac = ip, fp
	return d, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// floatDecimal converts a cell's number to the shortest decimal that reads
// back as the same double: 29790.4 → "29790.4", never 29790.399999….
func floatDecimal(f float64) (decimal, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return decimal{}, fmt.Errorf("%v is not a number", f)
	}
	d, ok := parsePlainDecimal(strconv.FormatFloat(f, 'f', -1, 64))
	if !ok {
		return decimal{}, fmt.Errorf("%v is not a number", f)
	}
	return d, nil
}

// shift multiplies d by 10^n exactly (n may be negative): how a percentage
// cell's fraction 0.07 becomes 7 percent units without float error.
func (d decimal) shift(n int) decimal {
	digits := d.int + d.frac
	point := len(d.int) + n
	for point > len(digits) {
		digits += "0"
	}
	for point < 1 {
		digits = "0" + digits
		point++
	}
	out := decimal{neg: d.neg, int: strings.TrimLeft(digits[:point], "0"), frac: strings.TrimRight(digits[point:], "0")}
	if out.int == "" {
		out.int = "0"
	}
	return out
}

// round rounds d to scale fractional digits, half away from zero as
// Postgres rounds numeric input; scale < 0 leaves d as it is. The result
// always has exactly scale fractional digits.
func (d decimal) round(scale int) decimal {
	if scale < 0 {
		return d
	}
	if len(d.frac) <= scale {
		d.frac += strings.Repeat("0", scale-len(d.frac))
		return d
	}
	up := d.frac[scale] >= '5'
	digits := d.int + d.frac[:scale]
	if up {
		b := []byte(digits)
		i := len(b) - 1
		for ; i >= 0; i-- {
			if b[i] == '9' {
				b[i] = '0'
				continue
			}
			b[i]++
			break
		}
		if i < 0 {
			b = append([]byte{'1'}, b...)
		}
		digits = string(b)
	}
	ip := strings.TrimLeft(digits[:len(digits)-scale], "0")
	if ip == "" {
		ip = "0"
	}
	return decimal{neg: d.neg, int: ip, frac: digits[len(digits)-scale:]}
}

// intDigits is the number of digits before the point (0 for 0.5).
func (d decimal) intDigits() int {
	if d.int == "0" {
		return 0
	}
	return len(d.int)
}

// rat returns d as an exact rational, for sums.
func (d decimal) rat() *big.Rat {
	r, _ := new(big.Rat).SetString(d.String())
	if r == nil {
		return new(big.Rat)
	}
	return r
}

// parseLocaleDecimal reads a number as people type it in a sheet: grouping
// with spaces (including the non-breaking ones Russian formatting uses) or
// apostrophes, a decimal comma or point, a leading or trailing currency
// sign, and a minus sign or U+2212. In a decimal-comma locale ("ru") a lone
// comma is the decimal separator; in a decimal-point locale ("en") commas
// group. When both appear, the last one is the decimal separator.
func parseLocaleDecimal(s string, decimalComma bool) (decimal, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || r == '\'' || r == '\u202f' || r == '\u00a0' || r == '\u2009':
			continue
		case r == '₽' || r == '$' || r == '€' || r == '£':
			continue
		case r == '\u2212':
			b.WriteByte('-')
		default:
			b.WriteRune(r)
		}
	}
	t := b.String()
	lastComma, lastPoint := strings.LastIndexByte(t, ','), strings.LastIndexByte(t, '.')
	switch {
	case lastComma >= 0 && lastPoint >= 0:
		if lastComma > lastPoint {
			t = strings.ReplaceAll(t, ".", "")
			t = strings.Replace(t, ",", ".", 1)
		} else {
			t = strings.ReplaceAll(t, ",", "")
		}
	case lastComma >= 0:
		if decimalComma && strings.Count(t, ",") == 1 {
			t = strings.Replace(t, ",", ".", 1)
		} else {
			t = strings.ReplaceAll(t, ",", "")
		}
	}
	if strings.Count(t, ".") > 1 {
		return decimal{}, false
	}
	return parsePlainDecimal(t)
}
