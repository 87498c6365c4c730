package sheets

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/syncd/syncd"
)

// MaxColumns is the widest grid Google Sheets allows (column ZZZ). Column
// indexes at or beyond it are rejected by the A1 helpers.
const MaxColumns = 18278

// maxRowNumber bounds row numbers accepted by ParseRange: no sheet can have
// more rows than its 10,000,000-cell limit, and the bound keeps int math far
// from overflow on any platform.
const maxRowNumber = 10_000_000

// ErrUnrepresentable is returned by FormatRange for a Range that A1 notation
// cannot express: an open column end combined with a start column after A, or
// with a start row after 1 and an open row end (e.g. "from C5 to the end of
// the grid"). Bound EndCol to read such a rectangle.
var ErrUnrepresentable = errors.New("range has no A1 form")

// ColumnLetters returns the A1 letters of a 0-based column index: 0 → "A",
// 25 → "Z", 26 → "AA". It returns "" for an index outside [0, MaxColumns).
func ColumnLetters(col int) string {
	if col < 0 || col >= MaxColumns {
		return ""
	}
	var buf [3]byte
	i := len(buf)
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		i--
		buf[i] = byte('A' + (n-1)%26)
	}
	return string(buf[i:])
}

// ColumnIndex returns the 0-based index of A1 column letters ("A" → 0,
// "aa" → 26; case-insensitive). It fails for anything but 1–3 letters that
// name a column before MaxColumns.
func ColumnIndex(letters string) (int, error) {
	if letters == "" || len(letters) > 3 {
		return 0, fmt.Errorf("column %q: want 1 to 3 letters", letters)
	}
	n := 0
	for i := 0; i < len(letters); i++ {
		c := letters[i] | 0x20 // ASCII lower case
		if c < 'a' || c > 'z' {
			return 0, fmt.Errorf("column %q: want letters A-Z", letters)
		}
		n = n*26 + int(c-'a') + 1
	}
	if n > MaxColumns {
		return 0, fmt.Errorf("column %q is beyond the last column ZZZ", letters)
	}
	return n - 1, nil
}

// QuoteTitle returns a sheet title as it must appear before '!' in A1
// notation. Titles made only of ASCII letters, digits and '_' are returned
// as they are, unless the API could read them as something else: a cell
// reference ("A1", "CRM26"), an R1C1 reference ("R1C1", "RC"), or a row
// number (a leading digit). Everything else is wrapped in single quotes
// with inner quotes doubled, which is the form the API echoes back.
func QuoteTitle(title string) string {
	if titleIsPlain(title) {
		return title
	}
	return "'" + strings.ReplaceAll(title, "'", "''") + "'"
}

