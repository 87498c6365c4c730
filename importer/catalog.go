package importer

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// ErrNoTable means a plan names a table the database does not have.
var ErrNoTable = errors.New("table does not exist")

// columnInfo is what the catalog says about one target column.
type columnInfo struct {
	syncd.Column
	NotNull    bool
	HasDefault bool
	// Precision of a numeric column (0 when unconstrained).
	Precision int
	// IntBits is 16, 32 or 64 for integer columns.
	IntBits int
	// Enum labels of an enum column.
	Enum []string
}

// tableInfo is a resolved target table.
type tableInfo struct {
	// Name is the quoted, schema-qualified name (public.shifts).
	Name       string
	Columns    []columnInfo
	PrimaryKey []string
}

func (t *tableInfo) column(name string) (columnInfo, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return columnInfo{}, false
}

// lookupTable reads a table's columns, their constraints and its primary
// key from the catalog.
func lookupTable(ctx context.Context, q catalog.Querier, name string) (tableInfo, error) {
	var oid uint32
	var info tableInfo
	err := q.QueryRow(ctx, `
		SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`, name).Scan(&oid, &info.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return info, fmt.Errorf("%s: %w", name, ErrNoTable)
	}
	if err != nil {
		return info, fmt.Errorf("look up table %s: %w", name, err)
	}
	rows, err := q.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typtype, t.typcategory,
		       CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4
		            THEN (a.atttypmod - 4) & 65535 ELSE -1 END,
		       CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4
		            THEN (a.atttypmod - 4) >> 16 ELSE 0 END,
		       a.attnotnull, a.atthasdef OR a.attidentity <> '' OR a.attgenerated <> '',
		       coalesce((SELECT array_agg(e.enumlabel::text ORDER BY e.enumsortorder)
		                 FROM pg_enum e WHERE e.enumtypid = a.atttypid), '{}')
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, oid)
	if err != nil {
		return info, fmt.Errorf("read columns of %s: %w", info.Name, err)
	}
	for rows.Next() {
		var c columnInfo
		var typname, typtype, category string
		if err := rows.Scan(&c.Name, &c.Type, &typname, &typtype, &category, &c.Scale, &c.Precision,
			&c.NotNull, &c.HasDefault, &c.Enum); err != nil {
			rows.Close()
			return info, fmt.Errorf("read columns of %s: %w", info.Name, err)
		}
		c.Kind = catalog.ClassifyType(typname, typtype, category)
		switch typname {
		case "int2":
			c.IntBits = 16
		case "int4":
			c.IntBits = 32
		case "int8":
			c.IntBits = 64
		case "money":
			c.Scale = 2
		}
		info.Columns = append(info.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("read columns of %s: %w", info.Name, err)
	}
	err = q.QueryRow(ctx, `
		SELECT coalesce(array_agg(a.attname::text ORDER BY k.i), '{}')
		FROM pg_index x
		CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, i)
		JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
		WHERE x.indrelid = $1 AND x.indisprimary`, oid).Scan(&info.PrimaryKey)
	if err != nil {
		return info, fmt.Errorf("read primary key of %s: %w", info.Name, err)
	}
	return info, nil
}

// foreignKeys returns, for each table in names, the tables among names its
// foreign keys point at (self-references left out): what decides a load
// order and which references to check.
func foreignKeys(ctx context.Context, q catalog.Querier, names []string) (map[string][]fkRef, error) {
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
		  AND quote_ident(tn.nspname) || '.' || quote_ident(t.relname) = ANY($1)`, names)
	if err != nil {
		return nil, fmt.Errorf("read foreign keys: %w", err)
	}
	defer rows.Close()
	out := map[string][]fkRef{}
	for rows.Next() {
		var from string
		var r fkRef
		if err := rows.Scan(&from, &r.Table, &r.From, &r.To); err != nil {
			return nil, fmt.Errorf("read foreign keys: %w", err)
		}
		out[from] = append(out[from], r)
	}
	return out, rows.Err()
}

// fkRef is one foreign key: columns From of a table reference columns To
// of Table.
type fkRef struct {
	Table    string
	From, To []string
}

// quoteIdents quotes names and joins them with ", ".
func quoteIdents(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = catalog.QuoteIdent(n)
	}
	return strings.Join(q, ", ")
}
