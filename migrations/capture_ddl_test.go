package migrations_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"math/rand/v2"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
)

// TestApplicationDDLNeverFailsItsWrites changes the captured table's schema
// under installed triggers, as an application owning its schema does, and
// checks that every later write still succeeds and is still captured: by
// key while the key columns exist, by a full-resync marker when they do not.
func TestApplicationDDLNeverFailsItsWrites(t *testing.T) {
	conn, _ := setup(t)
	exec(t, conn, `INSERT INTO items VALUES (1,'a',1,''), (2,'b',2,'')`)
	outbox(t, conn)
	steps := []struct {
		name, ddl, write, want string
	}{
		{"add column", `ALTER TABLE items ADD COLUMN bonus int`, `UPDATE items SET bonus = 5 WHERE id = 1`, ""},
		{"drop a mirrored column", `ALTER TABLE items DROP COLUMN qty`, `UPDATE items SET note = 'n' WHERE id = 1`, "U:1"},
		{"rename a mirrored column", `ALTER TABLE items RENAME COLUMN name TO full_name`, `UPDATE items SET full_name = 'z' WHERE id = 2`, "U:2"},
		{"retype a column", `ALTER TABLE items ALTER COLUMN note TYPE varchar(20)`, `INSERT INTO items (id, full_name) VALUES (3, 'c')`, "I:3"},
		{"retype the key", `ALTER TABLE items ALTER COLUMN id TYPE bigint`, `INSERT INTO items (id) VALUES (5000000000)`, "I:5000000000"},
		{"rename the table", `ALTER TABLE items RENAME TO things`, `DELETE FROM things WHERE id = 3`, "D:3"},
		{"rename the key", `ALTER TABLE things RENAME COLUMN id TO thing_id`, `UPDATE things SET note = 'k' WHERE thing_id = 1`, "T:-"},
		{"insert without the key", ``, `INSERT INTO things (thing_id) VALUES (7)`, "T:-"},
		{"delete without the key", ``, `DELETE FROM things WHERE thing_id = 7`, "T:-"},
	}
	for _, s := range steps {
		if s.ddl != "" {
			exec(t, conn, s.ddl)
		}
		if _, err := conn.Exec(context.Background(), s.write); err != nil {
			t.Fatalf("%s: the application's write failed: %v", s.name, err)
		}
		got := strings.Join(outboxAny(t, conn), " ")
		if got != s.want {
			t.Errorf("%s: outbox = %q, want %q", s.name, got, s.want)
		}
	}
}

// outboxAny is outbox for a table that may have been renamed, read the way
// the daemon reads it (store.ReadChanges: a key the trigger could not find
// is a full-resync marker), and emptied.
func outboxAny(t testing.TB, conn *pgx.Conn) []string {
	t.Helper()
	ctx := context.Background()
	changes, err := store.ReadChanges(ctx, conn, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM syncd.changes`); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range changes {
		key := "-"
		if c.Key != "" {
			var k map[string]json.RawMessage
			if err := json.Unmarshal([]byte(c.Key), &k); err != nil {
				t.Fatal(err)
			}
			key = strings.Trim(string(k["id"]), `"`)
		}
		out = append(out, string(rune(c.Op))+":"+key)
	}
	sort.Strings(out)
	return out
}

