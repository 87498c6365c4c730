package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
)

func TestMain(m *testing.M) {
	// Run as `TESTBINARY COMMAND ...` (see syncdBinary), the test binary is
	// syncd itself, so tests can start real processes and run printed
	// command lines without building another binary.
	if len(os.Args) > 1 && isCommand(os.Args[1]) {
		main()
	}
	os.Exit(pgtest.Main(m))
}

func isCommand(name string) bool {
	for _, c := range commands {
		if c.name == name {
			return true
		}
	}
	return false
}

// syncdBinary is a path that runs syncd as a process: this test binary
// (see TestMain).
func syncdBinary(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// runCmd runs syncd in-process and returns its exit code and output.
func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := NewMain(&out, &errb).Run(context.Background(), args)
	return code, out.String(), errb.String()
}

// writeConfig writes a config mirroring the shiftbot example's tables of a
// fresh database loaded with deploy/examples/shiftbot/schema.sql.
func exampleDB(t *testing.T) (cfgPath, url string) {
	t.Helper()
	url = pgtest.NewDB(t)
	schema, err := os.ReadFile("../../deploy/examples/shiftbot/schema.sql")
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, url, string(schema))
	t.Setenv("DATABASE_URL", url)
	t.Setenv("SYNCD_SPREADSHEET_ID", "test-sheet")
	return "../../deploy/examples/shiftbot/syncd.yml", url
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, c := range commands {
		code, _, stderr := runCmd(t, c.name, "-h")
		if code != 0 || !strings.Contains(stderr, "usage: syncd "+c.name) {
			t.Errorf("syncd %s -h: exit %d, output %q", c.name, code, stderr)
		}
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCmd(t, "version")
	if code != 0 || !strings.HasPrefix(out, "syncd ") {
		t.Fatalf("version: exit %d, %q", code, out)
	}
}

func TestMigrateTwiceIsIdempotent(t *testing.T) {
	cfg, url := exampleDB(t)
	code, out, stderr := runCmd(t, "migrate", "-config", cfg)
	if code != 0 {
		t.Fatalf("first migrate: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "capture triggers installed: public.shifts") {
		t.Fatalf("first migrate output: %s", out)
	}
	before := catalogSnapshot(t, url)
	code, out, stderr = runCmd(t, "migrate", "-config", cfg)
	if code != 0 {
		t.Fatalf("second migrate: exit %d\n%s%s", code, out, stderr)
	}
	if strings.Contains(out, "installed") || strings.Contains(out, "updated") || !strings.Contains(out, "up to date") {
		t.Fatalf("second migrate changed something:\n%s", out)
	}
	if after := catalogSnapshot(t, url); after != before {
		t.Fatalf("catalog changed on the second migrate:\nbefore %s\nafter  %s", before, after)
	}
}

func TestMigrateWithBadTableChangesNothing(t *testing.T) {
	_, url := exampleDB(t)
	src, err := os.ReadFile("../../deploy/examples/shiftbot/syncd.yml")
	if err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "syncd.yml")
	if err := os.WriteFile(bad, bytes.Replace(src, []byte("table: public.ranks"), []byte("table: public.rankz"), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "migrate", "-config", bad)
	if code == 0 {
		t.Fatal("migrate with a missing table exited 0")
	}
	if !strings.Contains(stderr, `mirror "ranks": table public.rankz does not exist`) || !strings.Contains(stderr, bad+":") {
		t.Fatalf("error does not name file, mirror and table:\n%s", stderr)
	}
	var schemas, triggers int
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), `SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'syncd'),
		(SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal)`).Scan(&schemas, &triggers); err != nil {
		t.Fatal(err)
	}
	if schemas != 0 || triggers != 0 {
		t.Fatalf("failed migrate left schema syncd (%d) or triggers (%d) behind", schemas, triggers)
	}
}

// catalogSnapshot fingerprints syncd's triggers, functions and schema version
// (including the catalog rows' xmin, which any re-creation would change).
func catalogSnapshot(t *testing.T, url string) string {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var s string
	err = conn.QueryRow(context.Background(), `SELECT
		(SELECT string_agg(tgname || ':' || xmin::text, ',' ORDER BY tgname, tgrelid) FROM pg_trigger WHERE NOT tgisinternal) || '|' ||
		(SELECT string_agg(proname || ':' || xmin::text, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'syncd'::regnamespace) || '|' ||
		(SELECT version::text FROM syncd.schema_version)`).Scan(&s)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// lockedBuffer is a bytes.Buffer safe to read while the demo writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
