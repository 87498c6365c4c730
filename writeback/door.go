package writeback

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// Door runs syncd's statements on the application's tables inside one
// transaction. It is not safe for concurrent use (neither is a pgx.Tx).
type Door struct {
	tx pgx.Tx
	// types caches catalog.AssignTypes per table for the transaction.
	types map[string]map[string]string
	// xids are the subtransaction ids of the statements that changed a
	// table (see DropOwnChanges).
	xids map[string][]string
}

// New returns the door of transaction tx.
func New(tx pgx.Tx) *Door {
	return &Door{tx: tx, types: map[string]map[string]string{}, xids: map[string][]string{}}
}

// RefusedError is a statement Postgres refused (a value too long, a check
// or foreign key violated, an unknown enum label, an application trigger's
// exception): the savepoint was rolled back and the transaction goes on.
type RefusedError struct {
	// Table is the mirror's qualified table; Column the column the value
	// was meant for, when one statement sets one column or Postgres names
	// it ("" otherwise).
	Table, Column string
	// Err is Postgres' error (*pgconn.PgError).
	Err error
}

func (e *RefusedError) Error() string {
	name := e.Table
	if e.Column != "" {
		name += "." + e.Column
	}
	msg := e.Err.Error()
	var pg *pgconn.PgError
	if errors.As(e.Err, &pg) {
		msg = pg.Message
		if pg.Detail != "" {
			msg += " (" + pg.Detail + ")"
		}
	}
	return name + ": " + msg
}

func (e *RefusedError) Unwrap() error { return e.Err }

