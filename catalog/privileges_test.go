package catalog_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/internal/pgtest"
)

// The privilege checks `syncd doctor` runs answer for the connection's
// role: a least-privilege role sees exactly what it was granted, and a
// query it may not read names the relation to grant.
func TestPrivilegesAreTheCurrentRoles(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDB(t)
	role := fmt.Sprintf("catalog_priv_%d", time.Now().UnixNano())
	pgtest.Exec(t, url, fmt.Sprintf(`
		CREATE TABLE notes (id int PRIMARY KEY, note text);
		CREATE SCHEMA s; CREATE TABLE s.a (x int); CREATE TABLE s.b (x int);
		CREATE ROLE %[1]s LOGIN;
		GRANT USAGE ON SCHEMA s TO %[1]s; GRANT SELECT, INSERT, UPDATE, DELETE ON s.a TO %[1]s;
		GRANT SELECT ON notes TO %[1]s; GRANT UPDATE (note) ON notes TO %[1]s;`, role))
	t.Cleanup(func() { pgtest.Exec(t, url, fmt.Sprintf("DROP OWNED BY %[1]s; DROP ROLE %[1]s", role)) })
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, "SET ROLE "+role); err != nil {
		t.Fatal(err)
	}

	check := func(what string, got bool, err error, want bool) {
		t.Helper()
		if err != nil || got != want {
			t.Errorf("%s = %v (error %v), want %v", what, got, err, want)
		}
	}
	sess, err := catalog.ReadSession(ctx, conn)
	if err != nil || sess.User != role || sess.ServerVersion == "" {
		t.Errorf("session %+v (error %v), want user %s and a version", sess, err, role)
	}
	r, err := catalog.CurrentRole(ctx, conn)
	if err != nil || r.Ident != role || r.Super {
		t.Errorf("current role %+v (error %v), want %s, not a superuser", r, err, role)
	}
	ok, err := catalog.SchemaExists(ctx, conn, "s")
	check("schema s exists", ok, err, true)
	ok, err = catalog.SchemaExists(ctx, conn, "nope")
	check("schema nope exists", ok, err, false)
	ok, err = catalog.HasSchemaPrivilege(ctx, conn, "s", "USAGE")
	check("USAGE on s", ok, err, true)
	ok, err = catalog.HasSchemaPrivilege(ctx, conn, "s", "CREATE")
	check("CREATE on s", ok, err, false)
	ok, err = catalog.HasDatabasePrivilege(ctx, conn, "CREATE")
	check("CREATE on the database", ok, err, false)
	ok, err = catalog.HasTablePrivilege(ctx, conn, "public.notes", "SELECT")
	check("SELECT on notes", ok, err, true)
	ok, err = catalog.HasTablePrivilege(ctx, conn, "public.notes", "TRIGGER")
	check("TRIGGER on notes", ok, err, false)
	ok, err = catalog.HasColumnPrivilege(ctx, conn, "public.notes", "note", "UPDATE")
	check("UPDATE (note) on notes", ok, err, true)
	ok, err = catalog.HasColumnPrivilege(ctx, conn, "public.notes", "id", "UPDATE")
	check("UPDATE (id) on notes", ok, err, false)
	if _, err := catalog.HasTablePrivilege(ctx, conn, "public.gone", "SELECT"); err == nil {
		t.Error("a privilege on a missing table did not fail")
	}

	if tables, err := catalog.TablesNotWritable(ctx, conn, "s"); err != nil || !slices.Equal(tables, []string{"b"}) {
		t.Errorf("tables of s not writable = %q (error %v), want [b]", tables, err)
	}
	var name string
	if err := conn.QueryRow(ctx, "SELECT quote_ident(current_database())").Scan(&name); err != nil {
		t.Fatal(err)
	}
	if db, err := catalog.CurrentDatabase(ctx, conn); err != nil || db != name {
		t.Errorf("current database %q (error %v), want %q", db, err, name)
	}

	_, err = catalog.DescribeQuery(ctx, conn, "SELECT n.id FROM notes n JOIN s.b ON true")
	if rel, ok := catalog.DeniedRelation(err); !ok || rel != "b" {
		t.Errorf("denied relation of %v = %q, %v; want b", err, rel, ok)
	}
	if rel, ok := catalog.DeniedRelation(fmt.Errorf("not a Postgres error")); ok {
		t.Errorf("denied relation of a plain error = %q", rel)
	}
}
