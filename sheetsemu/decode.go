package sheetsemu

import (
	"bytes"
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"google.golang.org/api/sheets/v4"
)

// decodeFast decodes raw into req when raw is an appendCells or
// updateCells whose cells carry nothing but a plain userEnteredValue (the
// bulk of what syncd sends, megabytes per request), and reports whether
// it did. It exists because encoding/json is slow on such bodies: every
// generated ExtendedValue has its own UnmarshalJSON that validates and
// decodes its bytes again, and numbers go through a third Unmarshal.
//
// Contract: when it returns true, req is exactly what json.Unmarshal(raw,
// req) gives. The rows are parsed by hand; the other fields are decoded
// by encoding/json. Anything else (another kind, a format or note, an
// error value, a key not spelled exactly, a duplicate key, a string
// "NaN", invalid JSON) makes it return false with req untouched, and the
// caller decodes raw in full, which also gives Google's error texts.
func decodeFast(raw []byte, req *sheets.Request) bool {
	if len(raw) < 4096 { // small bodies gain nothing
		return false
	}
	p := &fastParser{b: raw}
	p.ws()
	if !p.eat('{') {
		return false
	}
	kind, ok := p.key()
	if !ok || (kind != "appendCells" && kind != "updateCells") {
		return false
	}
	var a sheets.AppendCellsRequest
	var u sheets.UpdateCellsRequest
	var rows []*sheets.RowData
	ok = p.eat('{') && p.object(func(k string) bool {
		switch {
		case k == "rows":
			rows, ok = p.rows()
			return ok
		case k == "fields" && kind == "appendCells":
			return p.std(&a.Fields)
		case k == "sheetId" && kind == "appendCells":
			return p.std(&a.SheetId)
		case k == "tableId" && kind == "appendCells":
			return p.std(&a.TableId)
		case k == "fields":
			return p.std(&u.Fields)
		case k == "range":
			return p.std(&u.Range)
		case k == "start":
			return p.std(&u.Start)
		}
		return false
	}) && p.eat('}')
	if !ok || !p.eat('}') {
		return false
	}
	if p.ws(); p.i != len(p.b) {
		return false
	}
	if kind == "appendCells" {
		a.Rows = rows
		req.AppendCells = &a
	} else {
		u.Rows = rows
		req.UpdateCells = &u
	}
	return true
}

type fastParser struct {
	b []byte
	i int
}

