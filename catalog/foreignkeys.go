package catalog

import (
	"context"
	"fmt"
)

// ForeignKey is one foreign key constraint: columns From of a table
// reference columns To of Table, pairwise in order.
type ForeignKey struct {
	// Table is the referenced table's qualified, quoted name, as
	// TableInfo.Name spells it.
	Table string
	// From are the referencing columns and To the referenced ones.
	From, To []string
}

// ForeignKeys returns, for each table in tables, its foreign keys that
// point at another table in tables. Tables are named as TableInfo.Name
// spells them (qualified and quoted, e.g. public.shifts); the map is keyed
// the same way and leaves out tables with no such keys. Self-references
// are left out: they decide neither a load order nor a cross-table check.
func ForeignKeys(ctx context.Context, q Querier, tables []string) (map[string][]ForeignKey, error) {
	rows, err := q.Query(ctx, `
		SELECT quote_ident(sn.nspname) || '.' || quote_ident(s.relname),
		       quote_ident(tn.nspname) || '.' || quote_ident(t.relname),
		       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.conkey) WITH ORDINALITY k(n, i)
		          JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n),
		       (SELECT array_agg(a.attname::text ORDER BY k.i) FROM unnest(c.confkey) WITH ORDINALITY k(n, i)
		          JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n)
		FROM pg_constraint c
		JOIN pg_class s ON s.oid = c.conrelid JOIN pg_namespace sn ON sn.oid = s.relnamespace
		JOIN pg_class t ON t.oid = c.confrelid JOIN pg_namespace tn ON tn.oid = t.relnamespace
		WHERE c.contype = 'f' AND c.conrelid <> c.confrelid
		  AND quote_ident(sn.nspname) || '.' || quote_ident(s.relname) = ANY($1)
		  AND quote_ident(tn.nspname) || '.' || quote_ident(t.relname) = ANY($1)
		ORDER BY 1, c.conname`, tables)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	defer rows.Close()
	out := map[string][]ForeignKey{}
	for rows.Next() {
		var from string
		var fk ForeignKey
		if err := rows.Scan(&from, &fk.Table, &fk.From, &fk.To); err != nil {
			return nil, fmt.Errorf("read foreign keys: %w", err)
		}
		out[from] = append(out[from], fk)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	return out, nil
}
