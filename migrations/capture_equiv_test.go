package migrations_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/migrations"
)

// TestPerOperationCaptureRecordsWhatTheGenericFunctionDid runs the same
// seeded random statements (multi-row inserts, updates of mirrored and
// unmirrored columns, no-op updates, numeric scale changes, key updates
// and shifts, deletes, truncates) and schema changes (columns added,
// dropped, renamed, retyped, mirrored ones included) on two identical
// tables: one captured by the per-operation functions InstallCapture
// installs, one by the generic syncd.capture() of 003_capture.sql as
// earlier versions installed it. After every statement both must have
// recorded the same entries (op and key bytes), for a one-column and a
// two-column key.
func TestPerOperationCaptureRecordsWhatTheGenericFunctionDid(t *testing.T) {
	for _, key := range [][]string{{"id"}, {"id", "b"}} {
		t.Run(strings.Join(key, ","), func(t *testing.T) {
			conn, _ := setup(t)
			ctx := context.Background()
			cols := []string{"id", "b", "name", "qty", "j"}
			for _, tbl := range []string{"gen", "per"} {
				exec(t, conn, `CREATE TABLE `+tbl+` (id int, b text, name text, qty numeric, note text, j json,
					PRIMARY KEY (`+strings.Join(key, ", ")+`))`)
			}
			if _, err := migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{
				{Table: "public.per", Key: key, Columns: cols},
			}); err != nil {
				t.Fatal(err)
			}
			installGeneric(t, conn, "gen", key, cols)
			compareCapture(t, conn, randomStatements(t))
		})
	}
}

// installGeneric installs the four triggers earlier versions installed:
// all calling syncd.capture() with the mirrored columns and the key.
func installGeneric(t *testing.T, conn *pgx.Conn, tbl string, key, cols []string) {
	t.Helper()
	args := "'{" + strings.Join(cols, ",") + "}', '" + strings.Join(key, "', '") + "'"
	exec(t, conn, `CREATE TRIGGER syncd_capture_ins AFTER INSERT ON `+tbl+` REFERENCING NEW TABLE AS new_rows
		FOR EACH STATEMENT EXECUTE FUNCTION syncd.capture(`+args+`);
	CREATE TRIGGER syncd_capture_upd AFTER UPDATE ON `+tbl+` REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
		FOR EACH STATEMENT EXECUTE FUNCTION syncd.capture(`+args+`);
	CREATE TRIGGER syncd_capture_del AFTER DELETE ON `+tbl+` REFERENCING OLD TABLE AS old_rows
		FOR EACH STATEMENT EXECUTE FUNCTION syncd.capture(`+args+`);
	CREATE TRIGGER syncd_capture_trunc AFTER TRUNCATE ON `+tbl+` FOR EACH STATEMENT EXECUTE FUNCTION syncd.capture()`)
}

