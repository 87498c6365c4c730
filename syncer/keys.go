package syncer

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/syncd/syncd"
)

// A row's key, as syncd compares, indexes and stores it (syncd.row_state
// row_key), is a JSON array with one element per key column: the column's
// Postgres text, or null. It is unambiguous for any text (the empty
// string, "#N/A", U+001F: round 1 joined texts with U+001F, so "x" and
// "x<US>y" could be confused) and rows are always located by this exact
// form, never a normalised one. The escaping is Postgres's own
// (array_to_json / to_jsonb of text), so migrations/004 converts stored
// keys to the very same strings.

// encodeKey returns the key of the given key column values.
func encodeKey(parts []syncd.Value) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, p := range parts {
		if i > 0 {
			b.WriteByte(',')
		}
		if !p.Valid {
			b.WriteString("null")
			continue
		}
		writeJSONString(&b, p.Text)
	}
	b.WriteByte(']')
	return b.String()
}

// writeJSONString writes s as a JSON string escaped as Postgres escapes it
// (escape_json): the two-character escapes, \u00XX for other control
// characters, everything else verbatim.
func writeJSONString(b *strings.Builder, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\b':
			b.WriteString(`\b`)
		case '\f':
			b.WriteString(`\f`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			if c < ' ' {
				fmt.Fprintf(b, `\u%04x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
}

// decodeKey returns the n key column values of a key.
func decodeKey(key string, n int) ([]syncd.Value, error) {
	var parts []*string
	if err := json.Unmarshal([]byte(key), &parts); err != nil {
		return nil, fmt.Errorf("row key %s: %w", key, err)
	}
	if len(parts) != n {
		return nil, fmt.Errorf("row key %s has %d values, want %d", key, len(parts), n)
	}
	out := make([]syncd.Value, n)
	for i, p := range parts {
		if p != nil {
			out[i] = syncd.Text(*p)
		}
	}
	return out, nil
}

// keyCell decodes one key cell. Text keys are taken as the cell shows them:
// the codec writes the empty string as an empty cell and text spelling a
// formula error ("#N/A") as that error, and both are valid keys. A cell of
// any other kind goes through the codec; ok is false when it holds no key.
func keyCell(col syncd.Column, c syncd.Cell, codec syncd.Codec, loc *time.Location) (syncd.Value, bool) {
	if col.Kind == syncd.KindText {
		switch c.Type {
		case syncd.CellEmpty:
			return syncd.Text(""), true
		case syncd.CellError:
			return syncd.Text(c.String), true
		}
	}
	if c.Type == syncd.CellEmpty {
		return syncd.Null, false
	}
	v, err := codec.Decode(col, c, loc)
	if err != nil || !v.Valid {
		return syncd.Null, false
	}
	return v, true
}

// cellsKey returns the key a tab row shows; cell(j) is the row's cell of
// key column j. ok is false when a key cell holds no valid key.
func (m *mirror) cellsKey(cell func(j int) syncd.Cell, codec syncd.Codec, loc *time.Location) (string, bool) {
	parts := make([]syncd.Value, len(m.Key))
	for j, k := range m.Key {
		v, ok := keyCell(m.Columns[k], cell(j), codec, loc)
		if !ok {
			return "", false
		}
		parts[j] = v
	}
	return encodeKey(parts), true
}

// keyMap returns the key column names and their texts for a key, as
// syncd.conflicts stores them (row_key); a key that does not decode gives
// nil.
func (m *mirror) keyMap(key string) map[string]string {
	parts, err := decodeKey(key, len(m.Key))
	if err != nil {
		return nil
	}
	out := make(map[string]string, len(m.Key))
	for i, k := range m.Key {
		out[m.Columns[k].Name] = parts[i].Text
	}
	return out
}

// keyLabel renders a key for people: the bare text of a one-column key,
// else the JSON array.
func (m *mirror) keyLabel(key string) string {
	if parts, err := decodeKey(key, len(m.Key)); err == nil && len(parts) == 1 {
		return fmt.Sprintf("%q", parts[0].Text)
	}
	return key
}
