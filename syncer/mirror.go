package syncer

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/syncd/syncd"
)

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

// mirror is a resolved mirror as the engine works with it: the vocabulary's
// Mirror with the engine's own methods (reading rows, planning, merging).
type mirror struct{ *syncd.Mirror }
