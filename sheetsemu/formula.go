package sheetsemu

import (
	"math"
	"strconv"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// The formula evaluator covers arithmetic, comparisons, string
// concatenation, cell and range references and a handful of common
// functions. Anything else evaluates to a #NAME? error, which is still a
// faithful "the emulator cannot compute this" signal for tests.

type fval struct {
	num   float64
	str   string
	b     bool
	kind  byte // 'n', 's', 'b', 'e' (error), '0' (empty)
	errT  string
	list  []fval
	isRng bool
}

type evaluator struct {
	b     *book
	s     *sheet
	src   string
	pos   int
	depth int
}

const maxFormulaDepth = 32

// evalFormula computes the effective value of a formula on sheet s.
func evalFormula(b *book, s *sheet, formula string, depth int) *sheets.ExtendedValue {
	if depth > maxFormulaDepth {
		return errorValue("#REF!", "Circular dependency detected.")
	}
	e := &evaluator{b: b, s: s, src: strings.TrimPrefix(formula, "="), depth: depth}
	v := e.expr(0)
	e.skipSpace()
	if e.pos < len(e.src) && v.kind != 'e' {
		v = fval{kind: 'e', errT: "#ERROR!"}
	}
	if v.isRng {
		if len(v.list) == 0 {
			return nil
		}
		v = v.list[0]
	}
	switch v.kind {
	case 'n':
		if math.IsInf(v.num, 0) || math.IsNaN(v.num) {
			return errorValue("#NUM!", "Result is not a finite number.")
		}
		return numberValue(v.num)
	case 's':
		return stringValue(v.str)
	case 'b':
		return boolValue(v.b)
	case 'e':
		return errorValue(v.errT, "Formula error.")
	}
	return nil
}

func errorValue(t, msg string) *sheets.ExtendedValue {
	typ := map[string]string{"#DIV/0!": "DIVIDE_BY_ZERO", "#NAME?": "NAME", "#REF!": "REF",
		"#VALUE!": "VALUE", "#NUM!": "NUM", "#N/A": "N_A"}[t]
	if typ == "" {
		typ = "ERROR"
	}
	return &sheets.ExtendedValue{ErrorValue: &sheets.ErrorValue{Type: typ, Message: msg}}
}

var precedence = map[string]int{"=": 1, "<>": 1, "<": 1, ">": 1, "<=": 1, ">=": 1, "&": 2, "+": 3, "-": 3, "*": 4, "/": 4, "^": 5}

func (e *evaluator) skipSpace() {
	for e.pos < len(e.src) && e.src[e.pos] == ' ' {
		e.pos++
	}
}

func (e *evaluator) peekOp() string {
	e.skipSpace()
	for _, op := range []string{"<>", "<=", ">=", "=", "<", ">", "&", "+", "-", "*", "/", "^"} {
		if strings.HasPrefix(e.src[e.pos:], op) {
			return op
		}
	}
	return ""
}

func (e *evaluator) expr(minPrec int) fval {
	left := e.unary()
	for {
		op := e.peekOp()
		p, ok := precedence[op]
		if !ok || p < minPrec {
			return left
		}
		e.pos += len(op)
		next := p + 1
		if op == "^" {
			next = p // right-associative
		}
		right := e.expr(next)
		left = binary(op, scalar(left), scalar(right))
	}
}

func (e *evaluator) unary() fval {
	e.skipSpace()
	if e.pos < len(e.src) && (e.src[e.pos] == '-' || e.src[e.pos] == '+') {
		neg := e.src[e.pos] == '-'
		e.pos++
		v := scalar(e.unary())
		n, err := toNum(v)
		if err != nil {
			return *err
		}
		if neg {
			n = -n
		}
		return fval{kind: 'n', num: n}
	}
	return e.primary()
}

func scalar(v fval) fval {
	if v.isRng {
		if len(v.list) == 0 {
			return fval{kind: '0'}
		}
		return v.list[0]
	}
	return v
}

func toNum(v fval) (float64, *fval) {
	switch v.kind {
	case 'n':
		return v.num, nil
	case 'b':
		if v.b {
			return 1, nil
		}
		return 0, nil
	case '0':
		return 0, nil
	case 's':
		f, err := strconv.ParseFloat(strings.TrimSpace(v.str), 64)
		if err != nil {
			return 0, &fval{kind: 'e', errT: "#VALUE!"}
		}
		return f, nil
	}
	return 0, &v
}

func toStr(v fval) string {
	switch v.kind {
	case 'n':
		return formatGeneral(v.num)
	case 's':
		return v.str
	case 'b':
		return strings.ToUpper(strconv.FormatBool(v.b))
	}
	return ""
}

func binary(op string, a, b fval) fval {
	if a.kind == 'e' {
		return a
	}
	if b.kind == 'e' {
		return b
	}
	if op == "&" {
		return fval{kind: 's', str: toStr(a) + toStr(b)}
	}
	if precedence[op] == 1 {
		var c int
		if a.kind == 's' || b.kind == 's' {
			c = strings.Compare(strings.ToLower(toStr(a)), strings.ToLower(toStr(b)))
		} else {
			x, _ := toNum(a)
			y, _ := toNum(b)
			c = cmpFloat(x, y)
		}
		r := map[string]bool{"=": c == 0, "<>": c != 0, "<": c < 0, ">": c > 0, "<=": c <= 0, ">=": c >= 0}[op]
		return fval{kind: 'b', b: r}
	}
	x, err := toNum(a)
	if err != nil {
		return *err
	}
	y, err := toNum(b)
	if err != nil {
		return *err
	}
	switch op {
	case "+":
		return fval{kind: 'n', num: x + y}
	case "-":
		return fval{kind: 'n', num: x - y}
	case "*":
		return fval{kind: 'n', num: x * y}
	case "/":
		if y == 0 {
			return fval{kind: 'e', errT: "#DIV/0!"}
		}
		return fval{kind: 'n', num: x / y}
	default:
		return fval{kind: 'n', num: math.Pow(x, y)}
	}
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func (e *evaluator) primary() fval {
	e.skipSpace()
	if e.pos >= len(e.src) {
		return fval{kind: 'e', errT: "#ERROR!"}
	}
	c := e.src[e.pos]
	switch {
	case c == '(':
		e.pos++
		v := e.expr(0)
		e.skipSpace()
		if e.pos < len(e.src) && e.src[e.pos] == ')' {
			e.pos++
			return v
		}
		return fval{kind: 'e', errT: "#ERROR!"}
	case c == '"':
		end := strings.IndexByte(e.src[e.pos+1:], '"')
		if end < 0 {
			return fval{kind: 'e', errT: "#ERROR!"}
		}
		s := e.src[e.pos+1 : e.pos+1+end]
		e.pos += end + 2
		return fval{kind: 's', str: s}
	case c >= '0' && c <= '9' || c == '.':
		j := e.pos
		for j < len(e.src) && (e.src[j] >= '0' && e.src[j] <= '9' || e.src[j] == '.') {
			j++
		}
		f, err := strconv.ParseFloat(e.src[e.pos:j], 64)
		e.pos = j
		if err != nil {
			return fval{kind: 'e', errT: "#ERROR!"}
		}
		return fval{kind: 'n', num: f}
	}
	return e.nameOrRef()
}

// nameOrRef reads a function call, TRUE/FALSE, or an A1 reference
// (optionally sheet-qualified).
func (e *evaluator) nameOrRef() fval {
	start := e.pos
	if e.src[e.pos] == '\'' {
		_, rest, err := parseQuoted(e.src[e.pos:])
		if err != nil {
			return fval{kind: 'e', errT: "#ERROR!"}
		}
		e.pos = len(e.src) - len(rest)
	}
	for e.pos < len(e.src) && strings.IndexByte("+-*/^&=<>(), ", e.src[e.pos]) < 0 {
		e.pos++
	}
	tok := strings.ReplaceAll(e.src[start:e.pos], "$", "")
	e.skipSpace()
	if e.pos < len(e.src) && e.src[e.pos] == '(' {
		e.pos++
		return e.call(strings.ToUpper(tok))
	}
	switch strings.ToUpper(tok) {
	case "TRUE":
		return fval{kind: 'b', b: true}
	case "FALSE":
		return fval{kind: 'b', b: false}
	}
	return e.ref(tok)
}

func (e *evaluator) ref(tok string) fval {
	r, err := ParseA1(tok)
	if err != nil || !r.HasCells {
		return fval{kind: 'e', errT: "#NAME?"}
	}
	s := e.s
	if r.Sheet != "" {
		if s = e.b.sheetByTitle(r.Sheet); s == nil {
			return fval{kind: 'e', errT: "#REF!"}
		}
	}
	gr := clampRange(r, s)
	out := fval{isRng: true}
	if gr.EndRow-gr.StartRow == 1 && gr.EndCol-gr.StartCol == 1 {
		out.isRng = false
	}
	for row := gr.StartRow; row < gr.EndRow && row < s.usedRows(); row++ {
		for col := gr.StartCol; col < gr.EndCol; col++ {
			out.list = append(out.list, e.cellValue(s, row, col))
		}
	}
	if !out.isRng {
		if len(out.list) == 0 {
			return fval{kind: '0'}
		}
		return out.list[0]
	}
	return out
}

func (e *evaluator) cellValue(s *sheet, r, c int) fval {
	ev := effectiveValue(e.b, s, s.at(r, c), e.depth+1)
	switch {
	case ev == nil:
		return fval{kind: '0'}
	case ev.NumberValue != nil:
		return fval{kind: 'n', num: *ev.NumberValue}
	case ev.StringValue != nil:
		return fval{kind: 's', str: *ev.StringValue}
	case ev.BoolValue != nil:
		return fval{kind: 'b', b: *ev.BoolValue}
	case ev.ErrorValue != nil:
		return fval{kind: 'e', errT: errorText(ev.ErrorValue)}
	}
	return fval{kind: '0'}
}

func (e *evaluator) call(name string) fval {
	var args []fval
	for {
		e.skipSpace()
		if e.pos < len(e.src) && e.src[e.pos] == ')' {
			e.pos++
			break
		}
		args = append(args, e.expr(0))
		e.skipSpace()
		if e.pos >= len(e.src) {
			return fval{kind: 'e', errT: "#ERROR!"}
		}
		if e.src[e.pos] == ',' {
			e.pos++
		}
	}
	return callFunc(name, args)
}
