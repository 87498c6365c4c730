package sheetsemu

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// maxColumns is the widest grid Google allows (column ZZZ).
const maxColumns = 18278

// maxRows bounds row numbers accepted by the parser; larger values could never
// fit under the 10,000,000-cell limit anyway and would overflow int math.
const maxRows = 10_000_000

// A1Range is a parsed A1-notation range. Indexes are 0-based and half-open
// like GridRange; -1 marks an unbounded side. A range with no cell part
// (e.g. "Sheet1") has every bound set to -1.
type A1Range struct {
	// Sheet is the sheet title (or named range) before '!', or the whole
	// text when no cell part was recognised; empty when the range names
	// only cells (e.g. "A1:B2", meaning the first visible sheet).
	Sheet string
	// HasCells reports whether a cell part was present.
	HasCells bool
	// StartRow, StartCol, EndRow, EndCol are the 0-based half-open bounds.
	StartRow, StartCol, EndRow, EndCol int
}

// ParseA1 parses A1 notation: "Sheet1!A1:B2", "'My Sheet'!A:A", "1:2",
// "A5:A", "Sheet1", "A1". Quoted titles use ” for a literal quote. An
// unquoted name that parses as a cell reference is a cell reference; callers
// resolve a bare title against sheets and named ranges. Reversed corners
// are normalised. It returns an error for anything else and never panics.
func ParseA1(s string) (A1Range, error) {
	r := A1Range{StartRow: -1, StartCol: -1, EndRow: -1, EndCol: -1}
	if s == "" {
		return r, fmt.Errorf("empty range")
	}
	var cells string
	if s[0] == '\'' {
		title, rest, err := parseQuoted(s)
		if err != nil {
			return r, err
		}
		r.Sheet = title
		if rest == "" {
			return r, nil
		}
		if rest[0] != '!' {
			return r, fmt.Errorf("unexpected %q after quoted title", rest)
		}
		cells = rest[1:]
	} else if i := strings.LastIndexByte(s, '!'); i >= 0 {
		r.Sheet = s[:i]
		if r.Sheet == "" {
			return r, fmt.Errorf("empty sheet title")
		}
		cells = s[i+1:]
	} else {
		if c, ok := parseCells(s); ok {
			c.Sheet = ""
			return c, nil
		}
		r.Sheet = s
		return r, nil
	}
	c, ok := parseCells(cells)
	if !ok {
		return r, fmt.Errorf("bad cell range %q", cells)
	}
	c.Sheet = r.Sheet
	return c, nil
}

func parseQuoted(s string) (title, rest string, err error) {
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
		if b.Len() == 0 {
			return "", "", fmt.Errorf("empty quoted title")
		}
		return b.String(), s[i+1:], nil
	}
	return "", "", fmt.Errorf("unterminated quote")
}

// cellRef is one side of a range; -1 marks a missing part.
type cellRef struct{ col, row int }

