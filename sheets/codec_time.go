package sheets

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/syncd/syncd"
)

// A sheet serial number counts days since 1899-12-30 00:00, with the time
// of day as the fraction. epochUnix is that instant in Unix seconds.
const (
	epochUnix   = -2209161600
	microsInDay = 86_400_000_000
	// maxSerial bounds serials to Postgres' years; it is about 300,000 years either side of 1899.
	maxSerial = 1.1e8
	// Postgres' timestamp range, in astronomical years (0 is 1 BC).
	minYear = -4712
	maxYear = 294276
)

// stamp is a parsed Postgres date or timestamp (wall clock, no zone).
type stamp struct {
	year, month, day     int // astronomical year: 0 is 1 BC
	hour, minute, second int
	micro                int
	hasTime              bool
	hasOffset            bool
	offset               int // seconds east of UTC
}

var errNotStamp = errors.New("not a date or timestamp")

// parseStamp reads Postgres ISO output ("2025-01-31", "2025-01-31
// 12:34:56.5+00", "0044-03-15 BC") and, with lenient, what people type
// ("2025-1-5", "2025-01-31T12:34", more than six fraction digits, spaces).
func parseStamp(s string, lenient bool) (stamp, error) {
	var t stamp
	if lenient {
		s = strings.TrimSpace(s)
	}
	bc := false
	if rest, ok := strings.CutSuffix(s, " BC"); ok {
		bc, s = true, rest
	}
	year, s, ok := digitsN(s, 4, 9)
	if !ok || !strings.HasPrefix(s, "-") {
		return t, errNotStamp
	}
	minW := 2
	if lenient {
		minW = 1
	}
	month, s, ok1 := digitsN(s[1:], minW, 2)
	if !ok1 || !strings.HasPrefix(s, "-") {
		return t, errNotStamp
	}
	day, s, ok2 := digitsN(s[1:], minW, 2)
	if !ok2 {
		return t, errNotStamp
	}
	t.year, t.month, t.day = year, month, day
	if bc {
		if year == 0 {
			return t, errNotStamp
		}
		t.year = 1 - year
	}
	if s != "" {
		if s[0] != ' ' && !(lenient && s[0] == 'T') {
			return t, errNotStamp
		}
		var err error
		if s, err = t.parseClock(s[1:], lenient); err != nil {
			return t, err
		}
	}
	if s != "" {
		if err := t.parseOffset(s); err != nil {
			return t, err
		}
	}
	if !t.valid() {
		return t, errNotStamp
	}
	return t, nil
}

func (t *stamp) parseClock(s string, lenient bool) (string, error) {
	var ok bool
	t.hasTime = true
	if t.hour, s, ok = digitsN(s, 2, 2); !ok || !strings.HasPrefix(s, ":") {
		return s, errNotStamp
	}
	if t.minute, s, ok = digitsN(s[1:], 2, 2); !ok {
		return s, errNotStamp
	}
	if strings.HasPrefix(s, ":") {
		if t.second, s, ok = digitsN(s[1:], 2, 2); !ok {
			return s, errNotStamp
		}
		if strings.HasPrefix(s, ".") {
			i := 1
			for i < len(s) && s[i] >= '0' && s[i] <= '9' {
				i++
			}
			frac := s[1:i]
			if frac == "" || len(frac) > 6 && !lenient {
				return s, errNotStamp
			}
			f, _ := strconv.ParseFloat("0."+frac, 64)
			t.micro = int(math.Round(f * 1e6)) // may be 1e6: valid() carries it
			s = s[i:]
		}
	}
	return s, nil
}

func (t *stamp) parseOffset(s string) error {
	if s == "Z" {
		t.hasOffset = true
		return nil
	}
	if s[0] != '+' && s[0] != '-' {
		return errNotStamp
	}
	sign := 1
	if s[0] == '-' {
		sign = -1
	}
	parts := strings.Split(s[1:], ":")
	if len(parts) == 1 && len(parts[0]) == 4 { // +0530
		parts = []string{parts[0][:2], parts[0][2:]}
	}
	if len(parts) > 3 {
		return errNotStamp
	}
	secs := 0
	for i, p := range parts {
		n, rest, ok := digitsN(p, 2, 2)
		if !ok || rest != "" || i > 0 && n > 59 || n > 15 && i == 0 {
			return errNotStamp
		}
		secs += n * []int{3600, 60, 1}[i]
	}
	t.hasOffset, t.offset = true, sign*secs
	return nil
}

