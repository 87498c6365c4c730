package config

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const good = `postgres:
  url: postgres://localhost/app
sheets:
  spreadsheet_id: abc
mirrors:
  - name: shifts
    table: public.shifts
    sheet: Shifts
    editable: [comment]
`

func TestParseAppliesDefaults(t *testing.T) {
	cfg, err := Parse("syncd.yml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Reconcile.Schedule != DefaultSchedule || cfg.HTTP.Listen != DefaultListen ||
		cfg.Sheets.WriteRequestsPerMinute != 60 || cfg.Sheets.ReadRequestsPerMinute != 60 {
		t.Fatalf("defaults not applied: %+v", cfg)
	}
}

func TestParseExpandsEnv(t *testing.T) {
	t.Setenv("SYNCD_TEST_URL", "postgres://db/x")
	src := strings.Replace(good, "postgres://localhost/app", "${SYNCD_TEST_URL}", 1)
	src = strings.Replace(src, "abc", "${SYNCD_TEST_UNSET_ID:-fallback}", 1)
	cfg, err := Parse("syncd.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Postgres.URL != "postgres://db/x" || cfg.Sheets.SpreadsheetID != "fallback" {
		t.Fatalf("expansion: url %q id %q", cfg.Postgres.URL, cfg.Sheets.SpreadsheetID)
	}
}

// TestParseErrorsNameFileAndLine feeds broken configs and checks that each
// error names the file, the line and the problem.
func TestParseErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"unknown key", func(s string) string {
			return strings.Replace(s, "  spreadsheet_id: abc", "  spreadsheet_id: abc\n  spreadsheet: x", 1)
		},
			`syncd.yml:5: unknown key "spreadsheet" in sheets (did you mean "spreadsheet_id"?)`},
		{"unknown mirror key", func(s string) string {
			return strings.Replace(s, "    editable: [comment]", "    editabel: [comment]", 1)
		},
			`syncd.yml:9: unknown key "editabel" in a mirror (did you mean "editable"?)`},
		{"unknown top-level key", func(s string) string { return s + "reconcil:\n  schedule: \"@every 1m\"\n" },
			`syncd.yml:10: unknown key "reconcil" in the top level (did you mean "reconcile"?)`},
		{"no mirrors key", func(s string) string { return s[:strings.Index(s, "mirrors:")] },
			"syncd.yml:1: no mirrors: section; list the tables to mirror under mirrors:, or write `mirrors: []`"},
		{"missing spreadsheet id", func(s string) string {
			return strings.Replace(s, "  spreadsheet_id: abc\n", "  endpoint: http://x\n", 1)
		},
			"syncd.yml:3: sheets.spreadsheet_id is required"},
		{"bad cron spec", func(s string) string { return s + "reconcile:\n  schedule: every five minutes\n" },
			`syncd.yml:11: reconcile.schedule "every five minutes" is not a cron spec`},
		{"unset env var", func(s string) string { return strings.Replace(s, "abc", "${SYNCD_TEST_SURELY_UNSET}", 1) },
			"syncd.yml:4: environment variable SYNCD_TEST_SURELY_UNSET is not set"},
		{"duplicate sheet", func(s string) string {
			return s + "  - name: other\n    table: public.other\n    sheet: Shifts\n"
		}, `syncd.yml:12: mirror "other": sheet "Shifts" is already used by mirror "shifts" (line 8)`},
		{"table and query", func(s string) string {
			return strings.Replace(s, "    sheet: Shifts", "    sheet: Shifts\n    query: SELECT 1", 1)
		},
			`syncd.yml:9: mirror "shifts": has both table: and query:`},
		{"query without key", func(s string) string {
			return s + "  - name: r\n    query: SELECT 1 AS x\n    sheet: R\n"
		}, `syncd.yml:11: mirror "r": a query: mirror needs key:`},
		{"key is editable", func(s string) string { return strings.Replace(s, "[comment]", "[comment]\n    key: [comment]", 1) },
			`syncd.yml:9: mirror "shifts": editable: "comment" is a key column`},
		{"bad yaml", func(s string) string { return s + "  - name: [unclosed\n" },
			"syncd.yml:9: did not find expected"},
		{"wrong type", func(s string) string {
			return strings.Replace(s, "  spreadsheet_id: abc", "  spreadsheet_id: abc\n  write_requests_per_minute: lots", 1)
		},
			"syncd.yml:5: cannot unmarshal !!str `lots` into int"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("syncd.yml", []byte(c.edit(good)))
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %q\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestResolvePathPrecedence(t *testing.T) {
	t.Setenv("SYNCD_CONFIG", "/env.yml")
	if got := ResolvePath("/flag.yml"); got != "/flag.yml" {
		t.Fatalf("flag: %s", got)
	}
	if got := ResolvePath(""); got != "/env.yml" {
		t.Fatalf("env: %s", got)
	}
	t.Setenv("SYNCD_CONFIG", "")
	if got := ResolvePath(""); got != DefaultPath {
		t.Fatalf("default: %s", got)
	}
}

func resolveDB(t *testing.T) *pgx.Conn {
	t.Helper()
	url := pgtest.NewDB(t)
	pgtest.Exec(t, url, `
		CREATE TYPE st AS ENUM ('open', 'closed');
		CREATE TABLE shifts (shift_id int PRIMARY KEY, shift_date date, total_sales numeric(12,2),
			status st, comment text, meta jsonb, at timestamptz, price money);
		CREATE TABLE nokey (a int, b text);`)
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func TestResolveReadsTypesFromTheCatalog(t *testing.T) {
	conn := resolveDB(t)
	cfg, err := Parse("syncd.yml", []byte(good+`  - name: report
    query: SELECT shift_date AS day, sum(total_sales) AS sales FROM shifts GROUP BY 1
    sheet: Report
    key: [day]
    depends_on: [shifts]
`))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := cfg.Resolve(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	m := ms[0]
	if m.Table != "public.shifts" || strings.Join(m.KeyNames(), ",") != "shift_id" || len(m.Editable) != 1 || m.Columns[m.Editable[0]].Name != "comment" {
		t.Fatalf("resolved mirror: %+v", m)
	}
	kinds := map[string]syncd.ColumnKind{}
	for _, c := range m.Columns {
		kinds[c.Name] = c.Kind
	}
	want := map[string]syncd.ColumnKind{"shift_id": syncd.KindInt, "shift_date": syncd.KindDate, "total_sales": syncd.KindNumeric,
		"status": syncd.KindText, "comment": syncd.KindText, "meta": syncd.KindJSON, "at": syncd.KindTimestampTZ, "price": syncd.KindNumeric}
	for n, k := range want {
		if kinds[n] != k {
			t.Errorf("column %s: kind %v, want %v", n, kinds[n], k)
		}
	}
	if c := m.Columns[2]; c.Type != "numeric(12,2)" || c.Scale != 2 {
		t.Errorf("total_sales: type %q scale %d", c.Type, c.Scale)
	}
	r := ms[1]
	if !r.IsQuery() || r.Columns[0].Kind != syncd.KindDate || r.Columns[1].Kind != syncd.KindNumeric || r.DependsOn[0] != "public.shifts" {
		t.Fatalf("query mirror: %+v", r)
	}
}

func TestResolveErrorsNameMirrorTableAndLine(t *testing.T) {
	conn := resolveDB(t)
	cases := []struct {
		name, yml, want string
	}{
		{"missing table", strings.Replace(good, "public.shifts", "public.shiftz", 1),
			`syncd.yml:7: mirror "shifts": table public.shiftz does not exist`},
		{"no primary key", strings.Replace(good, "public.shifts", "public.nokey", 1) + "",
			`syncd.yml:7: mirror "shifts": table public.nokey has no primary key`},
		{"bad column", strings.Replace(good, "    editable: [comment]", "    columns: [shift_id, shift_dat]", 1),
			`syncd.yml:9: mirror "shifts": columns: public.shifts.shift_dat is not a column of table public.shifts`},
		{"bad editable", strings.Replace(good, "[comment]", "[coment]", 1),
			`syncd.yml:9: mirror "shifts": editable: public.shifts.coment is not a column`},
		{"editable not mirrored", strings.Replace(good, "    editable: [comment]", "    columns: [shift_id]\n    editable: [comment]", 1),
			`syncd.yml:10: mirror "shifts": editable: "comment" is not among the mirrored columns`},
		{"bad query", good + "  - name: r\n    query: SELECT nope FROM shifts\n    sheet: R\n    key: [nope]\n",
			`syncd.yml:11: mirror "r": query does not run`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse("syncd.yml", []byte(c.yml))
			if err != nil {
				t.Fatal(err)
			}
			_, err = cfg.Resolve(context.Background(), conn)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

// TestUnknownKeyFarFromAnyHasNoSuggestion: a guess only when one is close.
func TestUnknownKeyFarFromAnyHasNoSuggestion(t *testing.T) {
	_, err := Parse("syncd.yml", []byte(strings.Replace(good, "  spreadsheet_id: abc", "  spreadsheet_id: abc\n  colour: red", 1)))
	if err == nil || !strings.Contains(err.Error(), `syncd.yml:5: unknown key "colour" in sheets`) || strings.Contains(err.Error(), "did you mean") {
		t.Fatalf("error = %v", err)
	}
}

// TestNoMirrorsYetIsValid: `mirrors: []` is how a deployment starts.
func TestNoMirrorsYetIsValid(t *testing.T) {
	src := good[:strings.Index(good, "mirrors:")] + "mirrors: []\n"
	cfg, err := Parse("syncd.yml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Mirrors) != 0 {
		t.Fatalf("mirrors = %v", cfg.Mirrors)
	}
}

// TestUnsetVariablesAreOnePerLineAndClassified: each unset ${NAME} is its
// own line with its own line number, and errors.Is finds ErrEnvUnset so
// callers can say where the variables are normally set.
func TestUnsetVariablesAreOnePerLineAndClassified(t *testing.T) {
	src := strings.Replace(good, "postgres://localhost/app", "${SYNCD_TEST_UNSET_A}", 1)
	src = strings.Replace(src, "abc", "${SYNCD_TEST_UNSET_B}", 1)
	_, err := Parse("syncd.yml", []byte(src))
	if !errors.Is(err, ErrEnvUnset) {
		t.Fatalf("error %v does not wrap ErrEnvUnset", err)
	}
	want := "syncd.yml:2: environment variable SYNCD_TEST_UNSET_A is not set\nsyncd.yml:4: environment variable SYNCD_TEST_UNSET_B is not set"
	if err.Error() != want {
		t.Fatalf("error =\n%s\nwant\n%s", err, want)
	}
	if h := EnvHint("doctor"); !strings.Contains(h, DefaultEnvFile) || !strings.Contains(h, "exec syncd doctor") {
		t.Fatalf("EnvHint = %q", h)
	}
}

// TestOpenMissingFileNamesTheWaysToGiveOne: the default path's error
// names -config and SYNCD_CONFIG; a given path's says where it came from.
func TestOpenMissingFileNamesTheWaysToGiveOne(t *testing.T) {
	t.Setenv("SYNCD_CONFIG", "")
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), "-config FILE") || !strings.Contains(err.Error(), "$SYNCD_CONFIG") ||
		!strings.Contains(err.Error(), DefaultPath) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("default path: %v", err)
	}
	missing := t.TempDir() + "/nope.yml"
	t.Setenv("SYNCD_CONFIG", missing)
	if _, err := Open(""); err == nil || !strings.Contains(err.Error(), missing+" (named by $SYNCD_CONFIG") {
		t.Fatalf("SYNCD_CONFIG: %v", err)
	}
	if _, err := Open(missing); err == nil || !strings.Contains(err.Error(), missing+" (given by -config") {
		t.Fatalf("-config: %v", err)
	}
}
