package sheetsemu

import (
	"fmt"
	"strings"
)

var monthNames = []string{"January", "February", "March", "April", "May", "June", "July",
	"August", "September", "October", "November", "December"}
var dayNames = []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

type dateTok struct {
	kind string // y, m, d, h, s, ampm, lit, min
	n    int
	lit  string
}

// formatDate renders a serial with a date/time pattern such as
// "yyyy-mm-dd", "M/d/yyyy H:mm:ss" or "dddd, mmmm d". "m" is minutes when
// it follows an hour or precedes seconds, months otherwise (as in Sheets).
func formatDate(serial float64, pat string) string {
	t := serialToTime(serial)
	codes, lits := tokenize(pat)
	var toks []dateTok
	lower := strings.ToLower(codes)
	for i := 0; i <= len(codes); i++ {
		if l, ok := lits[i]; ok {
			toks = append(toks, dateTok{kind: "lit", lit: l})
		}
		if i == len(codes) {
			break
		}
		c := lower[i]
		if strings.HasPrefix(lower[i:], "am/pm") {
			toks = append(toks, dateTok{kind: "ampm"})
			i += 4
			continue
		}
		if strings.HasPrefix(lower[i:], "a/p") {
			toks = append(toks, dateTok{kind: "ap"})
			i += 2
			continue
		}
		switch c {
		case 'y', 'm', 'd', 'h', 's':
			j := i
			for j < len(lower) && lower[j] == c {
				j++
			}
			toks = append(toks, dateTok{kind: string(c), n: j - i})
			i = j - 1
		default:
			toks = append(toks, dateTok{kind: "lit", lit: codes[i : i+1]})
		}
	}
	twelve := false
	for i, tk := range toks {
		switch tk.kind {
		case "ampm", "ap":
			twelve = true
		case "m":
			if tk.n <= 2 && (prevKind(toks, i) == "h" || nextKind(toks, i) == "s") {
				toks[i].kind = "min"
			}
		}
	}
	var b strings.Builder
	for _, tk := range toks {
		switch tk.kind {
		case "lit":
			b.WriteString(tk.lit)
		case "y":
			if tk.n <= 2 {
				fmt.Fprintf(&b, "%02d", t.Year()%100)
			} else {
				fmt.Fprintf(&b, "%04d", t.Year())
			}
		case "m":
			writeNamed(&b, int(t.Month()), tk.n, monthNames[t.Month()-1])
		case "d":
			if tk.n >= 3 {
				name := dayNames[t.Weekday()]
				if tk.n == 3 {
					name = name[:3]
				}
				b.WriteString(name)
			} else {
				writeNamed(&b, t.Day(), tk.n, "")
			}
		case "h":
			h := t.Hour()
			if twelve {
				h %= 12
				if h == 0 {
					h = 12
				}
			}
			writeNamed(&b, h, tk.n, "")
		case "min":
			writeNamed(&b, t.Minute(), tk.n, "")
		case "s":
			writeNamed(&b, t.Second(), tk.n, "")
		case "ampm":
			if t.Hour() < 12 {
				b.WriteString("AM")
			} else {
				b.WriteString("PM")
			}
		case "ap":
			if t.Hour() < 12 {
				b.WriteString("a")
			} else {
				b.WriteString("p")
			}
		}
	}
	return b.String()
}

func writeNamed(b *strings.Builder, v, n int, name string) {
	switch {
	case n >= 4 && name != "":
		b.WriteString(name)
	case n == 3 && name != "":
		b.WriteString(name[:3])
	case n >= 2:
		fmt.Fprintf(b, "%02d", v)
	default:
		fmt.Fprintf(b, "%d", v)
	}
}

func prevKind(toks []dateTok, i int) string {
	for j := i - 1; j >= 0; j-- {
		if toks[j].kind != "lit" {
			return toks[j].kind
		}
	}
	return ""
}

func nextKind(toks []dateTok, i int) string {
	for j := i + 1; j < len(toks); j++ {
		if toks[j].kind != "lit" {
			return toks[j].kind
		}
	}
	return ""
}