func (p *fastParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// eat skips white space and then c, reporting whether c was there.
func (p *fastParser) eat(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// null consumes a null literal if one is next.
func (p *fastParser) null() bool {
	p.ws()
	if bytes.HasPrefix(p.b[p.i:], []byte("null")) {
		p.i += 4
		return true
	}
	return false
}

// key reads an object key and its colon. Only plain keys (no escapes)
// are taken: encoding/json matches keys case-insensitively and through
// escapes, so anything but the exact spelling is left to it.
func (p *fastParser) key() (string, bool) {
	p.ws()
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return "", false
	}
	end := bytes.IndexByte(p.b[p.i+1:], '"')
	if end < 0 {
		return "", false
	}
	k := p.b[p.i+1 : p.i+1+end]
	if bytes.IndexByte(k, '\\') >= 0 {
		return "", false
	}
	p.i += end + 2
	return string(k), p.eat(':')
}

// object reads the members of an object whose '{' was consumed, up to
// but not including its '}', calling f after each key. A duplicate key is
// refused: encoding/json merges into what the first one set.
func (p *fastParser) object(f func(k string) bool) bool {
	seen := map[string]bool{}
	if p.ws(); p.i < len(p.b) && p.b[p.i] == '}' {
		return true
	}
	for {
		k, ok := p.key()
		if !ok || seen[k] || !f(k) {
			return false
		}
		seen[k] = true
		if p.ws(); p.i < len(p.b) && p.b[p.i] == '}' {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// std decodes the next value with encoding/json, finding its end first.
func (p *fastParser) std(v any) bool {
	p.ws()
	start := p.i
	if !p.skip() {
		return false
	}
	return json.Unmarshal(p.b[start:p.i], v) == nil
}

// skip moves past one value, tracking only strings and nesting; the
// value is validated by whoever decodes it.
func (p *fastParser) skip() bool {
	depth := 0
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			if _, ok := p.rawString(); !ok {
				return false
			}
			if depth == 0 {
				return true
			}
			continue
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
			if depth < 0 {
				return false
			}
			if depth == 0 {
				p.i++
				return true
			}
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return true
		}
		p.i++
	}
	return depth == 0
}

// rawString moves past a string and returns its bytes between the quotes.
func (p *fastParser) rawString() ([]byte, bool) {
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch p.b[j] {
		case '\\':
			j++
		case '"':
			p.i = j + 1
			return p.b[start:j], true
		}
	}
	return nil, false
}

// rows reads a RowData list.
func (p *fastParser) rows() ([]*sheets.RowData, bool) {
	if p.null() {
		return nil, true
	}
	out := []*sheets.RowData{}
	ok := p.list(func() bool {
		if p.null() {
			out = append(out, nil)
			return true
		}
		rd := &sheets.RowData{}
		out = append(out, rd)
		if !p.eat('{') {
			return false
		}
		return p.object(func(k string) bool {
			if k != "values" {
				return false
			}
			var ok bool
			rd.Values, ok = p.cells()
			return ok
		}) && p.eat('}')
	})
	return out, ok
}

// list reads the elements of a list, calling f for each.
func (p *fastParser) list(f func() bool) bool {
	if !p.eat('[') {
		return false
	}
	if p.eat(']') {
		return true
	}
	for {
		if !f() {
			return false
		}
		if p.eat(']') {
			return true
		}
		if !p.eat(',') {
			return false
		}
	}
}

// parsedCell is one cell as read, before its API form is built.
type parsedCell struct {
	null, hasValue          bool // the cell is null; it has a userEnteredValue
	hasNum, hasStr, hasBool bool
	hasFormula, boolean     bool
	num                     float64
	str, formula            string
}

// cells reads one row's cells. The row's cells, values and their numbers
// and strings each share one allocation: they are only read while the
// request is applied (stored cells are packed copies, store.go).
func (p *fastParser) cells() ([]*sheets.CellData, bool) {
	if p.null() {
		return nil, true
	}
	var tmp []parsedCell
	ok := p.list(func() bool {
		var pc parsedCell
		if p.null() {
			pc.null = true
			tmp = append(tmp, pc)
			return true
		}
		ok := p.eat('{') && p.object(func(k string) bool {
			if k != "userEnteredValue" {
				return false
			}
			if p.null() {
				return true
			}
			pc.hasValue = true
			return p.eat('{') && p.object(func(k string) bool { return p.value(k, &pc) }) && p.eat('}')
		}) && p.eat('}')
		tmp = append(tmp, pc)
		return ok
	})
	if !ok {
		return nil, false
	}
	out := make([]*sheets.CellData, len(tmp))
	cds := make([]sheets.CellData, len(tmp))
	evs := make([]sheets.ExtendedValue, len(tmp))
	nums := make([]float64, len(tmp))
	strs := make([]string, len(tmp))
	bools := make([]bool, len(tmp))
	for j := range tmp {
		pc := &tmp[j]
		if pc.null {
			continue
		}
		out[j] = &cds[j]
		if !pc.hasValue {
			continue
		}
		ev := &evs[j]
		cds[j].UserEnteredValue = ev
		if pc.hasNum {
			nums[j] = pc.num
			ev.NumberValue = &nums[j]
		}
		if pc.hasStr {
			strs[j] = pc.str
			ev.StringValue = &strs[j]
		}
		if pc.hasBool {
			bools[j] = pc.boolean
			ev.BoolValue = &bools[j]
		}
		if pc.hasFormula {
			ev.FormulaValue = ptr(pc.formula)
		}
	}
	return out, true
}

// value reads one field of an ExtendedValue; a null leaves it unset, as
// encoding/json does.
func (p *fastParser) value(k string, pc *parsedCell) bool {
	if p.null() {
		return k == "numberValue" || k == "stringValue" || k == "boolValue" || k == "formulaValue"
	}
	switch k {
	case "numberValue":
		pc.hasNum = true
		return p.number(&pc.num)
	case "stringValue":
		pc.hasStr = true
		return p.str(&pc.str)
	case "formulaValue":
		pc.hasFormula = true
		return p.str(&pc.formula)
	case "boolValue":
		pc.hasBool = true
		switch {
		case bytes.HasPrefix(p.b[p.i:], []byte("true")):
			pc.boolean, p.i = true, p.i+4
			return true
		case bytes.HasPrefix(p.b[p.i:], []byte("false")):
			p.i += 5
			return true
		}
	}
	return false
}

// str reads a string. One without escapes or invalid UTF-8 is taken as
// is; any other is decoded by encoding/json, whose rules it must follow.
func (p *fastParser) str(dst *string) bool {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return false
	}
	start := p.i
	raw, ok := p.rawString()
	if !ok {
		return false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) && !hasControl(raw) {
		*dst = string(raw)
		return true
	}
	return json.Unmarshal(p.b[start:p.i], dst) == nil
}

func hasControl(b []byte) bool {
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// number reads a number in strict JSON grammar and converts it the way
// encoding/json does for a float64 (strconv.ParseFloat).
func (p *fastParser) number(dst *float64) bool {
	b, i := p.b, p.i
	digits := func() int {
		n := 0
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i, n = i+1, n+1
		}
		return n
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	f, err := strconv.ParseFloat(string(b[p.i:i]), 64)
	if err != nil {
		return false
	}
	*dst, p.i = f, i
	return true
}
