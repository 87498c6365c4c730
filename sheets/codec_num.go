package sheets

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
)

// parseDecimal reads a plain decimal as Postgres prints it: "-12.50",
// "0.001", "42". With lenient it also takes what people type: a leading
// '+', ".5", "5.", surrounding spaces and "1,234.5" thousands separators.
func parseDecimal(s string, lenient bool) (decimal.Decimal, bool) {
	if !lenient {
		return decimal.ParseCanonical(s)
	}
	s = strings.TrimSpace(s)
	sign := ""
	if strings.HasPrefix(s, "+") {
		s = s[1:]
	} else if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	if strings.HasPrefix(s, "+") || strings.HasPrefix(s, "-") {
		return decimal.Decimal{}, false
	}
	ip, rest, hasPoint := strings.Cut(s, ".")
	if strings.Contains(ip, ",") {
		groups := strings.Split(ip, ",")
		for i, g := range groups {
			if i > 0 && len(g) != 3 || i == 0 && (len(g) == 0 || len(g) > 3) {
				return decimal.Decimal{}, false
			}
		}
		ip = strings.Join(groups, "")
	}
	if hasPoint {
		ip += "." + rest
	}
	return decimal.Parse(sign + ip)
}

// exactDecimal returns s as a double when s is a plain decimal with at most
// 15 significant digits whose double prints back as the same number; the
// contract writes every other numeric as text so no digit is ever lost.
func exactDecimal(s string) (float64, bool) {
	d, ok := parseDecimal(s, false)
	if !ok || d.Significant() > maxSignificantDigits {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false
	}
	back, ok := decimal.FromFloat(f)
	if !ok || !back.Equal(d) {
		return 0, false // underflow to a subnormal or zero
	}
	return f, true
}

// moneyDecimal reads money as Postgres prints it in the C and English
// locales ("$1,234.56", "-$1,234.56", "($5.00)"), or as a person types it
// with another currency symbol ("€12.50", "12.50 EUR"): a sign, a symbol
// on either side, thousands commas and a decimal point.
func moneyDecimal(s string) (decimal.Decimal, bool) {
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
	if d = d.Abs(); signs == 1 { // the signs counted, not the one parsed
		d = d.Neg()
	}
	return d, true
}

func decodeNumeric(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellNumber:
		d, ok := decimal.FromFloat(c.Number)
		if !ok {
			return "", typeError(col, c)
		}
		return d.Round(col.Scale).String(), nil
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
		return d.Round(col.Scale).String(), nil
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
