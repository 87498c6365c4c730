package sheets

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/syncd/syncd"
)

// decimal is a parsed decimal number kept as digit strings, so that
// numeric values of any length stay exact.
type decimal struct {
	neg       bool
	int, frac string // digits; int has no leading zeros ("0" for zero)
}

// parseDecimal reads a plain decimal: "-12.50", "0.001", "42". With
// lenient it also takes what people type: a leading '+', ".5", "5.",
// surrounding spaces and "1,234.5" thousands separators.
func parseDecimal(s string, lenient bool) (decimal, bool) {
	var d decimal
	if lenient {
		s = strings.TrimSpace(s)
		if strings.HasPrefix(s, "+") {
			s = s[1:]
		} else if strings.HasPrefix(s, "-") {
			d.neg, s = true, s[1:]
		}
	} else if strings.HasPrefix(s, "-") {
		d.neg, s = true, s[1:]
	}
	ip, fp, hasPoint := strings.Cut(s, ".")
	if lenient && strings.Contains(ip, ",") {
		groups := strings.Split(ip, ",")
		for i, g := range groups {
			if i > 0 && len(g) != 3 || i == 0 && (len(g) == 0 || len(g) > 3) {
				return d, false
			}
		}
		ip = strings.Join(groups, "")
	}
	if !allDigits(ip) || !allDigits(fp) {
		return d, false
	}
	if !lenient && (ip == "" || hasPoint && fp == "") || ip == "" && fp == "" {
		return d, false
	}
	d.int = strings.TrimLeft(ip, "0")
	if d.int == "" {
		d.int = "0"
	}
	d.frac = fp
	if d.isZero() {
		d.neg = false
	}
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

func (d decimal) isZero() bool {
	return strings.Trim(d.int, "0") == "" && strings.Trim(d.frac, "0") == ""
}

// significant returns the number of significant digits.
func (d decimal) significant() int {
	return len(strings.Trim(strings.TrimLeft(d.int, "0")+d.frac, "0"))
}

// String returns the Postgres numeric text form.
func (d decimal) String() string {
	var b strings.Builder
	if d.neg && !d.isZero() {
		b.WriteByte('-')
	}
	b.WriteString(d.int)
	if d.frac != "" {
		b.WriteByte('.')
		b.WriteString(d.frac)
	}
	return b.String()
}

// equal reports numeric equality (trailing fraction zeros do not count).
func (d decimal) equal(o decimal) bool {
	return d.neg == o.neg && d.int == o.int &&
		strings.TrimRight(d.frac, "0") == strings.TrimRight(o.frac, "0")
}

// round returns d with exactly scale fraction digits, rounding half away
// from zero as Postgres' numeric does. A negative scale leaves d as it is.
func (d decimal) round(scale int) decimal {
	if scale < 0 {
		return d
	}
	if len(d.frac) <= scale {
		d.frac += strings.Repeat("0", scale-len(d.frac))
		return d
	}
	up := d.frac[scale] >= '5'
	digits := []byte(d.int + d.frac[:scale])
	if up {
		i := len(digits) - 1
		for ; i >= 0 && digits[i] == '9'; i-- {
			digits[i] = '0'
		}
		if i < 0 {
			digits = append([]byte{'1'}, digits...)
		} else {
			digits[i]++
		}
	}
	n := len(digits) - scale
	d.int = strings.TrimLeft(string(digits[:n]), "0")
	if d.int == "" {
		d.int = "0"
	}
	d.frac = string(digits[n:])
	if d.isZero() {
		d.neg = false
	}
	return d
}

// exactDecimal returns s as a double when s is a plain decimal with at most
// 15 significant digits whose double prints back as the same number; the
// contract writes every other numeric as text so no digit is ever lost.
func exactDecimal(s string) (float64, bool) {
	d, ok := parseDecimal(s, false)
	if !ok || d.significant() > maxSignificantDigits {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	back, ok := parseDecimal(strconv.FormatFloat(f, 'f', -1, 64), false)
	if !ok || !back.equal(d) {
		return 0, false // underflow to a subnormal or zero
	}
	return f, true
}

// moneyDecimal reads money as Postgres prints it in the C and English
// locales ("$1,234.56", "-$1,234.56", "($5.00)"), or as a person types it
// with another currency symbol ("€12.50", "12.50 EUR"): a sign, a symbol
// on either side, thousands commas and a decimal point.
func moneyDecimal(s string) (decimal, bool) {
	s = strings.TrimSpace(s)
	signs := 0
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		signs, s = 1, s[1:len(s)-1]
	}
	if strings.HasPrefix(s, "-") {
		signs, s = signs+1, s[1:]
	}
	isNum := func(r rune) bool { return r >= '0' && r <= '9' || r == '.' || r == ',' || r == '-' }
	s = strings.TrimRightFunc(strings.TrimLeftFunc(s, func(r rune) bool { return !isNum(r) }), func(r rune) bool { return !isNum(r) })
	if strings.HasPrefix(s, "-") { // "$-1.00"
		signs, s = signs+1, s[1:]
	}
	d, ok := parseDecimal(s, true)
	if !ok || signs > 1 || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return d, false
	}
	d.neg = signs == 1 && !d.isZero()
	return d, true
}

