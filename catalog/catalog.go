// Package catalog reads what syncd needs from the Postgres system catalog:
// a table's columns, types and primary key, whether a name is a table, the
// columns of a query, the codec kind of a type, and the current role's
// privileges (what `syncd doctor` checks). It also quotes identifiers for
// generated SQL. It only reads; every caller (config, the engine, status,
// the importer, migrations, doctor) resolves names through it, so a table
// is looked up the same way everywhere. Its [Querier] is the one pgx subset
// syncd's SQL runs on, store's statements included.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/syncd/syncd"
)

// Querier is the part of pgx that catalog lookups and store's statements
// need; *pgx.Conn, *pgxpool.Pool and pgx.Tx all satisfy it.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// TableInfo is what the catalog says about a mirrored table.
type TableInfo struct {
	// Name is the table's qualified, quoted name (e.g. public.shifts) as
	// regclass prints it with the schema always included.
	Name string
	// Columns are the table's columns in attnum order.
	Columns []syncd.Column
	// PrimaryKey lists the primary key's column names, empty if none.
	PrimaryKey []string
}

// Column returns the named column, or false.
func (t TableInfo) Column(name string) (syncd.Column, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return syncd.Column{}, false
}

// ErrNoTable means a named table does not exist (or names a view, a
// sequence or another relation that is not an ordinary or partitioned
// table). Lookups wrap it; callers test for it with errors.Is.
var ErrNoTable = errors.New("table does not exist")

// ColumnDetail is what the catalog says about one table column: the
// codec's view of it plus the constraints and type details an import
// checks values against before it writes them.
type ColumnDetail struct {
	syncd.Column
	// NotNull is true for a NOT NULL column.
	NotNull bool
	// HasDefault is true when an insert may leave the column out: it has
	// a default, is an identity column or is generated.
	HasDefault bool
	// Precision is p of a numeric(p, s) column; 0 when the column is not
	// numeric or its precision is unconstrained.
	Precision int
	// IntBits is 16, 32 or 64 for int2, int4 and int8 columns; 0 for
	// every other type.
	IntBits int
	// Enum lists an enum column's labels in their sort order; empty for
	// every other type.
	Enum []string
}

// TableDetail is a table as LookupTableDetail reads it: TableInfo with
// ColumnDetail columns.
type TableDetail struct {
	// Name is the table's qualified, quoted name, as in TableInfo.
	Name string
	// Columns are the table's columns in attnum order.
	Columns []ColumnDetail
	// PrimaryKey lists the primary key's column names, empty if none.
	PrimaryKey []string
}

// Column returns the named column, or false.
func (t TableDetail) Column(name string) (ColumnDetail, bool) {
	for _, c := range t.Columns {
		if c.Name == name {
			return c, true
		}
	}
	return ColumnDetail{}, false
}

// Info returns the table as TableInfo: the same name and key, and each
// column's codec view.
func (t TableDetail) Info() TableInfo {
	info := TableInfo{Name: t.Name, PrimaryKey: t.PrimaryKey, Columns: make([]syncd.Column, len(t.Columns))}
	for i, c := range t.Columns {
		info.Columns[i] = c.Column
	}
	return info
}

// LookupTable reads a table's columns and primary key from the catalog.
// name may be qualified ("public.shifts") or not (search_path applies);
// it is parsed as SQL would parse it, so a mixed-case name must be
// double-quoted. A name that resolves to no ordinary or partitioned table
// returns an error wrapping ErrNoTable.
func LookupTable(ctx context.Context, q Querier, name string) (TableInfo, error) {
	t, err := LookupTableDetail(ctx, q, name)
	if err != nil {
		return TableInfo{}, err
	}
	return t.Info(), nil
}