func titleIsPlain(t string) bool {
	if t == "" || t[0] >= '0' && t[0] <= '9' {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(isLetter(c) || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return !looksLikeCell(t) && !looksLikeR1C1(t)
}

// looksLikeCell reports letters followed by digits ("A1", "crm26"): the API
// would read such an unquoted title as a cell reference.
func looksLikeCell(t string) bool {
	i := 0
	for i < len(t) && isLetter(t[i]) {
		i++
	}
	if i == 0 || i == len(t) {
		return false
	}
	for _, c := range []byte(t[i:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// looksLikeR1C1 reports "R", "C", "RC", "R1", "C2", "R1C2" and friends.
func looksLikeR1C1(t string) bool {
	u := strings.ToUpper(t)
	if strings.HasPrefix(u, "R") {
		u = strings.TrimLeft(u[1:], "0123456789")
		if u == "" {
			return true
		}
	}
	if strings.HasPrefix(u, "C") {
		return strings.TrimLeft(u[1:], "0123456789") == ""
	}
	return false
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// FormatRange returns r in A1 notation with the tab title quoted as needed.
// Open ends become the A1 open forms: "Tab" (whole tab), "Tab!A:C",
// "Tab!A2:C" (rows 2 onwards), "Tab!2:10" (whole rows), "Tab!A2:C10".
// An empty Tab leaves out the "Tab!" prefix (the API's first visible tab).
// It fails for negative or reversed bounds and with ErrUnrepresentable for
// shapes A1 cannot express.
func FormatRange(r syncd.Range) (string, error) {
	if err := checkRange(r); err != nil {
		return "", err
	}
	prefix := ""
	if r.Tab != "" {
		prefix = QuoteTitle(r.Tab) + "!"
	}
	row := func(n int) string { return strconv.Itoa(n) }
	switch {
	case r.EndCol > 0:
		start, end := ColumnLetters(r.StartCol), ColumnLetters(r.EndCol-1)
		switch {
		case r.EndRow > 0:
			return prefix + start + row(r.StartRow+1) + ":" + end + row(r.EndRow), nil
		case r.StartRow > 0:
			return prefix + start + row(r.StartRow+1) + ":" + end, nil
		default:
			return prefix + start + ":" + end, nil
		}
	case r.StartCol == 0 && r.EndRow > 0:
		return prefix + row(r.StartRow+1) + ":" + row(r.EndRow), nil
	case r.StartCol == 0 && r.StartRow == 0 && r.Tab != "":
		return QuoteTitle(r.Tab), nil
	}
	return "", fmt.Errorf("format range %+v: %w", r, ErrUnrepresentable)
}

func checkRange(r syncd.Range) error {
	switch {
	case r.StartRow < 0 || r.StartCol < 0 || r.EndRow < 0 || r.EndCol < 0:
		return fmt.Errorf("range %+v: negative bound", r)
	case r.EndRow > 0 && r.EndRow <= r.StartRow, r.EndCol > 0 && r.EndCol <= r.StartCol:
		return fmt.Errorf("range %+v: end not after start", r)
	case r.EndCol > MaxColumns || r.StartCol >= MaxColumns:
		return fmt.Errorf("range %+v: beyond the last column ZZZ", r)
	case r.EndRow > maxRowNumber || r.StartRow >= maxRowNumber:
		return fmt.Errorf("range %+v: beyond row %d", r, maxRowNumber)
	}
	return nil
}

// ParseRange parses an A1 range as the API echoes it ("Sheet1!A1:Z1000",
// "'Jon”s Data'!A2:C", "Tab", "Tab!2:5", "Tab!B3") into a Range. Open
// ends map to 0 as in syncer.Range. Text without '!' that is not a cell
// range is taken as a tab title. It never panics; it fails with an error
// naming the input for anything it cannot read, including R1C1 notation.
func ParseRange(s string) (syncd.Range, error) {
	var r syncd.Range
	cells := s
	switch {
	case strings.HasPrefix(s, "'"):
		title, rest, err := unquoteTitle(s)
		if err != nil {
			return r, fmt.Errorf("parse range %q: %w", s, err)
		}
		r.Tab = title
		if rest == "" {
			return r, nil
		}
		if rest[0] != '!' {
			return r, fmt.Errorf("parse range %q: unexpected %q after the title", s, rest)
		}
		cells = rest[1:]
	case strings.Contains(s, "!"):
		i := strings.LastIndexByte(s, '!')
		r.Tab, cells = s[:i], s[i+1:]
		if r.Tab == "" {
			return r, fmt.Errorf("parse range %q: empty tab title", s)
		}
	default:
		if c, err := parseCells(s); err == nil {
			return c, nil
		}
		if s == "" {
			return r, fmt.Errorf("parse range: empty text")
		}
		r.Tab = s
		return r, nil
	}
	c, err := parseCells(cells)
	if err != nil {
		return r, fmt.Errorf("parse range %q: %w", s, err)
	}
	c.Tab = r.Tab
	return c, nil
}

func unquoteTitle(s string) (title, rest string, err error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		if s[i] != '\'' {
			b.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		if i == 1 {
			return "", "", errors.New("empty quoted title")
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", errors.New("unterminated quoted title")
}

// ref is one end of an A1 cell range: either part may be absent.
type ref struct {
	col, row       int // 0-based column; 1-based row number
	hasCol, hasRow bool
}

func parseRef(s string) (ref, error) {
	var f ref
	i := 0
	for i < len(s) && isLetter(s[i]) {
		i++
	}
	if i > 0 {
		col, err := ColumnIndex(s[:i])
		if err != nil {
			return f, err
		}
		f.col, f.hasCol = col, true
	}
	if i < len(s) {
		digits := s[i:]
		if digits[0] == '0' || len(digits) > 8 {
			return f, fmt.Errorf("bad row number %q", digits)
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 || n > maxRowNumber {
			return f, fmt.Errorf("bad row number %q", digits)
		}
		f.row, f.hasRow = n, true
	}
	if !f.hasCol && !f.hasRow {
		return f, errors.New("empty cell reference")
	}
	return f, nil
}

func parseCells(s string) (syncd.Range, error) {
	var r syncd.Range
	a, b, two := strings.Cut(s, ":")
	start, err := parseRef(a)
	if err != nil {
		return r, err
	}
	end := start
	if two {
		if end, err = parseRef(b); err != nil {
			return r, err
		}
	} else if !start.hasCol || !start.hasRow {
		return r, fmt.Errorf("%q is not a cell", s)
	}
	// The forms are "A1:B2", "A:B", "A5:B", "1:2", "A1:1"-style mixes are
	// not A1 and are rejected, except a cell start with an open end.
	if !start.hasCol && end.hasCol || start.hasCol && !start.hasRow && end.hasRow {
		return r, fmt.Errorf("%q mixes row and column forms", s)
	}
	if start.hasCol {
		r.StartCol = start.col
	}
	if start.hasRow {
		r.StartRow = start.row - 1
	}
	if end.hasCol {
		r.EndCol = end.col + 1
	}
	if end.hasRow {
		r.EndRow = end.row
	}
	if r.EndCol > 0 && r.EndCol <= r.StartCol || r.EndRow > 0 && r.EndRow <= r.StartRow {
		return r, fmt.Errorf("%q ends before it starts", s)
	}
	return r, nil
}
