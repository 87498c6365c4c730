package syncer

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// base is what syncd last wrote to a row's editable cells: the base of the
// three-way merge (sheet vs base vs database). A missing column means
// unknown.
type base map[string]*string

func (b base) value(col string) (syncd.Value, bool) {
	p, ok := b[col]
	if !ok {
		return syncd.Null, false
	}
	if p == nil {
		return syncd.Null, true
	}
	return syncd.Text(*p), true
}

// baseFrom records the editable columns of values as a base.
func (m *mirror) baseFrom(values []syncd.Value) base {
	b := base{}
	for _, e := range m.Editable {
		if values[e].Valid {
			s := values[e].Text
			b[m.Columns[e].Name] = &s
		} else {
			b[m.Columns[e].Name] = nil
		}
	}
	return b
}

// readBases reads the row_state of the given keys (all keys when keys is
// nil) of a mirror with editable columns.
func (m *mirror) readBases(ctx context.Context, q catalog.Querier, keys []string) (map[string]base, error) {
	out := map[string]base{}
	if len(m.Editable) == 0 {
		return out, nil
	}
	var rows pgx.Rows
	var err error
	if keys == nil {
		rows, err = q.Query(ctx, "SELECT row_key, cells FROM syncd.row_state WHERE mirror = $1", m.Name)
	} else {
		rows, err = q.Query(ctx, "SELECT row_key, cells FROM syncd.row_state WHERE mirror = $1 AND row_key = ANY($2)", m.Name, keys)
	}
	if err != nil {
		return nil, fmt.Errorf("read row state of %s: %w", m.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var raw []byte
		if err := rows.Scan(&key, &raw); err != nil {
			return nil, fmt.Errorf("read row state of %s: %w", m.Name, err)
		}
		b := base{}
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, fmt.Errorf("read row state of %s key %q: %w", m.Name, key, err)
		}
		out[key] = b
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row state of %s: %w", m.Name, err)
	}
	return out, nil
}

// stateUpdate is a change to a mirror's row_state.
type stateUpdate struct {
	key  string
	base base // nil deletes the row's state
}

// writeStates applies row_state updates in tx.
func writeStates(ctx context.Context, tx pgx.Tx, mirror string, ups []stateUpdate) error {
	if len(ups) == 0 {
		return nil
	}
	var delKeys, setKeys []string
	var setCells [][]byte
	for _, u := range ups {
		if u.base == nil {
			delKeys = append(delKeys, u.key)
			continue
		}
		raw, err := json.Marshal(u.base)
		if err != nil {
			return fmt.Errorf("encode row state: %w", err)
		}
		setKeys = append(setKeys, u.key)
		setCells = append(setCells, raw)
	}
	if len(delKeys) > 0 {
		if _, err := tx.Exec(ctx, "DELETE FROM syncd.row_state WHERE mirror = $1 AND row_key = ANY($2)", mirror, delKeys); err != nil {
			return fmt.Errorf("delete row state of %s: %w", mirror, err)
		}
	}
	if len(setKeys) > 0 {
		texts := make([]string, len(setCells))
		for i, c := range setCells {
			texts[i] = string(c)
		}
		_, err := tx.Exec(ctx, `INSERT INTO syncd.row_state (mirror, row_key, cells)
			SELECT $1, k, c::jsonb FROM unnest($2::text[], $3::text[]) AS u(k, c)
			ON CONFLICT (mirror, row_key) DO UPDATE SET cells = syncd.row_state.cells || EXCLUDED.cells`,
			mirror, setKeys, texts)
		if err != nil {
			return fmt.Errorf("write row state of %s: %w", mirror, err)
		}
	}
	return nil
}

// Conflict is a sheet value syncd did not apply to Postgres: both sides
// changed, a non-editable cell was edited, a row exists only in the sheet,
// or the value does not parse. It is kept in syncd.conflicts.
type Conflict struct {
	Mirror     string
	Key        map[string]string // key column → text; nil for a row without a key
	Column     string            // empty for a whole row
	SheetValue string
	DBValue    *string
	Reason     string // both_changed, not_editable, sheet_only_row, duplicate_row, bad_value
	Message    string
}

// keyMap returns the key column names and their texts for a canonical key.
func (m *mirror) keyMap(key string) map[string]string {
	parts := strings.Split(key, keySep)
	out := make(map[string]string, len(m.Key))
	for i, k := range m.Key {
		if i < len(parts) {
			out[m.Columns[k].Name] = parts[i]
		}
	}
	return out
}

// writeConflicts records conflicts in tx, skipping any identical to one
// still open (a pass that is retried must not pile up duplicates).
func writeConflicts(ctx context.Context, tx pgx.Tx, cs []Conflict) error {
	for _, c := range cs {
		var key []byte
		if c.Key != nil {
			key, _ = json.Marshal(c.Key)
		}
		_, err := tx.Exec(ctx, `INSERT INTO syncd.conflicts (mirror, row_key, column_name, sheet_value, db_value, reason, message)
			SELECT $1, $2::jsonb, nullif($3, ''), $4, $5, $6, $7
			WHERE NOT EXISTS (SELECT 1 FROM syncd.conflicts
				WHERE mirror = $1 AND row_key IS NOT DISTINCT FROM $2::jsonb AND column_name IS NOT DISTINCT FROM nullif($3, '')
				  AND sheet_value IS NOT DISTINCT FROM $4 AND resolved_at IS NULL)`,
			c.Mirror, nullJSON(key), c.Column, c.SheetValue, c.DBValue, c.Reason, c.Message)
		if err != nil {
			return fmt.Errorf("record conflict of %s: %w", c.Mirror, err)
		}
	}
	return nil
}

func nullJSON(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

// cellText renders a cell for people (conflicts, dry-run output).
func cellText(c syncd.Cell) string {
	switch c.Type {
	case syncd.CellString, syncd.CellError:
		return c.String
	case syncd.CellNumber:
		return strconv.FormatFloat(c.Number, 'f', -1, 64)
	case syncd.CellBool:
		if c.Bool {
			return "TRUE"
		}
		return "FALSE"
	}
	return ""
}

// rowText renders a row's cells as a JSON object keyed by column name.
func (m *mirror) rowText(cells []syncd.Cell) string {
	obj := map[string]string{}
	for i, c := range m.Columns {
		if i < len(cells) && cells[i].Type != syncd.CellEmpty {
			obj[c.Name] = cellText(cells[i])
		}
	}
	raw, _ := json.Marshal(obj)
	return string(raw)
}