// digitsN reads between minW and maxW leading ASCII digits.
func digitsN(s string, minW, maxW int) (int, string, bool) {
	i := 0
	for i < len(s) && i < maxW && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i < minW || i < len(s) && i == maxW && s[i] >= '0' && s[i] <= '9' {
		return 0, s, false
	}
	n, err := strconv.Atoi(s[:i])
	return n, s[i:], err == nil
}

func (t stamp) valid() bool {
	if t.month < 1 || t.month > 12 || t.day < 1 || t.hour > 23 || t.minute > 59 || t.second > 59 {
		return false
	}
	if t.year < minYear || t.year > maxYear {
		return false
	}
	d := time.Date(t.year, time.Month(t.month), t.day, 0, 0, 0, 0, time.UTC)
	return d.Day() == t.day
}

// wall returns the stamp's wall clock as a UTC time.Time.
func (t stamp) wall() time.Time {
	return time.Date(t.year, time.Month(t.month), t.day, t.hour, t.minute, t.second, 0, time.UTC).
		Add(time.Duration(t.micro) * time.Microsecond)
}

// instant returns the stamp as an instant: its own offset when it has one,
// else its wall clock in loc.
func (t stamp) instant(loc *time.Location) time.Time {
	if t.hasOffset {
		return t.wall().Add(-time.Duration(t.offset) * time.Second)
	}
	w := t.wall()
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc)
}

// wallTime is a wall clock as whole days since the serial epoch plus
// microseconds into the day. It is kept as a pair because the microseconds
// from 1899 to Postgres' last timestamp (294276 AD) overflow an int64.
type wallTime struct{ days, us int64 }

// wallOf returns the wall clock of w (read in its own location).
func wallOf(w time.Time) wallTime {
	u := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
	secs := u.Unix() - epochUnix
	days := secs / 86400
	if secs%86400 < 0 {
		days--
	}
	return wallTime{days, (secs-days*86400)*1_000_000 + int64(u.Nanosecond()/1000)}
}

// time returns the wall clock as a UTC time.Time.
func (w wallTime) time() time.Time {
	return time.Unix(w.days*86400+epochUnix, 0).UTC().Add(time.Duration(w.us) * time.Microsecond)
}

// serial returns the serial number of the wall clock. Within ±285 years
// of 1899 the microsecond count is exact in a double, so one division
// gives the correctly rounded serial; beyond, the two parts are added.
func (w wallTime) serial() float64 {
	if w.days > -100_000 && w.days < 100_000 {
		return float64(w.days*microsInDay+w.us) / microsInDay
	}
	return float64(w.days) + float64(w.us)/microsInDay
}

// serialWall returns the wall clock a serial stands for, rounded to the
// nearest microsecond. The fraction is split off first: it is exact
// (Sterbenz), and scaling only the fraction keeps the rounding error far
// below half a microsecond, which a whole-serial multiply would not.
func serialWall(serial float64) (wallTime, bool) {
	if math.IsNaN(serial) || math.Abs(serial) > maxSerial {
		return wallTime{}, false
	}
	days := math.Floor(serial)
	w := wallTime{int64(days), int64(math.Round((serial - days) * microsInDay))}
	if w.us == microsInDay {
		w.days, w.us = w.days+1, 0
	}
	return w, true
}

// days returns the date's serial (days since 1899-12-30).
func (t stamp) days() int64 {
	return (time.Date(t.year, time.Month(t.month), t.day, 0, 0, 0, 0, time.UTC).Unix() - epochUnix) / 86400
}

func parseDate(s string) (stamp, error) {
	t, err := parseStamp(s, false)
	if err == nil && t.hasTime {
		return t, errNotStamp
	}
	return t, err
}

// timestampSerial returns the serial for a timestamp's text when the
// serial reads back as exactly the same microsecond (a double holds
// microseconds only up to about 2079; later ones go as text). BC and
// infinite timestamps have no serial.
func timestampSerial(s string) (float64, bool) {
	t, err := parseStamp(s, false)
	if err != nil || t.hasOffset || t.year <= 0 {
		return 0, false
	}
	w := wallOf(t.wall())
	serial := w.serial()
	back, ok := serialWall(serial)
	return serial, ok && back == w
}

