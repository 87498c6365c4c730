package migrations_test

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/syncd/syncd/migrations"
)

// CaptureTriggers sees every capture trigger, disabled ones and those left
// on a table no longer captured included, without changing any.
func TestCaptureTriggersListsEveryTriggerAndWhetherItIsEnabled(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	exec(t, conn, `CREATE TABLE old (id int PRIMARY KEY)`)
	if _, err := conn.Exec(ctx, `CREATE TRIGGER syncd_capture_ins AFTER INSERT ON old REFERENCING NEW TABLE AS new_rows
		FOR EACH STATEMENT EXECUTE FUNCTION syncd.capture('id')`); err != nil {
		t.Fatal(err)
	}
	exec(t, conn, `ALTER TABLE items DISABLE TRIGGER syncd_capture_del`)
	exec(t, conn, `CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
		CREATE TRIGGER audit AFTER INSERT ON items FOR EACH STATEMENT EXECUTE FUNCTION noop()`)

	got, err := migrations.CaptureTriggers(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]bool{
		"public.items": {"syncd_capture_ins": true, "syncd_capture_upd": true, "syncd_capture_del": false, "syncd_capture_trunc": true},
		"public.old":   {"syncd_capture_ins": true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("capture triggers = %v, want %v", got, want)
	}
	if names := migrations.CaptureTriggerNames(); !reflect.DeepEqual(names, []string{"syncd_capture_ins", "syncd_capture_upd", "syncd_capture_del", "syncd_capture_trunc"}) {
		t.Fatalf("capture trigger names = %q", names)
	}
}

// UnrecordedWriters names the login roles whose writes to a captured table
// the capture trigger would refuse, and stops naming one once it may
// insert into syncd.changes.
func TestUnrecordedWritersAreTheRolesTheTriggerWouldRefuse(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	app := fmt.Sprintf("capture_app_%d", time.Now().UnixNano())
	reader := app + "_ro"
	exec(t, conn, fmt.Sprintf(`CREATE ROLE %[1]s LOGIN; CREATE ROLE %[2]s LOGIN;
		GRANT INSERT, SELECT ON items TO %[1]s; GRANT SELECT ON items TO %[2]s`, app, reader))
	t.Cleanup(func() {
		exec(t, conn, fmt.Sprintf("DROP OWNED BY %[1]s, %[2]s; DROP ROLE %[1]s; DROP ROLE %[2]s", app, reader))
	})

	got, err := migrations.UnrecordedWriters(ctx, conn, []string{"public.items", "public.gone"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []migrations.Writer{{Role: app, Tables: []string{"public.items"}}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("unrecorded writers = %+v, want %+v (the reader writes nothing, public.gone does not exist)", got, want)
	}
	exec(t, conn, fmt.Sprintf(`GRANT USAGE ON SCHEMA syncd TO %[1]s; GRANT INSERT ON syncd.changes TO %[1]s`, app))
	if got, err := migrations.UnrecordedWriters(ctx, conn, []string{"public.items"}); err != nil || len(got) != 0 {
		t.Fatalf("unrecorded writers after the grant = %+v (error %v), want none", got, err)
	}
}
