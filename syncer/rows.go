package syncer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// dbRow is one row read from Postgres for a mirror: its key (encodeKey) and
// its mirrored values in column order. A nil Values means the row is gone.
type dbRow struct {
	Key    string
	Values []syncd.Value
}

// keyOf returns the key of a row's values (see encodeKey).
func (m *mirror) keyOf(values []syncd.Value) string {
	parts := make([]syncd.Value, len(m.Key))
	for i, k := range m.Key {
		parts[i] = values[k]
	}
	return encodeKey(parts)
}

// selectList returns "t.c1::text, t.c2::text, ..." for the mirrored columns.
func (m *mirror) selectList(alias string) string {
	parts := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		parts[i] = alias + "." + catalog.QuoteIdent(c.Name) + "::text"
	}
	return strings.Join(parts, ", ")
}

// orderList returns the key columns for ORDER BY.
func (m *mirror) orderList(alias string) string {
	parts := make([]string, len(m.Key))
	for i, k := range m.Key {
		parts[i] = alias + "." + catalog.QuoteIdent(m.Columns[k].Name)
	}
	return strings.Join(parts, ", ")
}

// readKeys reads the current rows of a table mirror for the given outbox
// keys (jsonb objects). Keys whose row no longer exists come back with nil
// Values and their key (encodeKey), so the tab row can be found and
// removed.
func (m *mirror) readKeys(ctx context.Context, q catalog.Querier, keys []string) ([]dbRow, error) {
	keyText := make([]string, len(m.Key))
	join := make([]string, len(m.Key))
	for i, k := range m.Key {
		c := m.Columns[k]
		cast := fmt.Sprintf("(k.key->>%s)::%s", quoteLiteral(c.Name), c.Type)
		keyText[i] = cast + "::text"
		join[i] = fmt.Sprintf("t.%s = %s", catalog.QuoteIdent(c.Name), cast)
	}
	sql := fmt.Sprintf(`SELECT t.ctid IS NULL, %s, %s
		FROM unnest($1::jsonb[]) AS k(key) LEFT JOIN %s t ON %s`,
		strings.Join(keyText, ", "), m.selectList("t"), m.Table, strings.Join(join, " AND "))
	rows, err := q.Query(ctx, sql, keys)
	if err != nil {
		return nil, fmt.Errorf("read changed rows of %s: %w", m.Table, err)
	}
	defer rows.Close()
	var out []dbRow
	nk := len(m.Key)
	seen := make(map[string]bool, len(keys))
	for rows.Next() {
		raw := rows.RawValues()
		gone := len(raw[0]) == 1 && raw[0][0] == 1 // binary bool
		if rows.FieldDescriptions()[0].Format == pgx.TextFormatCode {
			gone = string(raw[0]) == "t"
		}
		r := dbRow{Key: encodeKey(rawValues(raw[1 : 1+nk]))}
		if seen[r.Key] {
			return nil, m.duplicateKey(r.Key)
		}
		seen[r.Key] = true
		if !gone {
			r.Values = rawValues(raw[1+nk:])
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read changed rows of %s: %w", m.Table, err)
	}
	return out, nil
}

// readAll streams every row of the mirror's table (or query) in key order
// and calls fn for each.
func (m *mirror) readAll(ctx context.Context, q catalog.Querier, fn func(dbRow) error) error {
	var sql string
	if m.IsQuery() {
		sql = fmt.Sprintf("SELECT %s FROM (%s) q ORDER BY %s", m.selectList("q"), m.Query, m.orderList("q"))
	} else {
		sql = fmt.Sprintf("SELECT %s FROM %s t ORDER BY %s", m.selectList("t"), m.Table, m.orderList("t"))
	}
	rows, err := q.Query(ctx, sql)
	if err != nil {
		return fmt.Errorf("read %s: %w", m.source(), err)
	}
	defer rows.Close()
	prev, first := "", true
	for rows.Next() {
		vals := rawValues(rows.RawValues())
		r := dbRow{Key: m.keyOf(vals), Values: vals}
		if r.Key == prev && !first {
			return m.duplicateKey(r.Key) // rows come in key order
		}
		prev, first = r.Key, false
		if err := fn(r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read %s: %w", m.source(), err)
	}
	return nil
}

// ErrDuplicateKey is returned when two rows of a mirror's table or query
// share its key: syncd cannot tell which one a tab row is, so it writes
// neither rather than overwrite one with the other.
var ErrDuplicateKey = errors.New("key is not unique")

// duplicateKey is the error for key in m's rows.
func (m *mirror) duplicateKey(key string) error {
	return fmt.Errorf("mirror %s: %w in %s: %s %s has more than one row (make it unique or choose another key)",
		m.Name, ErrDuplicateKey, m.source(), strings.Join(m.keyNames(), ", "), m.keyLabel(key))
}

// keyNames returns the key columns' names.
func (m *mirror) keyNames() []string {
	out := make([]string, len(m.Key))
	for i, k := range m.Key {
		out[i] = m.Columns[k].Name
	}
	return out
}

// source names what the mirror reads, for messages.
func (m *mirror) source() string {
	if m.IsQuery() {
		return "query of mirror " + m.Name
	}
	return m.Table
}

// rawValues converts text-typed raw column values (text and binary format
// are the same bytes for text) into Values; nil is NULL.
func rawValues(raw [][]byte) []syncd.Value {
	out := make([]syncd.Value, len(raw))
	for i, b := range raw {
		if b != nil {
			out[i] = syncd.Value{Text: string(b), Valid: true}
		}
	}
	return out
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