func parseRef(s string) (cellRef, bool) {
	ref := cellRef{col: -1, row: -1}
	i := 0
	col := 0
	for i < len(s) && isASCIILetter(s[i]) {
		col = col*26 + int(unicode.ToUpper(rune(s[i]))-'A'+1)
		i++
		if col > maxColumns {
			return ref, false
		}
	}
	if i > 0 {
		ref.col = col - 1
	}
	if i < len(s) {
		digits := s[i:]
		for _, ch := range digits {
			if ch < '0' || ch > '9' {
				return ref, false
			}
		}
		if len(digits) > 9 {
			return ref, false
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n < 1 || n > maxRows {
			return ref, false
		}
		ref.row = n - 1
	}
	if ref.col < 0 && ref.row < 0 {
		return ref, false
	}
	return ref, true
}

func isASCIILetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' }

// parseCells parses the part after '!'. A single reference must be a full
// cell; a pair may leave out parts as Google allows (A:A, 1:2, A5:A, A1:B).
func parseCells(s string) (A1Range, bool) {
	r := A1Range{HasCells: true, StartRow: -1, StartCol: -1, EndRow: -1, EndCol: -1}
	a, b, pair := strings.Cut(s, ":")
	ra, ok := parseRef(a)
	if !ok {
		return r, false
	}
	if !pair {
		if ra.col < 0 || ra.row < 0 {
			return r, false
		}
		r.StartRow, r.StartCol, r.EndRow, r.EndCol = ra.row, ra.col, ra.row+1, ra.col+1
		return r, true
	}
	rb, ok := parseRef(b)
	if !ok {
		return r, false
	}
	// A column-only side never pairs with a row-only side ("A:1").
	colOnly := func(c cellRef) bool { return c.row < 0 }
	rowOnly := func(c cellRef) bool { return c.col < 0 }
	if colOnly(ra) && rowOnly(rb) || rowOnly(ra) && colOnly(rb) {
		return r, false
	}
	c1, c2 := ra.col, rb.col
	r1, r2 := ra.row, rb.row
	if c1 >= 0 && c2 >= 0 && c1 > c2 {
		c1, c2 = c2, c1
	}
	if r1 >= 0 && r2 >= 0 && r1 > r2 {
		r1, r2 = r2, r1
	}
	if c1 >= 0 {
		r.StartCol = c1
	} else {
		r.StartCol = 0
	}
	if c2 >= 0 {
		r.EndCol = c2 + 1
	}
	if r1 >= 0 {
		r.StartRow = r1
	} else {
		r.StartRow = 0
	}
	if r2 >= 0 {
		r.EndRow = r2 + 1
	}
	// "A5:A" style: a start row with an open end row keeps the start row.
	return r, true
}

// ColumnName converts a 0-based column index to letters (0 → "A").
func ColumnName(col int) string {
	if col < 0 {
		return ""
	}
	var b []byte
	for n := col + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// QuoteTitle renders a sheet title for use in A1 notation the way Google
// echoes it: plain identifiers unquoted, anything else (spaces, symbols,
// names that read as cells, columns or R1C1 references) quoted with inner
// quotes doubled.
func QuoteTitle(title string) string {
	if titleIsPlain(title) {
		return title
	}
	return "'" + strings.ReplaceAll(title, "'", "''") + "'"
}

func titleIsPlain(t string) bool {
	if t == "" {
		return false
	}
	for i, ch := range t {
		switch {
		case ch == '_':
		case ch < 128 && unicode.IsLetter(ch):
		case ch >= '0' && ch <= '9':
			if i == 0 {
				return false
			}
		default:
			return false
		}
	}
	if _, ok := parseCells(t); ok {
		return false
	}
	if _, ok := parseRef(t); ok {
		return false // a bare column such as "X" or "ABC"
	}
	up := strings.ToUpper(t)
	if up == "TRUE" || up == "FALSE" || looksR1C1(up) {
		return false
	}
	return true
}

func looksR1C1(up string) bool {
	if len(up) < 2 || (up[0] != 'R' && up[0] != 'C') {
		return false
	}
	for _, ch := range up[1:] {
		if ch != 'R' && ch != 'C' && (ch < '0' || ch > '9') {
			return false
		}
	}
	return true
}

// FormatA1 renders r with its sheet title. Unbounded sides are written the
// way Google accepts them ("A:A", "1:2", "A5:A"); a range without cells is
// the bare quoted title.
func FormatA1(r A1Range) string {
	prefix := ""
	if r.Sheet != "" {
		prefix = QuoteTitle(r.Sheet)
		if !r.HasCells {
			return prefix
		}
		prefix += "!"
	}
	return prefix + formatCells(r)
}

func formatCells(r A1Range) string {
	rowBounded := r.EndRow >= 0
	colBounded := r.EndCol >= 0
	start := ""
	end := ""
	switch {
	case rowBounded && colBounded:
		start = ColumnName(r.StartCol) + strconv.Itoa(r.StartRow+1)
		end = ColumnName(r.EndCol-1) + strconv.Itoa(r.EndRow)
		if start == end {
			return start // Google echoes a single cell as "C1", not "C1:C1"
		}
	case colBounded: // open rows: A:A or A5:A
		start = ColumnName(r.StartCol)
		if r.StartRow > 0 {
			start += strconv.Itoa(r.StartRow + 1)
		}
		end = ColumnName(r.EndCol - 1)
	case rowBounded: // open columns: 1:2 or A1:2
		start = strconv.Itoa(r.StartRow + 1)
		if r.StartCol > 0 {
			start = ColumnName(r.StartCol) + start
		}
		end = strconv.Itoa(r.EndRow)
	default: // unreachable for parsed ranges; render the widest form
		return "A:" + ColumnName(maxColumns-1)
	}
	return start + ":" + end
}
