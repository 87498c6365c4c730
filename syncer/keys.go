package syncer

import (
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/rowkey"
)

// A row's key is rowkey's encoding (internal/rowkey): the engine and the
// conflicts room locate rows by the same strings.

// encodeKey returns the key of the given key column values.
func encodeKey(parts []syncd.Value) string { return rowkey.Encode(parts) }

// decodeKey returns the n key column values of a key.
func decodeKey(key string, n int) ([]syncd.Value, error) { return rowkey.Decode(key, n) }

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
func (m *mirror) keyLabel(key string) string { return rowkey.Label(key, len(m.Key)) }
