// Package rowkey is how syncd names a row in its own tables: the encoded
// key of syncd.row_state and syncd.sheet_inserts, and the fingerprint of a
// row typed into a tab. The engine (syncer) and the conflicts room both
// locate rows by these exact strings, so they share one definition.
//
// A row's key is a JSON array with one element per key column: the
// column's Postgres text, or null. It is unambiguous for any text (the
// empty string, "#N/A", U+001F: round 1 joined texts with U+001F, so "x"
// and "x<US>y" could be confused) and rows are always located by this
// exact form, never a normalised one. The escaping is Postgres's own
// (array_to_json / to_jsonb of text), so migrations/004 converts stored
// keys to the very same strings.
package rowkey

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syncd/syncd"
)

// Encode returns the key of the given key column values.
func Encode(parts []syncd.Value) string {
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

// Decode returns the n key column values of a key; an error when key is
// not an array of n texts or nulls.
func Decode(key string, n int) ([]syncd.Value, error) {
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

// Label renders a key of n columns for people: the quoted text of a
// one-column key, else the JSON array.
func Label(key string, n int) string {
	if parts, err := Decode(key, n); err == nil && len(parts) == 1 {
		return fmt.Sprintf("%q", parts[0].Text)
	}
	return key
}

// Fingerprint identifies a row typed into a tab by its cells (rowText: a
// JSON object of column → text), as syncd.sheet_inserts records it.
func Fingerprint(rowText string) string {
	sum := sha256.Sum256([]byte(rowText))
	return hex.EncodeToString(sum[:])
}
