package catalog

import (
	"context"
	"fmt"
)

// AssignTypes returns, for each live column of table (a name LookupTable
// accepts), its type without its type modifier (format_type(atttypid,
// NULL): "character varying", "numeric", "timestamp without time zone").
// A value cast to it and then assigned to the column is coerced in
// assignment context, so a text too long for varchar(20) is refused
// ("value too long") where an explicit cast to varchar(20) would cut it.
func AssignTypes(ctx context.Context, q Querier, table string) (map[string]string, error) {
	rows, err := q.Query(ctx, `SELECT attname, format_type(atttypid, NULL) FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, table)
	if err != nil {
		return nil, fmt.Errorf("read the column types of %s: %w", table, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, fmt.Errorf("read the column types of %s: %w", table, err)
		}
		out[name] = typ
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read the column types of %s: %w", table, err)
	}
	return out, nil
}