// Update sets the columns in set (index in m.Columns → value) of the row
// that still holds seen (every mirrored column, in m.Columns order, as
// syncd last showed it). It returns the row as Postgres stored it, or nil
// when no row holds seen any more (changed or deleted meanwhile: nothing
// was written).
func (d *Door) Update(ctx context.Context, m *syncd.Mirror, seen []syncd.Value, set map[int]syncd.Value) ([]syncd.Value, error) {
	types, err := d.typesOf(ctx, m)
	if err != nil {
		return nil, err
	}
	var sets []string
	var args []any
	column := ""
	for c, col := range m.Columns {
		v, ok := set[c]
		if !ok {
			continue
		}
		args = append(args, nullable(v))
		sets = append(sets, fmt.Sprintf("%s = $%d::%s", catalog.QuoteIdent(col.Name), len(args), types[col.Name]))
		column = col.Name
	}
	if len(sets) == 0 {
		return nil, errors.New("update: no column to set")
	}
	if len(sets) > 1 {
		column = ""
	}
	where, args := guard(m, types, seen, args)
	sql := fmt.Sprintf("UPDATE %s AS t SET %s WHERE %s RETURNING %s, t.xmin::text",
		m.Table, strings.Join(sets, ", "), where, selectList(m))
	rows, err := d.once(ctx, "update", m.Table, column, sql, args)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

// Insert inserts one row: the columns in set (index in m.Columns →
// value); the others take their defaults (identity, serial, default
// expressions). It returns the row as Postgres stored it.
func (d *Door) Insert(ctx context.Context, m *syncd.Mirror, set map[int]syncd.Value) ([]syncd.Value, error) {
	types, err := d.typesOf(ctx, m)
	if err != nil {
		return nil, err
	}
	var names, params []string
	var args []any
	for c, col := range m.Columns {
		v, ok := set[c]
		if !ok {
			continue
		}
		args = append(args, nullable(v))
		names = append(names, catalog.QuoteIdent(col.Name))
		params = append(params, fmt.Sprintf("$%d::%s", len(args), types[col.Name]))
	}
	sql := fmt.Sprintf("INSERT INTO %s AS t DEFAULT VALUES RETURNING %s, t.xmin::text", m.Table, selectList(m))
	if len(names) > 0 {
		sql = fmt.Sprintf("INSERT INTO %s AS t (%s) VALUES (%s) RETURNING %s, t.xmin::text", m.Table,
			strings.Join(names, ", "), strings.Join(params, ", "), selectList(m))
	}
	column := ""
	if len(names) == 1 {
		column = m.Columns[firstKey(set)].Name
	}
	rows, err := d.once(ctx, "insert into", m.Table, column, sql, args)
	if err != nil {
		return nil, err
	}
	if len(rows) != 1 {
		// A BEFORE trigger of the application skipped the row: refused.
		return nil, &RefusedError{Table: m.Table, Column: column, Err: fmt.Errorf("the insert stored %d rows (a trigger skipped it?)", len(rows))}
	}
	return rows[0], nil
}

// Delete deletes the row that still holds seen (every mirrored column, in
// m.Columns order, as syncd last showed it); false when no row does.
func (d *Door) Delete(ctx context.Context, m *syncd.Mirror, seen []syncd.Value) (bool, error) {
	types, err := d.typesOf(ctx, m)
	if err != nil {
		return false, err
	}
	where, args := guard(m, types, seen, nil)
	// The deleted row's xmax is the id of the subtransaction that deleted
	// it (RETURNING reads the row back after the deletion), the id its
	// capture trigger's outbox entries carry.
	sql := fmt.Sprintf("DELETE FROM %s AS t WHERE %s RETURNING t.xmax::text", m.Table, where)
	rows, err := d.once(ctx, "delete from", m.Table, "", sql, args)
	return len(rows) > 0, err
}

// Fetch reads the current row with the given key values (m.Key order);
// nil when there is none. It writes nothing.
func (d *Door) Fetch(ctx context.Context, m *syncd.Mirror, key []syncd.Value) ([]syncd.Value, error) {
	types, err := d.typesOf(ctx, m)
	if err != nil {
		return nil, err
	}
	var conds []string
	var args []any
	for j, k := range m.Key {
		col := m.Columns[k]
		args = append(args, key[j].Text)
		conds = append(conds, fmt.Sprintf("t.%s = $%d::%s", catalog.QuoteIdent(col.Name), len(args), types[col.Name]))
		if !key[j].Valid {
			conds[len(conds)-1] = fmt.Sprintf("t.%s IS NULL", catalog.QuoteIdent(col.Name))
			args = args[:len(args)-1]
		}
	}
	rows, err := d.tx.Query(ctx, fmt.Sprintf("SELECT %s FROM %s AS t WHERE %s", selectList(m), m.Table, strings.Join(conds, " AND ")), args...)
	if err != nil {
		return nil, fmt.Errorf("read a row of %s: %w", m.Table, err)
	}
	defer rows.Close()
	var out []syncd.Value
	for rows.Next() {
		out = values(rows.RawValues())
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read a row of %s: %w", m.Table, err)
	}
	return out, nil
}

// DropOwnChanges removes the outbox entries that this door's statements on
// table produced (and nobody else's): the caller knows the tab already
// shows their result, so a settled sheet costs no write.
func (d *Door) DropOwnChanges(ctx context.Context, table string) error {
	return store.DeleteOwnChanges(ctx, d.tx, table, d.xids[table])
}

// once runs one statement (op on table, for messages) in its own savepoint
// and returns its rows, each without its last column, the subtransaction
// id it is noted under.
func (d *Door) once(ctx context.Context, op, table, column, sql string, args []any) ([][]syncd.Value, error) {
	if _, err := d.tx.Exec(ctx, "SAVEPOINT syncd_door"); err != nil {
		return nil, fmt.Errorf("savepoint: %w", err)
	}
	out, err := collect(ctx, d.tx, sql, args)
	if err != nil {
		if _, rerr := d.tx.Exec(ctx, "ROLLBACK TO SAVEPOINT syncd_door"); rerr != nil {
			return nil, fmt.Errorf("rollback to savepoint after %v: %w", err, rerr)
		}
		if _, rerr := d.tx.Exec(ctx, "RELEASE SAVEPOINT syncd_door"); rerr != nil {
			return nil, fmt.Errorf("release savepoint: %w", rerr)
		}
		if refused(err) {
			return nil, &RefusedError{Table: table, Column: columnOf(err, column), Err: err}
		}
		return nil, fmt.Errorf("%s %s: %w", op, table, err)
	}
	if _, err := d.tx.Exec(ctx, "RELEASE SAVEPOINT syncd_door"); err != nil {
		return nil, fmt.Errorf("release savepoint: %w", err)
	}
	for i, r := range out {
		if xid := r[len(r)-1]; xid.Valid {
			d.xids[table] = append(d.xids[table], xid.Text)
		}
		out[i] = r[:len(r)-1]
	}
	return out, nil
}

func collect(ctx context.Context, tx pgx.Tx, sql string, args []any) ([][]syncd.Value, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]syncd.Value
	for rows.Next() {
		out = append(out, values(rows.RawValues()))
	}
	return out, rows.Err()
}