// randomStatements returns seeded statements (SYNCD_SEED to repeat,
// SYNCD_DDL_STEPS for more) with %[1]s for the table.
func randomStatements(t *testing.T) []string {
	seed := rand.Uint64()
	if s := os.Getenv("SYNCD_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	steps := 150
	if s := os.Getenv("SYNCD_DDL_STEPS"); s != "" {
		steps, _ = strconv.Atoi(s)
	}
	t.Logf("seed %d (SYNCD_SEED=%d to repeat)", seed, seed)
	r := rand.New(rand.NewPCG(seed, 1))
	name, next, extra := "name", 0, 0
	var out []string
	for range steps {
		lo := r.IntN(next + 1)
		hi := lo + r.IntN(4)
		where := fmt.Sprintf(" WHERE id BETWEEN %d AND %d", lo, hi)
		var s string
		switch r.IntN(16) {
		case 0, 1, 2:
			n := 1 + r.IntN(4)
			s = fmt.Sprintf(`INSERT INTO %%[1]s (id, b, %s, qty, note, j) SELECT g, 'b' || mod(g, 3), 'n' || g, 1.5, 'x', '{"a": 1}'
				FROM generate_series(%d, %d) g`, name, next+1, next+n)
			next += n
		case 3:
			s = "UPDATE %[1]s SET " + name + " = " + name + " || 'y'" + where
		case 4:
			s = "UPDATE %[1]s SET note = note || 'z'" + where // unmirrored only
		case 5:
			s = "UPDATE %[1]s SET " + name + " = " + name + where // changes nothing
		case 6:
			s = "UPDATE %[1]s SET qty = qty * 1.0" + where // same value, another scale
		case 7:
			s = `UPDATE %[1]s SET j = '{"a":` + strconv.Itoa(r.IntN(2)) + `}'` + where
		case 8:
			s = "UPDATE %[1]s SET id = id + 1000" + where // key update
		case 9:
			s = "UPDATE %[1]s SET b = b || 'k'" + where // part of a composite key
		case 10:
			s = "DELETE FROM %[1]s" + where
		case 11:
			s = "UPDATE %[1]s SET " + name + " = NULL" + where
		case 12:
			extra++
			s = "ALTER TABLE %[1]s ADD COLUMN c" + strconv.Itoa(extra) + " int DEFAULT 1"
		case 13:
			s = "ALTER TABLE %[1]s DROP COLUMN IF EXISTS c" + strconv.Itoa(r.IntN(extra+1))
		case 14:
			to := map[string]string{"name": "full_name", "full_name": "name"}[name]
			s, name = "ALTER TABLE %[1]s RENAME COLUMN "+name+" TO "+to, to
		case 15:
			if r.IntN(4) == 0 {
				s = "TRUNCATE %[1]s"
			} else {
				s = "ALTER TABLE %[1]s ALTER COLUMN qty TYPE " + []string{"numeric", "text", "numeric(10,3)"}[r.IntN(3)] + " USING qty::text::numeric"
			}
		}
		out = append(out, s)
	}
	return out
}

// compareCapture runs each statement on tables gen and per and checks that
// both recorded the same entries.
func compareCapture(t *testing.T, conn *pgx.Conn, stmts []string) {
	t.Helper()
	for i, s := range stmts {
		for _, tbl := range []string{"gen", "per"} {
			if _, err := conn.Exec(context.Background(), fmt.Sprintf(s, tbl)); err != nil && !strings.Contains(err.Error(), "does not exist") {
				t.Fatalf("step %d: %s: %v", i, fmt.Sprintf(s, tbl), err)
			}
		}
		gen, per := entries(t, conn, "gen"), entries(t, conn, "per")
		if !slices.Equal(gen, per) {
			t.Fatalf("step %d: %s\ngeneric recorded       %q\nper-operation recorded %q", i, fmt.Sprintf(s, "t"), gen, per)
		}
		exec(t, conn, "DELETE FROM syncd.changes")
	}
}

// entries are tbl's outbox entries as sorted "op key" strings.
func entries(t *testing.T, conn *pgx.Conn, tbl string) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT op::text || ' ' || coalesce(key::text, '-')
		FROM syncd.changes WHERE tbl = $1::regclass ORDER BY 1`, tbl)
	if err != nil {
		t.Fatal(err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestColumnsNamedLikeTheFunctionsVariables: the transition tables carry
// the application's columns, so a column named like a PL/pgSQL variable or
// an alias of the capture queries (tg_argv, tg_relid, n, o, r, ...) must
// neither make a statement ambiguous nor be read instead of the row. Keys
// and mirrored columns with such names are recorded exactly.
func TestColumnsNamedLikeTheFunctionsVariables(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	names := []string{"n", "o", "r", "c", "x", "y", "k", "jk", "tg_argv", "tg_relid", "tg_nargs", "tg_op", "found", "mirrored", "keycols", "new", "old"}
	defs := make([]string, len(names))
	for i, n := range names {
		defs[i] = ident(n) + " int"
	}
	cases := []struct {
		tbl  string
		key  []string
		want string
	}{
		{"v1", []string{"tg_argv"}, `I {"tg_argv": 1}|U {"tg_argv": 1}|D {"tg_argv": 1} U {"tg_argv": 2}|D {"tg_argv": 2}`},
		{"v2", []string{"n", "o"}, `I {"n": 1, "o": 1}|U {"n": 1, "o": 1}|D {"n": 1, "o": 1} U {"n": 2, "o": 1}|D {"n": 2, "o": 1}`},
	}
	var tables []migrations.CaptureTable
	for _, c := range cases {
		exec(t, conn, `CREATE TABLE `+c.tbl+` (`+strings.Join(defs, ", ")+`)`)
		tables = append(tables, migrations.CaptureTable{Table: "public." + c.tbl, Key: c.key, Columns: names})
	}
	if _, err := migrations.InstallCapture(ctx, conn, tables); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		keySet := ident(c.key[0]) + " = 2"
		var got []string
		for _, s := range []string{
			`INSERT INTO ` + c.tbl + ` (` + strings.Join(quoteAll(names), ", ") + `) VALUES (` + strings.Repeat("1, ", len(names)-1) + `1)`,
			`UPDATE ` + c.tbl + ` SET r = 5, tg_relid = 6, jk = 7`,
			`UPDATE ` + c.tbl + ` SET ` + keySet,
			`DELETE FROM ` + c.tbl,
		} {
			if _, err := conn.Exec(ctx, s); err != nil {
				t.Fatalf("%s: %v", s, err)
			}
			got = append(got, strings.Join(entries(t, conn, c.tbl), " "))
			exec(t, conn, "DELETE FROM syncd.changes")
		}
		if strings.Join(got, "|") != c.want {
			t.Errorf("%s: outbox per statement = %q, want %q", c.tbl, strings.Join(got, "|"), c.want)
		}
	}
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = ident(n)
	}
	return out
}

// TestInstallCaptureReplacesTheGenericTriggers: a table still carrying the
// triggers of an earlier version (every operation calling syncd.capture())
// is reported out of step and then moved to the per-operation functions by
// InstallCapture, its TRUNCATE trigger left as it was.
func TestInstallCaptureReplacesTheGenericTriggers(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	exec(t, conn, `CREATE TABLE old (id int PRIMARY KEY, v text)`)
	installGeneric(t, conn, "old", []string{"id"}, []string{"id", "v"})
	tables := []migrations.CaptureTable{
		{Table: "public.items", Key: []string{"id"}, Columns: []string{"id", "name", "qty"}},
		{Table: "public.old", Key: []string{"id"}, Columns: []string{"id", "v"}},
	}
	stale, err := migrations.CaptureOutOfStep(ctx, conn, tables)
	if err != nil {
		t.Fatal(err)
	}
	if len(stale) != 3 || !strings.Contains(stale[0], "calls syncd.capture({id,v}, id), the config needs syncd.record_insert(id)") {
		t.Fatalf("out of step = %q, want the three row triggers calling syncd.capture", stale)
	}
	res, err := migrations.InstallCapture(ctx, conn, tables)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Updated, ",") != "public.old" || strings.Join(res.Unchanged, ",") != "public.items" {
		t.Fatalf("install = %+v, want public.old updated", res)
	}
	rows, err := conn.Query(ctx, `SELECT tgname || ' ' || tgfoid::regprocedure::text FROM pg_trigger
		WHERE tgrelid = 'old'::regclass ORDER BY tgname`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"syncd_capture_del syncd.record_delete()", "syncd_capture_ins syncd.record_insert()",
		"syncd_capture_trunc syncd.capture()", "syncd_capture_upd syncd.record_update()"}
	if !slices.Equal(got, want) {
		t.Fatalf("triggers after install = %q, want %q", got, want)
	}
}

// TestCompositeKeyColumnGoneIsAFullResync: after the application renames
// one column of a two-column key, inserts, updates (of several rows at
// once) and deletes still succeed, and each changed row records a key the
// daemon reads as a full resync, never a wrong key.
func TestCompositeKeyColumnGoneIsAFullResync(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	exec(t, conn, `CREATE TABLE pair (a int, b int, v text, PRIMARY KEY (a, b))`)
	if _, err := migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{
		{Table: "public.pair", Key: []string{"a", "b"}, Columns: []string{"a", "b", "v"}},
	}); err != nil {
		t.Fatal(err)
	}
	exec(t, conn, `INSERT INTO pair SELECT g, g, 'x' FROM generate_series(1, 3) g`)
	exec(t, conn, `DELETE FROM syncd.changes`)
	exec(t, conn, `ALTER TABLE pair RENAME COLUMN b TO bb`)
	for _, c := range []struct{ sql, want string }{
		{`INSERT INTO pair VALUES (4, 4, 'y')`, `I {"a": 4, "b": null}`},
		{`UPDATE pair SET v = 'z' WHERE a <= 2`, `U {"a": 1, "b": null} U {"a": 2, "b": null}`},
		{`UPDATE pair SET a = a + 10 WHERE a = 3`, `U {"a": 13, "b": null}`},
		{`DELETE FROM pair WHERE a = 4`, `D {"a": 4, "b": null}`},
	} {
		if _, err := conn.Exec(ctx, c.sql); err != nil {
			t.Fatalf("%s: the application's write failed: %v", c.sql, err)
		}
		if got := strings.Join(entries(t, conn, "pair"), " "); got != c.want {
			t.Errorf("%s: outbox = %q, want %q", c.sql, got, c.want)
		}
		markers := outboxAny(t, conn) // also empties the outbox
		for _, m := range markers {
			if m != "T:-" {
				t.Errorf("%s: the daemon reads %q, want a full resync (T:-)", c.sql, m)
			}
		}
	}
}
