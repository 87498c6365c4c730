package sheetsemu

import (
	"fmt"
	"strconv"
)

// fixZeroIndexes walks a rendered JSON tree and restores start indexes
// that Go's omitempty dropped: Google emits "startRowIndex": 0 (and
// "startIndex": 0 for DimensionRange) whenever the matching end is set,
// while still omitting "sheetId": 0 inside ranges.
func fixZeroIndexes(v any) {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["endRowIndex"]; ok {
			if _, ok := x["startRowIndex"]; !ok {
				x["startRowIndex"] = 0.0
			}
		}
		if _, ok := x["endColumnIndex"]; ok {
			if _, ok := x["startColumnIndex"]; !ok {
				x["startColumnIndex"] = 0.0
			}
		}
		if _, ok := x["dimension"]; ok {
			if _, ok := x["endIndex"]; ok {
				if _, ok := x["startIndex"]; !ok {
					x["startIndex"] = 0.0
				}
			}
		}
		for k, e := range x {
			switch k {
			case "red", "green", "blue", "alpha":
				// Sheets stores colour channels as float32.
				if f, ok := e.(float64); ok {
					x[k], _ = strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
				}
			}
			fixZeroIndexes(e)
		}
	case []any:
		for _, e := range x {
			fixZeroIndexes(e)
		}
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