// TestHostileIdentifiersCreateAndDropNothingElse installs capture on tables
// whose schema, table and column names try to break out of quoting (dollar
// quotes, quotes, semicolons), with and without check_function_bodies, and
// checks that only syncd's own triggers appear, nothing else is created or
// dropped, and the changes are captured under the exact column names.
func TestHostileIdentifiersCreateAndDropNothingElse(t *testing.T) {
	for _, checkBodies := range []string{"on", "off"} {
		t.Run("check_function_bodies="+checkBodies, func(t *testing.T) {
			ctx := context.Background()
			url := pgtest.NewDB(t)
			cfg, err := pgx.ParseConfig(url)
			if err != nil {
				t.Fatal(err)
			}
			cfg.RuntimeParams["check_function_bodies"] = checkBodies
			conn, err := pgx.ConnectConfig(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			if _, err := migrations.ApplySchema(ctx, conn); err != nil {
				t.Fatal(err)
			}
			schema := `s$$; DROP TABLE public.victim; --`
			table := `z$syncd$; DROP TABLE IF EXISTS public.victim; SELECT $syncd$`
			key := `k$tag$'"; DROP TABLE public.victim; --`
			col := `$$ || (SELECT 1) || $$`
			exec(t, conn, `CREATE TABLE public.victim (x int)`)
			exec(t, conn, `CREATE SCHEMA `+ident(schema))
			qt := ident(schema) + "." + ident(table)
			exec(t, conn, `CREATE TABLE `+qt+` (`+ident(key)+` text PRIMARY KEY, `+ident(col)+` text)`)
			before := objects(t, conn)
			res, err := migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{
				{Table: qt, Key: []string{key}, Columns: []string{key, col}},
				{Table: "public.victim"}, // a depends_on source, too
			})
			if err != nil {
				t.Fatalf("install capture: %v", err)
			}
			if len(res.Installed) != 2 {
				t.Fatalf("installed = %v, want both tables", res.Installed)
			}
			after := objects(t, conn)
			if added := diff(after, before); len(added) != 8 || !allTriggers(added) {
				t.Errorf("objects added outside syncd's triggers: %v", added)
			}
			if gone := diff(before, after); len(gone) != 0 {
				t.Errorf("objects dropped: %v", gone)
			}
			exec(t, conn, `INSERT INTO `+qt+` VALUES ('a;b', 'v')`)
			exec(t, conn, `UPDATE `+qt+` SET `+ident(col)+` = 'w'`)
			var keys []string
			rows, err := conn.Query(ctx, `SELECT op::text || ':' || (key->>$1) FROM syncd.changes ORDER BY id`, key)
			if err != nil {
				t.Fatal(err)
			}
			if keys, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
				t.Fatal(err)
			}
			if strings.Join(keys, " ") != "I:a;b U:a;b" {
				t.Errorf("outbox = %v, want I:a;b U:a;b", keys)
			}
			if res, err := migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{
				{Table: qt, Key: []string{key}, Columns: []string{key, col}}, {Table: "public.victim"},
			}); err != nil || len(res.Unchanged) != 2 {
				t.Errorf("second install = %+v, %v; want both unchanged", res, err)
			}
		})
	}
}

func ident(s string) string { return pgx.Identifier{s}.Sanitize() }

