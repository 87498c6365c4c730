package sheetsemu

import (
	"math"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// localeSeparators gives the decimal and grouping marks of locales that
// differ from en_US; the rest render like en_US.
var localeSeparators = map[string][2]string{
	"ru": {",", "\u00a0"}, "uk": {",", "\u00a0"}, "fr": {",", "\u202f"}, "pl": {",", "\u00a0"},
	"de": {",", "."}, "es": {",", "."}, "it": {",", "."}, "pt": {",", "."}, "nl": {",", "."}, "tr": {",", "."},
}

// formatNumberLocale is formatNumber with the locale's decimal and
// grouping marks; date and time patterns are left alone because their
// separators are literal.
func formatNumberLocale(v float64, nf *sheets.NumberFormat, locale string) string {
	out := formatNumber(v, nf)
	lang, _, _ := strings.Cut(locale, "_")
	seps, ok := localeSeparators[lang]
	if !ok || (nf != nil && isDateType(nf)) || (nf != nil && nf.Pattern != "" && isDatePattern(splitSections(nf.Pattern)[0])) {
		return out
	}
	return strings.NewReplacer(".", seps[0], ",", seps[1]).Replace(out)
}

// formatNumber renders v with a Sheets number format. It covers the
// patterns people actually use (decimals, grouping, percent, currency
// literals, scientific, dates and times); anything else falls back to the
// general format.
func formatNumber(v float64, nf *sheets.NumberFormat) string {
	if nf == nil || (nf.Type == "" && nf.Pattern == "") || nf.Type == "TEXT" {
		return formatGeneral(v)
	}
	pat := nf.Pattern
	if pat == "" {
		pat = defaultPattern(nf.Type)
	}
	if pat == "" {
		return formatGeneral(v)
	}
	sections := splitSections(pat)
	sec := sections[0]
	neg := v < 0
	if neg && len(sections) > 1 {
		sec = sections[1]
		v = -v
		neg = false
	} else if v == 0 && len(sections) > 2 {
		sec = sections[2]
	}
	if isDatePattern(sec) {
		return formatDate(v, sec)
	}
	return formatNumeric(v, sec)
}

func defaultPattern(typ string) string {
	switch typ {
	case "NUMBER":
		return "#,##0.00"
	case "PERCENT":
		return "0.00%"
	case "CURRENCY":
		return `"$"#,##0.00`
	case "DATE":
		return "M/d/yyyy"
	case "TIME":
		return "h:mm:ss am/pm"
	case "DATE_TIME":
		return "M/d/yyyy H:mm:ss"
	case "SCIENTIFIC":
		return "0.00E+00"
	}
	return ""
}

// formatGeneral mimics the "Automatic" format: up to 10 significant
// digits, scientific notation for very large or small magnitudes.
func formatGeneral(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "#NUM!"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	a := math.Abs(v)
	if a >= 1e15 || a < 1e-9 {
		s := strconv.FormatFloat(v, 'E', 2, 64)
		return strings.Replace(s, "E+0", "E+", 1)
	}
	s := strconv.FormatFloat(v, 'g', 10, 64)
	if strings.ContainsAny(s, "eE") {
		f, _ := strconv.ParseFloat(s, 64)
		s = strconv.FormatFloat(f, 'f', -1, 64)
	}
	return s
}

func splitSections(p string) []string {
	var out []string
	var b strings.Builder
	inQ := false
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '"':
			inQ = !inQ
		case c == '\\' && i+1 < len(p):
			b.WriteByte(c)
			i++
			c = p[i]
		case c == ';' && !inQ:
			out = append(out, b.String())
			b.Reset()
			continue
		}
		b.WriteByte(c)
	}
	return append(out, b.String())
}

// literalize strips quotes/escapes/bracketed colours, returning the
// pattern with literal runs marked by \x00 so they are not interpreted.
func tokenize(p string) (codes string, lits map[int]string) {
	lits = map[int]string{}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '"':
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				j = len(p) - i - 1
			}
			lits[b.Len()] += p[i+1 : i+1+j]
			i += j + 1
		case '\\':
			if i+1 < len(p) {
				lits[b.Len()] += p[i+1 : i+2]
				i++
			}
		case '[':
			j := strings.IndexByte(p[i:], ']')
			if j < 0 {
				return b.String(), lits
			}
			i += j
		case '_', '*':
			i++ // padding directives take the next char
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), lits
}

func formatNumeric(v float64, sec string) string {
	codes, lits := tokenize(sec)
	first := strings.IndexAny(codes, "0#?")
	if first < 0 {
		return renderLiterals(codes, lits, 0, len(codes), "")
	}
	last := strings.LastIndexAny(codes, "0#?")
	// extend to include a leading '.' pattern like ".00"
	if first > 0 && codes[first-1] == '.' {
		first--
	}
	num := codes[first : last+1]
	percent := strings.Count(codes, "%")
	for i := 0; i < percent; i++ {
		v *= 100
	}
	if e := strings.IndexAny(num, "Ee"); e >= 0 {
		decimals := strings.Count(num[:e], "0") - 1
		if d := strings.IndexByte(num, '.'); d >= 0 {
			decimals = strings.Count(num[d:e], "0") + strings.Count(num[d:e], "#")
		} else {
			decimals = 0
		}
		s := strconv.FormatFloat(v, 'E', decimals, 64)
		s = strings.Replace(strings.Replace(s, "E+0", "E+", 1), "E-0", "E-", 1)
		return renderLiterals(codes, lits, first, last+1, s)
	}
	intPart, frac, _ := strings.Cut(num, ".")
	minFrac := strings.Count(frac, "0")
	maxFrac := minFrac + strings.Count(frac, "#") + strings.Count(frac, "?")
	group := strings.Contains(intPart, ",")
	minInt := strings.Count(intPart, "0")
	neg := v < 0
	a := math.Abs(v)
	s := strconv.FormatFloat(a, 'f', maxFrac, 64)
	ip, fp, _ := strings.Cut(s, ".")
	for len(fp) > minFrac && strings.HasSuffix(fp, "0") {
		fp = fp[:len(fp)-1]
	}
	if ip == "0" && minInt == 0 {
		ip = ""
	}
	for len(ip) < minInt {
		ip = "0" + ip
	}
	if group {
		ip = groupThousands(ip)
	}
	out := ip
	if fp != "" || strings.Contains(num, ".") && minFrac > 0 {
		out += "." + fp
	} else if strings.HasSuffix(num, ".") {
		out += "."
	}
	if neg && out != "" && strings.Trim(out, "0.,") != "" {
		out = "-" + out
	}
	return renderLiterals(codes, lits, first, last+1, out)
}

// renderLiterals assembles prefix literals, the rendered number, and
// suffix literals.
func renderLiterals(codes string, lits map[int]string, from, to int, number string) string {
	var b strings.Builder
	for i := 0; i <= len(codes); i++ {
		if l, ok := lits[i]; ok {
			b.WriteString(l)
		}
		if i == len(codes) {
			break
		}
		switch {
		case i == from:
			b.WriteString(number)
		case i > from && i < to:
		default:
			c := codes[i]
			if c != '@' {
				b.WriteByte(c)
			}
		}
	}
	return b.String()
}

func groupThousands(s string) string {
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

func isDatePattern(sec string) bool {
	codes, _ := tokenize(sec)
	l := strings.ToLower(codes)
	return strings.ContainsAny(l, "ydhs") || strings.Contains(l, "m") && !strings.ContainsAny(l, "0#")
}
