package conflicts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/rowkey"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/writeback"
)

// errChangedSinceShown refuses a resolution whose row Postgres changed (or
// deleted) after syncd last showed it: what the person chose was decided
// on a row that no longer exists as they saw it.
var errChangedSinceShown = errors.New("the row changed in Postgres since syncd showed it (or is gone); nothing was applied")

// useSheet applies a conflict's sheet value to its mirror's table through
// the guarded door, like every other path: values decoded by the codec,
// each statement compare-and-set against the row as syncd last showed it
// (its key and its bases in syncd.row_state).
func (r *Resolver) useSheet(ctx context.Context, tx pgx.Tx, c store.OpenConflict) error {
	m := r.Mirror(c.Mirror)
	if m == nil || m.IsQuery() {
		return fmt.Errorf("mirror %q is not a table mirror of this config; only keep database applies", c.Mirror)
	}
	door := writeback.New(tx)
	switch {
	case c.Reason == store.ReasonHeldBack || c.Reason == store.ReasonRowDeleted || c.Reason == store.ReasonDeleteUnclear:
		// The sheet's value is "no row": delete it, if it is still the
		// row syncd restored.
		seen, err := shownRow(ctx, tx, m, c.Key)
		if err != nil {
			return err
		}
		deleted, err := door.Delete(ctx, m, seen)
		if err == nil && !deleted {
			err = errChangedSinceShown
		}
		return err
	case c.Column != "":
		col := columnIndex(m, c.Column)
		if col < 0 || c.Key == nil {
			return fmt.Errorf("%s is not a column of mirror %s", c.Column, m.Name)
		}
		v, err := r.decodeText(ctx, m, col, c.SheetValue)
		if err != nil {
			return err
		}
		seen, err := shownRow(ctx, tx, m, c.Key)
		if err != nil {
			return err
		}
		stored, err := door.Update(ctx, m, seen, map[int]syncd.Value{col: v})
		if err == nil && stored == nil {
			err = errChangedSinceShown
		}
		return err
	case c.SheetValue != nil:
		// A whole row as people typed it ({"column": "text"}): insert the
		// columns it names, the rest take their defaults.
		var row map[string]string
		if err := json.Unmarshal([]byte(*c.SheetValue), &row); err != nil || len(row) == 0 {
			return errors.New("the sheet value is not a row syncd can insert")
		}
		set := map[int]syncd.Value{}
		for i, col := range m.Columns {
			if text, ok := row[col.Name]; ok {
				v, err := r.decodeText(ctx, m, i, &text)
				if err != nil {
					return err
				}
				set[i] = v
			}
		}
		values, err := door.Insert(ctx, m, set)
		if err != nil || c.Key != nil {
			return err
		}
		// A keyless row typed into the tab stays there: recorded like a
		// pass's insert, so the next pass writes its key back into it
		// instead of inserting it again (syncer/sheetinserts.go). The change
		// stream must not append it meanwhile as a second row.
		if err := store.RecordInsert(ctx, tx, m.Name, rowkey.Fingerprint(*c.SheetValue), keyOf(m, values)); err != nil {
			return err
		}
		if r.SoleFollower(m) {
			return door.DropOwnChanges(ctx, m.Table)
		}
		return nil
	}
	return errors.New("nothing to apply from the sheet")
}

// shownRow is the row as syncd last showed it: the conflict's key and the
// row's bases (every non-key column; syncd.row_state).
func shownRow(ctx context.Context, tx pgx.Tx, m *syncd.Mirror, key map[string]*string) ([]syncd.Value, error) {
	if key == nil {
		return nil, errors.New("the conflict names no row")
	}
	parts := make([]syncd.Value, len(m.Key))
	for j, k := range m.Key {
		v, ok := key[m.Columns[k].Name]
		if !ok {
			return nil, fmt.Errorf("the conflict's key lacks %s", m.Columns[k].Name)
		}
		if v != nil {
			parts[j] = syncd.Text(*v)
		}
	}
	rowKey := rowkey.Encode(parts)
	states, err := store.ReadRowStates(ctx, tx, m.Name, []string{rowKey})
	if err != nil {
		return nil, err
	}
	b := states[rowKey]
	seen := make([]syncd.Value, len(m.Columns))
	for j, k := range m.Key {
		seen[k] = parts[j]
	}
	for c, col := range m.Columns {
		if isKeyCol(m, c) {
			continue
		}
		v, known := b.Value(col.Name)
		if !known {
			return nil, fmt.Errorf("syncd has no record of what it showed in %s of key %s, so it cannot tell whether the row changed since; nothing was applied",
				col.Name, rowkey.Label(rowKey, len(m.Key)))
		}
		seen[c] = v
	}
	return seen, nil
}

// decodeText decodes a conflict's sheet text for column c through the
// codec, as the cell it was read from: conflicts keep cells as text
// (syncd.Cell.Text), so a number, date serial or boolean is a number or boolean
// cell again before the codec reads it.
func (r *Resolver) decodeText(ctx context.Context, m *syncd.Mirror, c int, text *string) (syncd.Value, error) {
	col := m.Columns[c]
	var loc *time.Location = time.UTC
	if col.Kind == syncd.KindTimestamp || col.Kind == syncd.KindTimestampTZ {
		tz, err := r.TimeZone(ctx, m)
		if err != nil {
			return syncd.Null, err
		}
		loc = tz
	}
	v, err := r.Codec.Decode(col, cellFromText(col, text), loc)
	if err != nil {
		return syncd.Null, fmt.Errorf("%s.%s: %w", m.Table, col.Name, err)
	}
	return v, nil
}

// cellFromText is the inverse of syncd.Cell.Text for a column of col's kind.
func cellFromText(col syncd.Column, text *string) syncd.Cell {
	if text == nil || *text == "" {
		return syncd.Cell{}
	}
	switch col.Kind {
	case syncd.KindText, syncd.KindJSON, syncd.KindOther:
		return syncd.StringCell(*text)
	case syncd.KindBool:
		switch *text {
		case "TRUE":
			return syncd.BoolCell(true)
		case "FALSE":
			return syncd.BoolCell(false)
		}
	}
	if f, err := strconv.ParseFloat(*text, 64); err == nil {
		return syncd.NumberCell(f)
	}
	return syncd.StringCell(*text)
}

// columnIndex returns the index of m's named column, -1 when absent.
func columnIndex(m *syncd.Mirror, name string) int {
	for i, c := range m.Columns {
		if c.Name == name {
			return i
		}
	}
	return -1
}

// isKeyCol reports whether column c is one of m's key columns.
func isKeyCol(m *syncd.Mirror, c int) bool {
	for _, k := range m.Key {
		if k == c {
			return true
		}
	}
	return false
}

// keyOf returns the row key (rowkey.Encode) of a row of m's values.
func keyOf(m *syncd.Mirror, values []syncd.Value) string {
	parts := make([]syncd.Value, len(m.Key))
	for i, k := range m.Key {
		parts[i] = values[k]
	}
	return rowkey.Encode(parts)
}
