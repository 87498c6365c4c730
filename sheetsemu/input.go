package sheetsemu

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"google.golang.org/api/sheets/v4"
)

// epoch is day zero of spreadsheet date serial numbers.
var epoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parsedInput is what a value typed by a user (USER_ENTERED) becomes: the
// stored value plus the number format the UI would infer.
type parsedInput struct {
	Value  *sheets.ExtendedValue
	Format *sheets.NumberFormat
}

var (
	reGrouped  = regexp.MustCompile(`^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$`)
	rePlainNum = regexp.MustCompile(`^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$`)
	rePercent  = regexp.MustCompile(`^([+-]?[\d,]*\.?\d+)\s*%$`)
	reCurrency = regexp.MustCompile(`^([+-]?)\$\s*([\d,]*\.?\d*)$`)
)

// dateLayouts are the typed date forms recognised, with the pattern Google
// stores for each.
var dateLayouts = []struct {
	layout, typ, pattern string
}{
	{"2006-01-02", "DATE", "yyyy-mm-dd"},
	{"2006-01-02 15:04:05", "DATE_TIME", "yyyy-mm-dd hh:mm:ss"},
	{"2006-01-02 15:04", "DATE_TIME", "yyyy-mm-dd hh:mm"},
	{"2006-01-02T15:04:05", "DATE_TIME", "yyyy-mm-dd hh:mm:ss"},
	{"1/2/2006", "DATE", "M/d/yyyy"},
	{"1/2/2006 15:04:05", "DATE_TIME", "M/d/yyyy H:mm:ss"},
	{"1/2/2006 15:04", "DATE_TIME", "M/d/yyyy H:mm"},
	{"2006/01/02", "DATE", "yyyy/mm/dd"},
	{"15:04:05", "TIME", "h:mm:ss"},
	{"15:04", "TIME", "h:mm"},
}

// parseUserEntered interprets v as if typed into the Sheets UI.
func parseUserEntered(v any) parsedInput {
	switch x := v.(type) {
	case nil:
		return parsedInput{}
	case bool:
		return parsedInput{Value: boolValue(x)}
	case float64:
		return parsedInput{Value: numberValue(x)}
	case string:
		return parseUserString(x)
	default:
		return parsedInput{Value: &sheets.ExtendedValue{StringValue: ptr(toString(x))}}
	}
}

func parseUserString(s string) parsedInput {
	if s == "" {
		return parsedInput{}
	}
	if strings.HasPrefix(s, "'") {
		return parsedInput{Value: stringValue(s[1:])}
	}
	if strings.HasPrefix(s, "=") && len(s) > 1 {
		return parsedInput{Value: &sheets.ExtendedValue{FormulaValue: ptr(s)}}
	}
	t := strings.TrimSpace(s)
	switch strings.ToUpper(t) {
	case "TRUE":
		return parsedInput{Value: boolValue(true)}
	case "FALSE":
		return parsedInput{Value: boolValue(false)}
	}
	if rePlainNum.MatchString(t) {
		if f, err := strconv.ParseFloat(t, 64); err == nil && !math.IsInf(f, 0) {
			if strings.ContainsAny(t, "eE") {
				return parsedInput{Value: numberValue(f), Format: &sheets.NumberFormat{Type: "SCIENTIFIC", Pattern: "0.00E+00"}}
			}
			return parsedInput{Value: numberValue(f)}
		}
	}
	if reGrouped.MatchString(t) {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(t, ",", ""), 64); err == nil {
			pat := "#,##0"
			if strings.Contains(t, ".") {
				pat = "#,##0.00"
			}
			return parsedInput{Value: numberValue(f), Format: &sheets.NumberFormat{Type: "NUMBER", Pattern: pat}}
		}
	}
	if m := rePercent.FindStringSubmatch(t); m != nil {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64); err == nil {
			pat := "0%"
			if i := strings.IndexByte(m[1], '.'); i >= 0 {
				pat = "0.00%"
			}
			return parsedInput{Value: numberValue(f / 100), Format: &sheets.NumberFormat{Type: "PERCENT", Pattern: pat}}
		}
	}
	if m := reCurrency.FindStringSubmatch(t); m != nil && m[2] != "" {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(m[2], ",", ""), 64); err == nil {
			if m[1] == "-" {
				f = -f
			}
			return parsedInput{Value: numberValue(f), Format: &sheets.NumberFormat{Type: "CURRENCY", Pattern: `"$"#,##0.00`}}
		}
	}
	for _, d := range dateLayouts {
		tm, err := time.Parse(d.layout, t)
		if err != nil {
			continue
		}
		serial := timeToSerial(tm)
		if d.typ == "TIME" {
			serial -= math.Floor(serial)
		}
		return parsedInput{Value: numberValue(serial), Format: &sheets.NumberFormat{Type: d.typ, Pattern: d.pattern}}
	}
	return parsedInput{Value: stringValue(s)}
}

// timeToSerial converts a wall-clock time (its UTC fields) to a serial.
func timeToSerial(t time.Time) float64 {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return wall.Sub(epoch).Hours() / 24
}

// serialToTime converts a serial to wall-clock fields in UTC, rounded to
// the millisecond the way Sheets stores times.
func serialToTime(serial float64) time.Time {
	ms := math.Round(serial * 86400000)
	return epoch.Add(time.Duration(ms) * time.Millisecond)
}

// rawValue converts a RAW input value: strings stay strings, numbers and
// bools keep their type.
func rawValue(v any) *sheets.ExtendedValue {
	switch x := v.(type) {
	case nil:
		return nil
	case bool:
		return boolValue(x)
	case float64:
		return numberValue(x)
	case string:
		if x == "" {
			return nil
		}
		return stringValue(x)
	default:
		return stringValue(toString(x))
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		if x {
			return "TRUE"
		}
		return "FALSE"
	}
	return ""
}

func ptr[T any](v T) *T { return &v }

func stringValue(s string) *sheets.ExtendedValue  { return &sheets.ExtendedValue{StringValue: &s} }
func numberValue(f float64) *sheets.ExtendedValue { return &sheets.ExtendedValue{NumberValue: &f} }
func boolValue(b bool) *sheets.ExtendedValue      { return &sheets.ExtendedValue{BoolValue: &b} }