// objects lists every relation, function and trigger outside the system
// schemas and schema syncd.
func objects(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `
		SELECT 'rel ' || c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'syncd', 'pg_toast')
		UNION ALL
		SELECT 'fn ' || p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'syncd')
		UNION ALL
		SELECT 'trigger ' || tgname || ' on ' || tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal
		UNION ALL
		SELECT 'schema ' || nspname FROM pg_namespace`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func diff(a, b []string) []string {
	in := map[string]bool{}
	for _, s := range b {
		in[s] = true
	}
	var out []string
	for _, s := range a {
		if !in[s] {
			out = append(out, s)
		}
	}
	return out
}

func allTriggers(list []string) bool {
	for _, s := range list {
		if !strings.HasPrefix(s, "trigger syncd_capture_") {
			return false
		}
	}
	return true
}

// TestCaptureFunctionUsesTheDoorbellLock pins what the capture functions
// spell (the doorbell lock, the channel, the op codes) to the Go constants
// the daemon uses: every file that defines capture functions rings the
// doorbell the same way, and together they write every op code.
func TestCaptureFunctionUsesTheDoorbellLock(t *testing.T) {
	all := ""
	for _, f := range []string{"003_capture.sql", "007_capture_per_operation.sql"} {
		b, err := fs.ReadFile(migrations.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		sql := string(b)
		all += sql
		n := strconv.FormatInt(store.DoorbellLock, 10)
		if !strings.Contains(sql, "pg_try_advisory_xact_lock_shared("+n+")") {
			t.Errorf("%s does not take the doorbell lock %s", f, n)
		}
		if !strings.Contains(sql, "pg_notify('"+store.NotifyChannel+"'") {
			t.Errorf("%s does not notify channel %q", f, store.NotifyChannel)
		}
		// Each function that records rows rings the doorbell.
		if fns, rings := strings.Count(sql, "RETURNS trigger"), strings.Count(sql, "pg_notify("); fns != rings {
			t.Errorf("%s: %d trigger functions, %d ring the doorbell", f, fns, rings)
		}
	}
	// The outbox reader decodes the op codes store defines.
	for _, op := range []store.Op{store.OpInsert, store.OpUpdate, store.OpDelete, store.OpTruncate, store.OpStatement} {
		if !strings.Contains(all, "'"+string(rune(op))+"'") {
			t.Errorf("no capture function writes op %q", rune(op))
		}
	}
}

// TestRandomDDLNeverFailsWrites interleaves random schema changes with
// random writes (seeded; SYNCD_DDL_STEPS for a longer run) and checks that
// no write fails and that every statement that changed rows left an outbox
// entry.
func TestRandomDDLNeverFailsWrites(t *testing.T) {
	conn, _ := setup(t)
	seed := rand.Uint64()
	if s := os.Getenv("SYNCD_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 150
	if s := os.Getenv("SYNCD_DDL_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (SYNCD_SEED=%d to repeat)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 0))
	ctx := context.Background()
	next := 100
	extra := 0
	for i := 0; i < steps; i++ {
		var ddl string
		switch r.IntN(6) {
		case 0:
			extra++
			ddl = "ALTER TABLE items ADD COLUMN c" + strconv.Itoa(extra) + " int DEFAULT 1"
		case 1:
			ddl = "ALTER TABLE items DROP COLUMN IF EXISTS c" + strconv.Itoa(r.IntN(extra+1))
		case 2:
			typ := []string{"int", "bigint", "numeric", "text"}[r.IntN(4)]
			ddl = "ALTER TABLE items ALTER COLUMN qty TYPE " + typ + " USING qty::text::" + typ
		case 3:
			ddl = "ALTER TABLE items RENAME COLUMN name TO name2; ALTER TABLE items RENAME COLUMN name2 TO name"
		}
		if ddl != "" {
			if _, err := conn.Exec(ctx, ddl); err != nil && !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("seed %d step %d: %s: %v", seed, i, ddl, err)
			}
		}
		next++
		write := []string{
			"INSERT INTO items (id, name) VALUES (" + strconv.Itoa(next) + ", 'x')",
			"UPDATE items SET name = name || 'y' WHERE id = (SELECT max(id) FROM items)",
			"DELETE FROM items WHERE id = (SELECT min(id) FROM items)",
		}[r.IntN(3)]
		tag, err := conn.Exec(ctx, write)
		if err != nil {
			t.Fatalf("seed %d step %d: the application's write failed after %q: %s: %v", seed, i, ddl, write, err)
		}
		got := outboxAny(t, conn)
		if tag.RowsAffected() > 0 && len(got) == 0 {
			t.Fatalf("seed %d step %d: %s changed %d rows and left no outbox entry", seed, i, write, tag.RowsAffected())
		}
	}
}

// TestCaptureOutOfStepAfterDDL: after the application renames a mirrored
// column, the triggers installed for the old name are reported out of step
// against the re-resolved columns (what doctor shows), and migrate's
// InstallCapture brings them back in step.
func TestCaptureOutOfStepAfterDDL(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	now := []migrations.CaptureTable{{Table: "public.items", Key: []string{"id"}, Columns: []string{"id", "name", "qty"}}}
	if got, err := migrations.CaptureOutOfStep(ctx, conn, now); err != nil || len(got) != 0 {
		t.Fatalf("fresh install out of step: %v, %v", got, err)
	}
	exec(t, conn, `ALTER TABLE items RENAME COLUMN name TO full_name`)
	renamed := []migrations.CaptureTable{{Table: "public.items", Key: []string{"id"}, Columns: []string{"id", "full_name", "qty"}}}
	got, err := migrations.CaptureOutOfStep(ctx, conn, renamed)
	if err != nil {
		t.Fatal(err)
	}
	// Only the UPDATE trigger compares mirrored columns; INSERT and DELETE
	// record keys alone, and the key did not change.
	if len(got) != 1 || !strings.Contains(got[0], "syncd_capture_upd calls syncd.record_update({id,name,qty}, id)") ||
		!strings.Contains(got[0], "needs syncd.record_update({id,full_name,qty}, id)") {
		t.Fatalf("out of step after a rename = %q, want the update trigger naming old and new columns", got)
	}
	if _, err := migrations.InstallCapture(ctx, conn, renamed); err != nil {
		t.Fatal(err)
	}
	if got, err := migrations.CaptureOutOfStep(ctx, conn, renamed); err != nil || len(got) != 0 {
		t.Fatalf("after migrate still out of step: %v, %v", got, err)
	}
}
