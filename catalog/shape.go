package catalog

import (
	"context"
	"fmt"
)

// Shape is a table's identity and columns as the catalog holds them now:
// what the daemon compares, batch after batch, to notice the application's
// DDL (a column added, dropped, renamed or retyped; the table renamed,
// dropped or re-created).
type Shape struct {
	OID uint32
	// Name is the qualified name, quoted as in LookupTable.
	Name    string
	Columns []ShapeColumn
}

// ShapeColumn is one live column: its attnum (stable across a rename),
// name and formatted type.
type ShapeColumn struct {
	Num        int
	Name, Type string
}

// Shapes returns the shapes of the tables with the given oids and of the
// tables the given names resolve to now (to_regclass: a name that
// resolves to nothing is no error), keyed by oid. One catalog query, cheap
// enough to run before every batch.
func Shapes(ctx context.Context, q Querier, oids []uint32, names []string) (map[uint32]Shape, error) {
	rows, err := q.Query(ctx, `
		WITH want AS (
			SELECT unnest($1::oid[]) AS oid
			UNION SELECT to_regclass(n)::oid FROM unnest($2::text[]) AS n
		)
		SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
		       coalesce(a.attnum, 0), coalesce(a.attname, ''), coalesce(format_type(a.atttypid, a.atttypmod), '')
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.oid IN (SELECT oid FROM want WHERE oid IS NOT NULL)
		ORDER BY c.oid, a.attnum`, oids, names)
	if err != nil {
		return nil, fmt.Errorf("read table shapes: %w", err)
	}
	defer rows.Close()
	out := map[uint32]Shape{}
	for rows.Next() {
		var oid uint32
		var name string
		var col ShapeColumn
		if err := rows.Scan(&oid, &name, &col.Num, &col.Name, &col.Type); err != nil {
			return nil, fmt.Errorf("read table shapes: %w", err)
		}
		s := out[oid]
		s.OID, s.Name = oid, name
		if col.Num > 0 {
			s.Columns = append(s.Columns, col)
		}
		out[oid] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read table shapes: %w", err)
	}
	return out, nil
}

// Same reports whether two shapes have the same name and columns.
func (s Shape) Same(o Shape) bool {
	if s.OID != o.OID || s.Name != o.Name || len(s.Columns) != len(o.Columns) {
		return false
	}
	for i := range s.Columns {
		if s.Columns[i] != o.Columns[i] {
			return false
		}
	}
	return true
}
