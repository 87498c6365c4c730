package sheetsemu

import (
	"math"
	"strings"
)

// flatten expands range arguments into their cell values.
func flatten(args []fval) []fval {
	var out []fval
	for _, a := range args {
		if a.isRng {
			out = append(out, a.list...)
		} else {
			out = append(out, a)
		}
	}
	return out
}

// callFunc implements the few spreadsheet functions simple sheets use.
func callFunc(name string, args []fval) fval {
	switch name {
	case "SUM", "AVERAGE", "MIN", "MAX", "COUNT":
		var nums []float64
		for _, v := range flatten(args) {
			if v.kind == 'e' {
				return v
			}
			if v.kind == 'n' {
				nums = append(nums, v.num)
			}
		}
		return aggregate(name, nums)
	case "COUNTA":
		n := 0
		for _, v := range flatten(args) {
			if v.kind != '0' {
				n++
			}
		}
		return fval{kind: 'n', num: float64(n)}
	case "IF":
		if len(args) < 2 {
			return fval{kind: 'e', errT: "#N/A"}
		}
		c := scalar(args[0])
		if c.kind == 'e' {
			return c
		}
		n, _ := toNum(c)
		if c.kind == 's' && c.str != "" || n != 0 {
			return scalar(args[1])
		}
		if len(args) > 2 {
			return scalar(args[2])
		}
		return fval{kind: 'b', b: false}
	case "CONCATENATE", "CONCAT":
		var b strings.Builder
		for _, v := range flatten(args) {
			b.WriteString(toStr(v))
		}
		return fval{kind: 's', str: b.String()}
	case "LEN", "UPPER", "LOWER", "TRIM":
		if len(args) != 1 {
			return fval{kind: 'e', errT: "#N/A"}
		}
		s := toStr(scalar(args[0]))
		switch name {
		case "LEN":
			return fval{kind: 'n', num: float64(len([]rune(s)))}
		case "UPPER":
			return fval{kind: 's', str: strings.ToUpper(s)}
		case "LOWER":
			return fval{kind: 's', str: strings.ToLower(s)}
		}
		return fval{kind: 's', str: strings.Join(strings.Fields(s), " ")}
	case "ABS", "ROUND":
		if len(args) < 1 {
			return fval{kind: 'e', errT: "#N/A"}
		}
		x, err := toNum(scalar(args[0]))
		if err != nil {
			return *err
		}
		if name == "ABS" {
			return fval{kind: 'n', num: math.Abs(x)}
		}
		d := 0.0
		if len(args) > 1 {
			d, _ = toNum(scalar(args[1]))
		}
		p := math.Pow(10, d)
		return fval{kind: 'n', num: math.Round(x*p) / p}
	}
	return fval{kind: 'e', errT: "#NAME?"}
}

func aggregate(name string, nums []float64) fval {
	switch name {
	case "COUNT":
		return fval{kind: 'n', num: float64(len(nums))}
	case "SUM", "AVERAGE":
		s := 0.0
		for _, n := range nums {
			s += n
		}
		if name == "AVERAGE" {
			if len(nums) == 0 {
				return fval{kind: 'e', errT: "#DIV/0!"}
			}
			s /= float64(len(nums))
		}
		return fval{kind: 'n', num: s}
	}
	if len(nums) == 0 {
		return fval{kind: 'n'}
	}
	m := nums[0]
	for _, n := range nums[1:] {
		if name == "MIN" && n < m || name == "MAX" && n > m {
			m = n
		}
	}
	return fval{kind: 'n', num: m}
}
