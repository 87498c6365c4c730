package sheetsemu

import (
	"strings"
)

// fieldMask is a parsed partial-response `fields` selector such as
// "sheets.properties.title,namedRanges" or "sheets(properties,data)". Both
// '.' and '/' separate path elements. A nil map selects everything.
type fieldMask map[string]fieldMask

// parseFieldMask parses a fields selector; it returns nil for "" or "*".
func parseFieldMask(s string) (fieldMask, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "*" {
		return nil, nil
	}
	m := fieldMask{}
	p := &maskParser{src: s}
	if err := p.list(m); err != nil {
		return nil, err
	}
	if p.pos != len(p.src) {
		return nil, badRequest("Invalid field selection %s", s)
	}
	return m, nil
}

type maskParser struct {
	src string
	pos int
}

func (p *maskParser) list(into fieldMask) error {
	for {
		if err := p.path(into); err != nil {
			return err
		}
		if p.pos < len(p.src) && p.src[p.pos] == ',' {
			p.pos++
			continue
		}
		return nil
	}
}

func (p *maskParser) path(into fieldMask) error {
	start := p.pos
	for p.pos < len(p.src) && strings.IndexByte(",()./", p.src[p.pos]) < 0 {
		p.pos++
	}
	name := snakeToCamel(strings.TrimSpace(p.src[start:p.pos])) // proto names are accepted too
	if name == "" {
		return badRequest("Invalid field selection %s", p.src)
	}
	child, exists := into[name]
	if exists && child == nil {
		// already selects everything below name; parse and discard
		child = fieldMask{}
		defer func() { into[name] = nil }()
	}
	if p.pos < len(p.src) {
		switch p.src[p.pos] {
		case '.', '/':
			p.pos++
			if child == nil {
				child = fieldMask{}
			}
			into[name] = child
			return p.path(child)
		case '(':
			p.pos++
			if child == nil {
				child = fieldMask{}
			}
			into[name] = child
			if err := p.list(child); err != nil {
				return err
			}
			if p.pos >= len(p.src) || p.src[p.pos] != ')' {
				return badRequest("Invalid field selection %s", p.src)
			}
			p.pos++
			return nil
		}
	}
	into[name] = nil
	return nil
}

// has reports whether the mask selects anything at or below path.
func (m fieldMask) has(path ...string) bool {
	cur := m
	for _, p := range path {
		if cur == nil {
			return true
		}
		next, ok := cur[p]
		if !ok {
			return false
		}
		cur = next
	}
	return true
}

// apply filters a decoded JSON value. Keys present in the source stay
// (possibly as empty objects), which is how Google answers masks that
// select a missing leaf under an existing message.
func (m fieldMask) apply(v any) any {
	if m == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, sub := range m {
			if val, ok := x[k]; ok {
				out[k] = sub.apply(val)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = m.apply(e)
		}
		return out
	}
	return v
}