// timestamptzSerial returns the serial of the instant s in loc's wall
// clock, when reading it back gives the same instant: an instant in the
// repeated hour of a daylight-saving change is ambiguous as a wall clock
// and goes as text instead, and so do BC, infinite and far-future ones.
func timestamptzSerial(s string, loc *time.Location) (float64, bool) {
	t, err := parseStamp(s, false)
	if err != nil || t.year <= 0 {
		return 0, false
	}
	inst := t.instant(time.UTC)
	w := inst.In(loc)
	if w.Year() <= 0 {
		return 0, false
	}
	wt := wallOf(w)
	serial := wt.serial()
	back, ok := serialWall(serial)
	if !ok || back != wt {
		return 0, false
	}
	bw := back.time()
	again := time.Date(bw.Year(), bw.Month(), bw.Day(), bw.Hour(), bw.Minute(), bw.Second(), bw.Nanosecond(), loc)
	return serial, again.Equal(inst)
}

// formatStamp prints Postgres' ISO output for a date (withTime false) or
// a timestamp, with "+00" when utcOffset (timestamptz in a UTC session),
// and the " BC" suffix for years before 1 AD.
func formatStamp(t time.Time, withTime, utcOffset bool) string {
	y := t.Year()
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%04d-%02d-%02d", y, int(t.Month()), t.Day())
	if withTime {
		fmt.Fprintf(&b, " %02d:%02d:%02d", t.Hour(), t.Minute(), t.Second())
		if us := t.Nanosecond() / 1000; us != 0 {
			b.WriteString(strings.TrimRight(fmt.Sprintf(".%06d", us), "0"))
		}
		if utcOffset {
			b.WriteString("+00")
		}
	}
	if bc {
		b.WriteString(" BC")
	}
	return b.String()
}

func inRange(t time.Time) bool { return t.Year() >= minYear && t.Year() <= maxYear }

// infinity returns the canonical text of Postgres' special date values.
func infinity(s string) (string, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "infinity", "+infinity":
		return "infinity", true
	case "-infinity":
		return "-infinity", true
	}
	return "", false
}

func decodeDate(col syncd.Column, c syncd.Cell) (string, error) {
	switch c.Type {
	case syncd.CellNumber:
		if c.Number != math.Trunc(c.Number) || math.Abs(c.Number) > maxSerial {
			return "", fmt.Errorf("%w (a date cell holds a whole serial number; this one has a time of day)", typeError(col, c))
		}
		t := wallTime{days: int64(c.Number)}.time()
		if !inRange(t) {
			return "", typeError(col, c)
		}
		return formatStamp(t, false, false), nil
	case syncd.CellString:
		if inf, ok := infinity(c.String); ok {
			return inf, nil
		}
		t, err := parseStamp(c.String, true)
		if err != nil || t.hasTime {
			return "", typeError(col, c)
		}
		return formatStamp(t.wall(), false, false), nil
	}
	return "", typeError(col, c)
}

// decodeTimestamp decodes a timestamp (loc nil) or a timestamptz whose
// wall clock is in loc, printing the latter in UTC as Postgres does in a
// TimeZone=UTC session.
func decodeTimestamp(col syncd.Column, c syncd.Cell, loc *time.Location) (string, error) {
	var t stamp
	switch c.Type {
	case syncd.CellNumber:
		wt, ok := serialWall(c.Number)
		if !ok {
			return "", typeError(col, c)
		}
		w := wt.time()
		t = stamp{year: w.Year(), month: int(w.Month()), day: w.Day(), hour: w.Hour(),
			minute: w.Minute(), second: w.Second(), micro: w.Nanosecond() / 1000, hasTime: true}
	case syncd.CellString:
		if inf, ok := infinity(c.String); ok {
			return inf, nil
		}
		var err error
		if t, err = parseStamp(c.String, true); err != nil || t.hasOffset && loc == nil {
			return "", typeError(col, c)
		}
	default:
		return "", typeError(col, c)
	}
	if loc == nil {
		w := t.wall()
		if !inRange(w) {
			return "", typeError(col, c)
		}
		return formatStamp(w, true, false), nil
	}
	inst := t.instant(loc).UTC()
	if !inRange(inst) {
		return "", typeError(col, c)
	}
	return formatStamp(inst, true, true), nil
}
