package importer

import (
	"strings"
	"unicode"

	"github.com/syncd/syncd/decimal"
)

// parseLocaleDecimal reads a number as people type it in a sheet: grouping
// with spaces (including the non-breaking ones Russian formatting uses) or
// apostrophes, a decimal comma or point, a leading or trailing currency
// sign, and a minus sign or U+2212. In a decimal-comma locale ("ru") a lone
// comma is the decimal separator; in a decimal-point locale ("en") commas
// group. When both appear, the last one is the decimal separator. This is
// the legacy sheet's text; the number itself is a decimal.Decimal, exact.
func parseLocaleDecimal(s string, decimalComma bool) (decimal.Decimal, bool) {
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
		return decimal.Decimal{}, false
	}
	return decimal.Parse(t)
}