func decodeNumeric(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellNumber:
		d, ok := parseDecimal(strconv.FormatFloat(c.Number, 'f', -1, 64), false)
		if !ok {
			return "", typeError(col, c)
		}
		return d.round(col.Scale).String(), nil
	case syncd.CellString:
		if special, ok := specialNumber(c.String); ok {
			return special, nil
		}
		d, ok := parseDecimal(c.String, true)
		if !ok && isMoney(col) {
			d, ok = moneyDecimal(c.String)
		}
		if !ok {
			return "", typeError(col, c)
		}
		return d.round(col.Scale).String(), nil
	}
	return "", typeError(col, c)
}

// specialNumber maps NaN and the infinities, in any spelling Postgres
// accepts, to their canonical text.
func specialNumber(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "nan":
		return "NaN", true
	case "infinity", "+infinity", "inf", "+inf":
		return "Infinity", true
	case "-infinity", "-inf":
		return "-Infinity", true
	}
	return "", false
}

// floatBits is 32 for real columns and 64 for double precision.
func floatBits(col syncd.Column) int {
	switch strings.ToLower(col.Type) {
	case "real", "float4":
		return 32
	}
	return 64
}

func decodeFloat(col syncd.Column, c syncd.Cell) (string, error) {
	bits := floatBits(col)
	var f float64
	switch c.Type {
	case syncd.CellNumber:
		f = c.Number
	case syncd.CellString:
		if special, ok := specialNumber(c.String); ok {
			return special, nil
		}
		var err error
		f, err = strconv.ParseFloat(strings.TrimSpace(c.String), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", typeError(col, c)
		}
	default:
		return "", typeError(col, c)
	}
	if bits == 32 && math.IsInf(float64(float32(f)), 0) {
		return "", fmt.Errorf("%w: out of range for real", typeError(col, c))
	}
	return pgFloat(f, bits), nil
}

// pgFloat prints f as Postgres 12+ prints float8 (bits 64) or float4
// (bits 32): the shortest text that reads back as the same value, in
// fixed notation when the decimal exponent is in [-4, 15) (float4: [-4, 6))
// and as 1.5e+20 otherwise.
func pgFloat(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	e := strconv.FormatFloat(f, 'e', -1, bits)
	exp, err := strconv.Atoi(e[strings.IndexByte(e, 'e')+1:])
	limit := 15
	if bits == 32 {
		limit = 6
	}
	if err != nil || exp < -4 || exp >= limit {
		return e
	}
	return strconv.FormatFloat(f, 'f', -1, bits)
}
