package migrations

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// CaptureTriggerNames are the four triggers InstallCapture puts on every
// captured table (INSERT, UPDATE, DELETE, TRUNCATE), in that order.
func CaptureTriggerNames() []string {
	out := make([]string, len(triggerEvents))
	for i, ev := range triggerEvents {
		out[i] = triggerPrefix + ev.name
	}
	return out
}

// CaptureTriggers lists every syncd capture trigger in the database, on
// whatever table: table (qualified and quoted, as Table in CaptureTable) →
// trigger name → whether it is enabled. It changes nothing, so `syncd
// doctor` can tell missing, disabled and stale triggers apart.
func CaptureTriggers(ctx context.Context, q catalog.Querier) (map[string]map[string]bool, error) {
	rows, err := q.Query(ctx, `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), t.tgname, t.tgenabled <> 'D'
		FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND t.tgname LIKE 'syncd\_capture\_%'`)
	if err != nil {
		return nil, fmt.Errorf("list capture triggers: %w", err)
	}
	have := map[string]map[string]bool{}
	var tbl, tg string
	var enabled bool
	_, err = pgx.ForEachRow(rows, []any{&tbl, &tg, &enabled}, func() error {
		if have[tbl] == nil {
			have[tbl] = map[string]bool{}
		}
		have[tbl][tg] = enabled
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list capture triggers: %w", err)
	}
	return have, nil
}

// Writer is a login role that can change captured tables but cannot record
// the change in syncd.changes.
type Writer struct {
	// Role is the role's name, quoted for a GRANT.
	Role string
	// Tables are the captured tables it can write, as given.
	Tables []string
}

// UnrecordedWriters finds the login roles (superusers aside) that may
// INSERT, UPDATE, DELETE or TRUNCATE one of tables but lack USAGE on schema
// syncd or INSERT on syncd.changes. The capture triggers run as the writing
// role, so such a role's writes would fail ("permission denied for schema
// syncd") and break the application, not just the mirror. Roles come in
// name order, each with its tables in name order; tables that do not exist
// are left out.
func UnrecordedWriters(ctx context.Context, q catalog.Querier, tables []string) ([]Writer, error) {
	rows, err := q.Query(ctx, `SELECT quote_ident(r.rolname), t
		FROM pg_roles r, unnest($1::text[]) t
		WHERE r.rolcanlogin AND NOT r.rolsuper AND to_regclass(t) IS NOT NULL
		  AND (has_table_privilege(r.oid, t, 'INSERT') OR has_table_privilege(r.oid, t, 'UPDATE')
		       OR has_table_privilege(r.oid, t, 'DELETE') OR has_table_privilege(r.oid, t, 'TRUNCATE'))
		  AND NOT (has_schema_privilege(r.oid, 'syncd', 'USAGE') AND has_table_privilege(r.oid, 'syncd.changes', 'INSERT'))
		ORDER BY 1, 2`, tables)
	if err != nil {
		return nil, fmt.Errorf("find roles that cannot record their writes: %w", err)
	}
	var out []Writer
	var role, tbl string
	_, err = pgx.ForEachRow(rows, []any{&role, &tbl}, func() error {
		if len(out) == 0 || out[len(out)-1].Role != role {
			out = append(out, Writer{Role: role})
		}
		out[len(out)-1].Tables = append(out[len(out)-1].Tables, tbl)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find roles that cannot record their writes: %w", err)
	}
	return out, nil
}
