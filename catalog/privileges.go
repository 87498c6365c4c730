package catalog

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Session is who a connection acts as and on what server.
type Session struct {
	// User is current_user.
	User string
	// ServerVersion is the server's server_version setting (e.g. "15.8").
	ServerVersion string
}

// ReadSession returns the connection's role and the server's version.
func ReadSession(ctx context.Context, q Querier) (Session, error) {
	var s Session
	if err := q.QueryRow(ctx, "SELECT current_user, current_setting('server_version')").Scan(&s.User, &s.ServerVersion); err != nil {
		return Session{}, fmt.Errorf("read the session's role and server version: %w", err)
	}
	return s, nil
}

// Role is the current role as a GRANT names it.
type Role struct {
	// Ident is the role's name quoted as an identifier.
	Ident string
	// Super is true for a superuser, whom no privilege check refuses.
	Super bool
}

// CurrentRole returns the role the connection acts as.
func CurrentRole(ctx context.Context, q Querier) (Role, error) {
	var r Role
	if err := q.QueryRow(ctx, `SELECT quote_ident(rolname), rolsuper FROM pg_roles WHERE rolname = current_user`).Scan(&r.Ident, &r.Super); err != nil {
		return Role{}, fmt.Errorf("read the current role: %w", err)
	}
	return r, nil
}

// SchemaExists reports whether a schema of that name exists.
func SchemaExists(ctx context.Context, q Querier, schema string) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, "SELECT to_regnamespace($1) IS NOT NULL", schema).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up schema %s: %w", schema, err)
	}
	return ok, nil
}

// CurrentDatabase returns the connection's database, quoted as an
// identifier for a GRANT.
func CurrentDatabase(ctx context.Context, q Querier) (string, error) {
	var db string
	if err := q.QueryRow(ctx, "SELECT quote_ident(current_database())").Scan(&db); err != nil {
		return "", fmt.Errorf("read the current database: %w", err)
	}
	return db, nil
}

// HasDatabasePrivilege reports whether the current role holds privilege
// (e.g. CREATE) on the current database.
func HasDatabasePrivilege(ctx context.Context, q Querier, privilege string) (bool, error) {
	return has(ctx, q, "database", "SELECT has_database_privilege(current_database(), $1)", privilege)
}

// HasSchemaPrivilege reports whether the current role holds privilege
// (USAGE, CREATE) on schema.
func HasSchemaPrivilege(ctx context.Context, q Querier, schema, privilege string) (bool, error) {
	return has(ctx, q, "schema "+schema, "SELECT has_schema_privilege($1, $2)", schema, privilege)
}

// HasTablePrivilege reports whether the current role holds privilege
// (SELECT, TRIGGER, ...) on table, a name as the config spells it.
func HasTablePrivilege(ctx context.Context, q Querier, table, privilege string) (bool, error) {
	return has(ctx, q, table, "SELECT has_table_privilege($1, $2)", table, privilege)
}

// HasColumnPrivilege reports whether the current role holds privilege
// (e.g. UPDATE) on column of table.
func HasColumnPrivilege(ctx context.Context, q Querier, table, column, privilege string) (bool, error) {
	return has(ctx, q, table+"."+column, "SELECT has_column_privilege($1, $2, $3)", table, column, privilege)
}

// has runs one privilege check; the last argument is the privilege.
func has(ctx context.Context, q Querier, on, sql string, args ...any) (bool, error) {
	var ok bool
	if err := q.QueryRow(ctx, sql, args...).Scan(&ok); err != nil {
		return false, fmt.Errorf("check %v on %s: %w", args[len(args)-1], on, err)
	}
	return ok, nil
}

// TablesNotWritable lists the tables of schema on which the current role
// lacks any of SELECT, INSERT, UPDATE and DELETE, quoted, in name order.
func TablesNotWritable(ctx context.Context, q Querier, schema string) ([]string, error) {
	rows, err := q.Query(ctx, `SELECT quote_ident(c.relname) FROM pg_class c WHERE c.relnamespace = $1::text::regnamespace AND c.relkind = 'r'
			AND NOT (has_table_privilege(c.oid, 'SELECT') AND has_table_privilege(c.oid, 'INSERT') AND has_table_privilege(c.oid, 'UPDATE') AND has_table_privilege(c.oid, 'DELETE'))
			ORDER BY 1`, schema)
	if err != nil {
		return nil, fmt.Errorf("check privileges on the tables of schema %s: %w", schema, err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("check privileges on the tables of schema %s: %w", schema, err)
	}
	return tables, nil
}

var deniedRe = regexp.MustCompile(`permission denied for (?:table|view|materialized view|foreign table) (\S+)`)

// DeniedRelation extracts the relation from a "permission denied" error
// (SQLSTATE 42501), e.g. of [DescribeQuery], so that `syncd doctor` can
// print the GRANT that fixes it. Only the first denied relation of a query
// is known; doctor finds the next one on its next run.
func DeniedRelation(err error) (string, bool) {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		return "", false
	}
	m := deniedRe.FindStringSubmatch(pgErr.Message)
	if m == nil {
		return "", false
	}
	return m[1], true
}
