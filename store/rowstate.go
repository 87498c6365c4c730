package store

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// RowState is what syncd last wrote to a row's editable cells (column name
// → text, nil for NULL): the base of the three-way merge. A column missing
// from it is unknown.
type RowState map[string]*string

// Value returns the base of column col and whether one is known.
func (st RowState) Value(col string) (syncd.Value, bool) {
	p, ok := st[col]
	if !ok {
		return syncd.Null, false
	}
	if p == nil {
		return syncd.Null, true
	}
	return syncd.Text(*p), true
}

// StateUpdate is a change to one row's stored state.
type StateUpdate struct {
	Key string
	// Cells are merged into the stored state (columns not named keep
	// theirs); nil deletes the row's state.
	Cells RowState
}

// ReadRowStates returns the stored state of a mirror's rows by key: of the
// given keys, or of every row when keys is nil.
func ReadRowStates(ctx context.Context, q catalog.Querier, mirror string, keys []string) (map[string]RowState, error) {
	sql, args := "SELECT row_key, cells FROM syncd.row_state WHERE mirror = $1", []any{mirror}
	if keys != nil {
		sql, args = sql+" AND row_key = ANY($2)", append(args, keys)
	}
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("read row state of %s: %w", mirror, err)
	}
	defer rows.Close()
	out := map[string]RowState{}
	for rows.Next() {
		var key string
		var raw []byte
		if err := rows.Scan(&key, &raw); err != nil {
			return nil, fmt.Errorf("read row state of %s: %w", mirror, err)
		}
		st := RowState{}
		if err := json.Unmarshal(raw, &st); err != nil {
			return nil, fmt.Errorf("read row state of %s key %q: %w", mirror, key, err)
		}
		out[key] = st
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read row state of %s: %w", mirror, err)
	}
	return out, nil
}

// WriteRowStates applies a mirror's state updates in order (one DELETE, one
// upsert). Any number of updates may name the same key (a row with several
// edited cells): they are folded into one per key first, because one upsert
// statement may not touch a row twice.
func WriteRowStates(ctx context.Context, q catalog.Querier, mirror string, ups []StateUpdate) error {
	if len(ups) == 0 {
		return nil
	}
	var delKeys, setKeys, setCells []string
	for _, u := range foldStates(ups) {
		if u.del {
			delKeys = append(delKeys, u.key)
		}
		if u.cells == nil {
			continue
		}
		raw, err := json.Marshal(u.cells)
		if err != nil {
			return fmt.Errorf("encode row state: %w", err)
		}
		setKeys = append(setKeys, u.key)
		setCells = append(setCells, string(raw))
	}
	if len(delKeys) > 0 {
		if _, err := q.Exec(ctx, "DELETE FROM syncd.row_state WHERE mirror = $1 AND row_key = ANY($2)", mirror, delKeys); err != nil {
			return fmt.Errorf("delete row state of %s: %w", mirror, err)
		}
	}
	if len(setKeys) > 0 {
		_, err := q.Exec(ctx, `INSERT INTO syncd.row_state (mirror, row_key, cells)
			SELECT $1, k, c::jsonb FROM unnest($2::text[], $3::text[]) AS u(k, c)
			ON CONFLICT (mirror, row_key) DO UPDATE SET cells = syncd.row_state.cells || EXCLUDED.cells`,
			mirror, setKeys, setCells)
		if err != nil {
			return fmt.Errorf("write row state of %s: %w", mirror, err)
		}
	}
	return nil
}

// foldedState is the net effect of a key's updates: delete the stored state
// first (del), then merge cells into it (nil: nothing to merge).
type foldedState struct {
	key   string
	del   bool
	cells RowState
}

// foldStates folds updates into one per key, in the order keys first
// appear.
func foldStates(ups []StateUpdate) []foldedState {
	at := make(map[string]int, len(ups))
	var out []foldedState
	for _, u := range ups {
		i, ok := at[u.Key]
		if !ok {
			i = len(out)
			at[u.Key] = i
			out = append(out, foldedState{key: u.Key})
		}
		f := &out[i]
		if u.Cells == nil {
			f.del, f.cells = true, nil
			continue
		}
		if f.cells == nil {
			f.cells = RowState{}
		}
		for k, v := range u.Cells {
			f.cells[k] = v
		}
	}
	return out
}
