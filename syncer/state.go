package syncer

import (
	"context"
	"encoding/json"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// base is what syncd last wrote to a row's editable cells: the base of the
// three-way merge (sheet vs base vs database). A missing column means
// unknown.
type base = store.RowState

// baseFrom records the editable columns of values as a base, and the
// other non-key columns: what syncd wrote there tells a person's edit of a
// non-editable cell from a stale one (typedover.go).
func (m *mirror) baseFrom(values []syncd.Value) base {
	b := base{}
	for _, e := range append(append([]int(nil), m.Editable...), m.nonEditable()...) {
		if values[e].Valid {
			s := values[e].Text
			b[m.Columns[e].Name] = &s
		} else {
			b[m.Columns[e].Name] = nil
		}
	}
	return b
}

// readBases reads the stored bases of the given keys (all keys when keys
// is nil) of a mirror that keeps them (keepsState).
func (m *mirror) readBases(ctx context.Context, q catalog.Querier, keys []string) (map[string]base, error) {
	if !m.keepsState() {
		return map[string]base{}, nil
	}
	states, err := store.ReadRowStates(ctx, q, m.Name, keys)
	if err != nil {
		return nil, err
	}
	return states, nil
}

// stateUpdate is a change to a mirror's stored bases (Cells nil deletes the
// row's base).
type stateUpdate = store.StateUpdate

// Conflict is a sheet value syncd did not apply to Postgres: both sides
// changed, a non-editable cell was edited, a row exists only in the sheet,
// or the value does not parse. It is kept in syncd.conflicts.
type Conflict = store.Conflict

// cellText renders a cell for people (conflicts, dry-run output).
func cellText(c syncd.Cell) string { return c.Text() }

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

// writeStates stores a mirror's base updates, or nothing for a mirror
// that keeps none (keepsState).
func (m *mirror) writeStates(ctx context.Context, q catalog.Querier, states []stateUpdate) error {
	if !m.keepsState() {
		return nil
	}
	return store.WriteRowStates(ctx, q, m.Name, states)
}
