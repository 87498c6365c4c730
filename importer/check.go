package importer

import (
	"context"
	"fmt"
	"strings"

	"github.com/syncd/syncd/catalog"
)

// violation is one row breaking a CHECK constraint.
type violation struct {
	column  *ColumnPlan
	message string
}

// checkConstraints evaluates the table's validated CHECK constraints on
// rows (by index) with a read-only query: each row is cast into the
// table's row type exactly as execute stages it, and a constraint that is
// false is a violation. Columns the plan does not import are NULL there,
// which makes constraints on them unknown, not false: execute leaves those
// columns to their defaults, and Postgres still has the last word.
func checkConstraints(ctx context.Context, q catalog.Querier, t *TablePlan, rows []Row) (map[int]violation, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	cons, err := q.Query(ctx, `
		SELECT conname::text, pg_get_constraintdef(oid)
		FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c' AND convalidated
		ORDER BY conname`, t.info.Name)
	if err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	type check struct{ name, def, expr string }
	var checks []check
	for cons.Next() {
		var c check
		if err := cons.Scan(&c.name, &c.def); err != nil {
			cons.Close()
			return nil, fmt.Errorf("read constraints: %w", err)
		}
		expr, ok := strings.CutPrefix(c.def, "CHECK ")
		if !ok || strings.HasSuffix(expr, "NOT VALID") || strings.Contains(expr, "syncd_import_") {
			continue
		}
		c.expr = expr
		checks = append(checks, c)
	}
	cons.Close()
	if err := cons.Err(); err != nil {
		return nil, fmt.Errorf("read constraints: %w", err)
	}
	if len(checks) == 0 {
		return nil, nil
	}
	data, err := rowsJSON(&TableResult{Plan: t, Valid: rows})
	if err != nil {
		return nil, fmt.Errorf("encode rows: %w", err)
	}
	out := map[int]violation{}
	for _, c := range checks {
		// The row's columns are in scope unqualified, as in the constraint.
		res, err := q.Query(ctx, fmt.Sprintf(`
			SELECT syncd_import_e.syncd_import_ord::int
			FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS syncd_import_e(syncd_import_v, syncd_import_ord),
			     LATERAL jsonb_populate_record(NULL::%s, syncd_import_e.syncd_import_v) AS syncd_import_r
			WHERE NOT %s`, t.info.Name, c.expr), data)
		if err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", c.name, err)
		}
		for res.Next() {
			var ord int
			if err := res.Scan(&ord); err != nil {
				res.Close()
				return nil, fmt.Errorf("evaluate %s: %w", c.name, err)
			}
			if _, seen := out[ord-1]; !seen {
				out[ord-1] = violation{column: constraintColumn(t, c.expr),
					message: fmt.Sprintf("breaks check constraint %s: %s", c.name, c.def)}
			}
		}
		res.Close()
		if err := res.Err(); err != nil {
			return nil, fmt.Errorf("evaluate %s: %w", c.name, err)
		}
	}
	return out, nil
}

// constraintColumn picks the first imported column the constraint names,
// for the report's column (the first column when it names none).
func constraintColumn(t *TablePlan, expr string) *ColumnPlan {
	for _, c := range t.Columns {
		if strings.Contains(expr, c.Column) {
			return c
		}
	}
	return t.Columns[0]
}
