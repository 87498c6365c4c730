package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// UniqueIndexOn returns the name of a unique index of table that
// guarantees no two rows share the values of cols: valid, not partial, on
// plain columns only, all of them among cols and all NOT NULL (a unique
// index lets rows repeat NULLs, and syncd's key treats NULLs as equal).
// "" when there is none. The primary key counts.
func UniqueIndexOn(ctx context.Context, q Querier, table string, cols []string) (string, error) {
	var name *string
	err := q.QueryRow(ctx, `
		SELECT min(i.indexrelid::regclass::text)
		FROM pg_index i
		WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indisvalid
		  AND i.indpred IS NULL AND i.indexprs IS NULL
		  AND NOT EXISTS (
		      SELECT 1 FROM unnest(i.indkey[0:i.indnkeyatts - 1]) AS k(attnum)
		      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		      WHERE NOT (a.attname = ANY($2::text[]) AND a.attnotnull))`, table, cols).Scan(&name)
	if err != nil {
		return "", fmt.Errorf("read unique indexes of %s: %w", table, err)
	}
	if name == nil {
		return "", nil
	}
	return *name, nil
}

// Duplicate is a key shared by more than one row.
type Duplicate struct {
	// Values are the key columns' texts (nil for NULL), in cols order.
	Values []*string
	// Rows is how many rows share them.
	Rows int64
}

// String renders the duplicate for people: k "a" or (a, b) = ("x", NULL).
func (d Duplicate) String(cols []string) string {
	vals := make([]string, len(d.Values))
	for i, v := range d.Values {
		if v == nil {
			vals[i] = "NULL"
		} else {
			vals[i] = fmt.Sprintf("%q", *v)
		}
	}
	if len(cols) == 1 {
		return cols[0] + " " + vals[0]
	}
	return "(" + strings.Join(cols, ", ") + ") = (" + strings.Join(vals, ", ") + ")"
}

// FindDuplicate returns one key of table shared by several rows (the
// columns compared as text, NULLs equal, as syncd's row keys compare
// them), and false when every row's key is its own. It reads the whole
// table.
func FindDuplicate(ctx context.Context, q Querier, table string, cols []string) (Duplicate, bool, error) {
	texts := make([]string, len(cols))
	for i, c := range cols {
		texts[i] = QuoteIdent(c) + "::text"
	}
	list := strings.Join(texts, ", ")
	var d Duplicate
	err := q.QueryRow(ctx, "SELECT ARRAY["+list+"], count(*) FROM "+table+" GROUP BY "+list+
		" HAVING count(*) > 1 ORDER BY count(*) DESC, 1 LIMIT 1").Scan(&d.Values, &d.Rows)
	if errors.Is(err, pgx.ErrNoRows) {
		return Duplicate{}, false, nil
	}
	if err != nil {
		return Duplicate{}, false, fmt.Errorf("look for duplicate keys in %s: %w", table, err)
	}
	return d, true, nil
}