// LookupTableDetail is LookupTable with each column's constraints and type
// details (see ColumnDetail): what an import needs to check values before
// it writes them. It resolves name exactly as LookupTable does.
func LookupTableDetail(ctx context.Context, q Querier, name string) (TableDetail, error) {
	var oid uint32
	var t TableDetail
	err := q.QueryRow(ctx, `
		SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`, name).Scan(&oid, &t.Name)
	if errors.Is(err, pgx.ErrNoRows) {
		return TableDetail{}, fmt.Errorf("%s: %w", name, ErrNoTable)
	}
	if err != nil {
		return TableDetail{}, fmt.Errorf("look up table %s: %w", name, err)
	}
	if t.Columns, err = readColumns(ctx, q, oid); err != nil {
		return TableDetail{}, fmt.Errorf("read columns of %s: %w", t.Name, err)
	}
	err = q.QueryRow(ctx, `
		SELECT coalesce(array_agg(a.attname::text ORDER BY k.ord), '{}')
		FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisprimary`, oid).Scan(&t.PrimaryKey)
	if err != nil {
		return TableDetail{}, fmt.Errorf("read primary key of %s: %w", t.Name, err)
	}
	return t, nil
}

// readColumns reads the columns of the relation oid in attnum order.
func readColumns(ctx context.Context, q Querier, oid uint32) ([]ColumnDetail, error) {
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
		return nil, err
	}
	defer rows.Close()
	var cols []ColumnDetail
	for rows.Next() {
		var c ColumnDetail
		var typname, typtype, category string
		if err := rows.Scan(&c.Name, &c.Type, &typname, &typtype, &category, &c.Scale, &c.Precision,
			&c.NotNull, &c.HasDefault, &c.Enum); err != nil {
			return nil, err
		}
		c.Kind = ClassifyType(typname, typtype, category)
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
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

// ClassifyType maps a Postgres type (pg_type.typname, typtype and
// typcategory) to the codec's column kind.
func ClassifyType(typname, typtype, category string) syncd.ColumnKind {
	switch typname {
	case "int2", "int4", "int8":
		return syncd.KindInt
	case "numeric", "money":
		return syncd.KindNumeric
	case "float4", "float8":
		return syncd.KindFloat
	case "bool":
		return syncd.KindBool
	case "date":
		return syncd.KindDate
	case "timestamp":
		return syncd.KindTimestamp
	case "timestamptz":
		return syncd.KindTimestampTZ
	case "json", "jsonb":
		return syncd.KindJSON
	case "text", "varchar", "bpchar", "name", "uuid", "citext", "char":
		return syncd.KindText
	}
	if typtype == "e" || category == "S" {
		return syncd.KindText // enums and other string types
	}
	if typtype == "d" {
		return syncd.KindOther // domains: text form is always safe
	}
	return syncd.KindOther
}

// QuoteIdent quotes a SQL identifier for use in generated SQL.
func QuoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// QuoteIdents quotes each identifier and joins them with sep.
func QuoteIdents(names []string, sep string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = QuoteIdent(n)
	}
	return strings.Join(q, sep)
}

// DescribeQuery returns the result columns of a query without running it to
// completion (LIMIT 0), with their types classified for the codec.
func DescribeQuery(ctx context.Context, q Querier, query string) ([]syncd.Column, error) {
	rows, err := q.Query(ctx, "SELECT * FROM ("+query+") q LIMIT 0")
	if err != nil {
		return nil, fmt.Errorf("describe query: %w", err)
	}
	// pgx reuses the descriptions' memory for the next query: copy them.
	fields := append([]pgconn.FieldDescription(nil), rows.FieldDescriptions()...)
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("describe query: %w", err)
	}
	cols := make([]syncd.Column, len(fields))
	for i, f := range fields {
		var typname, typtype, category, format string
		err := q.QueryRow(ctx, `SELECT t.typname, t.typtype, t.typcategory, format_type(t.oid, nullif($2, -1))
			FROM pg_type t WHERE t.oid = $1`, f.DataTypeOID, f.TypeModifier).Scan(&typname, &typtype, &category, &format)
		if err != nil {
			return nil, fmt.Errorf("describe query column %s: %w", f.Name, err)
		}
		scale := -1
		if typname == "numeric" && f.TypeModifier >= 4 {
			scale = int((f.TypeModifier - 4) & 0xffff)
		}
		if typname == "money" {
			scale = 2
		}
		cols[i] = syncd.Column{Name: f.Name, Type: format, Kind: ClassifyType(typname, typtype, category), Scale: scale}
	}
	return cols, nil
}

// TableExists reports whether a table name (as the config spells it)
// resolves to a relation now.
func TableExists(ctx context.Context, q Querier, table string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up table %s: %w", table, err)
	}
	return ok, nil
}
