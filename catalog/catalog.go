// Package catalog reads what syncd needs from the Postgres system catalog:
// a table's columns, types and primary key, the columns of a query, and the
// codec kind of a type. It also quotes identifiers for generated SQL. It
// only reads; every caller (config, the engine, the importer, migrations)
// resolves names through it, so a table is looked up the same way
// everywhere.
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

// Querier is the part of pgx that catalog lookups need; *pgx.Conn,
// *pgxpool.Pool and pgx.Tx all satisfy it.
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

// ErrNoTable means a table named in the config does not exist.
var ErrNoTable = errors.New("table does not exist")

// LookupTable reads a table's columns and primary key from the catalog.
// name may be qualified ("public.shifts") or not (search_path applies).
func LookupTable(ctx context.Context, q Querier, name string) (TableInfo, error) {
	var oid uint32
	var qualified string
	err := q.QueryRow(ctx, `
		SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = to_regclass($1) AND c.relkind IN ('r', 'p')`, name).Scan(&oid, &qualified)
	if errors.Is(err, pgx.ErrNoRows) {
		return TableInfo{}, fmt.Errorf("%s: %w", name, ErrNoTable)
	}
	if err != nil {
		return TableInfo{}, fmt.Errorf("look up table %s: %w", name, err)
	}
	info := TableInfo{Name: qualified}
	rows, err := q.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, t.typtype, t.typcategory,
		       CASE WHEN a.atttypid = 'numeric'::regtype AND a.atttypmod >= 4
		            THEN (a.atttypmod - 4) & 65535 ELSE -1 END
		FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, oid)
	if err != nil {
		return TableInfo{}, fmt.Errorf("read columns of %s: %w", qualified, err)
	}
	for rows.Next() {
		var c syncd.Column
		var typname, typtype, category string
		if err := rows.Scan(&c.Name, &c.Type, &typname, &typtype, &category, &c.Scale); err != nil {
			rows.Close()
			return TableInfo{}, fmt.Errorf("read columns of %s: %w", qualified, err)
		}
		c.Kind = ClassifyType(typname, typtype, category)
		if typname == "money" {
			c.Scale = 2
		}
		info.Columns = append(info.Columns, c)
	}
	if err := rows.Err(); err != nil {
		return TableInfo{}, fmt.Errorf("read columns of %s: %w", qualified, err)
	}
	err = q.QueryRow(ctx, `
		SELECT coalesce(array_agg(a.attname ORDER BY k.ord), '{}')
		FROM pg_index i
		CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisprimary`, oid).Scan(&info.PrimaryKey)
	if err != nil {
		return TableInfo{}, fmt.Errorf("read primary key of %s: %w", qualified, err)
	}
	return info, nil
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