// refused reports whether err is Postgres refusing the statement, as
// opposed to the session failing (connection lost, serialization failure,
// deadlock, cancel, shutdown): those fail the pass, which is retried.
func refused(err error) bool {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) || len(pg.Code) < 2 {
		return false
	}
	switch pg.Code[:2] {
	case "08", "40", "53", "55", "57", "58", "XX":
		return false
	}
	return true
}

// columnOf names the column a refusal concerns: Postgres' own when it
// names one (a NOT NULL violation), else the statement's single column.
func columnOf(err error, column string) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.ColumnName != "" {
		return pg.ColumnName
	}
	return column
}

// typesOf returns the assignment types of m's table, read once per door.
func (d *Door) typesOf(ctx context.Context, m *syncd.Mirror) (map[string]string, error) {
	if t, ok := d.types[m.Table]; ok {
		return t, nil
	}
	if m.IsQuery() {
		return nil, fmt.Errorf("mirror %s mirrors a query: nothing is written back", m.Name)
	}
	t, err := catalog.AssignTypes(ctx, d.tx, m.Table)
	if err != nil {
		return nil, err
	}
	for _, col := range m.Columns {
		if _, ok := t[col.Name]; !ok {
			return nil, fmt.Errorf("%s has no column %s any more", m.Table, col.Name)
		}
	}
	d.types[m.Table] = t
	return t, nil
}

// guard renders the compare-and-set condition: each key column equal to
// the key seen (so the key's index finds the row), and every mirrored
// column's text not distinct from what was seen. Parameters are numbered
// after args.
func guard(m *syncd.Mirror, types map[string]string, seen []syncd.Value, args []any) (string, []any) {
	var conds []string
	for _, k := range m.Key {
		col := m.Columns[k]
		if !seen[k].Valid {
			continue // IS NOT DISTINCT FROM below matches NULL
		}
		args = append(args, seen[k].Text)
		conds = append(conds, fmt.Sprintf("t.%s = $%d::%s", catalog.QuoteIdent(col.Name), len(args), types[col.Name]))
	}
	for c, col := range m.Columns {
		args = append(args, nullable(seen[c]))
		conds = append(conds, fmt.Sprintf("t.%s::text IS NOT DISTINCT FROM $%d::text", catalog.QuoteIdent(col.Name), len(args)))
	}
	return strings.Join(conds, " AND "), args
}

// selectList returns "t.c1::text, t.c2::text, ..." for m's columns.
func selectList(m *syncd.Mirror) string {
	parts := make([]string, len(m.Columns))
	for i, c := range m.Columns {
		parts[i] = "t." + catalog.QuoteIdent(c.Name) + "::text"
	}
	return strings.Join(parts, ", ")
}

func values(raw [][]byte) []syncd.Value {
	out := make([]syncd.Value, len(raw))
	for i, b := range raw {
		if b != nil {
			out[i] = syncd.Value{Text: string(b), Valid: true}
		}
	}
	return out
}

func nullable(v syncd.Value) any {
	if !v.Valid {
		return nil
	}
	return v.Text
}

func firstKey(set map[int]syncd.Value) int {
	for c := range set {
		return c
	}
	return -1
}
