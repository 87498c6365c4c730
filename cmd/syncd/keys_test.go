package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/internal/pgtest"
)

// keysConfig is a database with a table without a primary key, and a
// config naming its key: on line 9.
func keysConfig(t *testing.T) (cfg, url string) {
	t.Helper()
	url = pgtest.NewDB(t)
	pgtest.Exec(t, url, `CREATE TABLE dups (k text NOT NULL, d date, note text);
		INSERT INTO dups VALUES ('a', '2024-01-01', 'first'), ('b', '2024-01-01', 'b'), ('a', '2024-01-02', 'second');`)
	cfg = filepath.Join(t.TempDir(), "syncd.yml")
	body := fmt.Sprintf(`postgres:
  url: %s
sheets:
  spreadsheet_id: test-sheet
mirrors:
  - name: dups
    table: public.dups
    sheet: Dups
    key: [k]
`, url)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfg, url
}

// TestMigrateRefusesAKeyWithDuplicates: a key: on a table without a
// primary key used to be accepted whatever the data; every batch of the
// mirror then failed (ON CONFLICT ... a second time). migrate now refuses
// it, naming the config line, the mirror, the key and an example, and
// changes nothing; once the data is unique it passes with a warning
// advising the index, and with the index without one.
func TestMigrateRefusesAKeyWithDuplicates(t *testing.T) {
	cfg, url := keysConfig(t)
	code, out, stderr := runCmd(t, "migrate", "-config", cfg)
	if code == 0 {
		t.Fatalf("migrate accepted a key with duplicates:\n%s", out)
	}
	for _, want := range []string{cfg + ":9:", `mirror "dups"`, "key: [k]", `k "a" is on 2 rows`, "CREATE UNIQUE INDEX ON public.dups (k)"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("migrate's error lacks %q:\n%s", want, stderr)
		}
	}
	var schemas int
	if err := pgxQueryRow(url, `SELECT count(*) FROM pg_namespace WHERE nspname = 'syncd'`, &schemas); err != nil || schemas != 0 {
		t.Fatalf("refused migrate created schema syncd (%d, %v)", schemas, err)
	}

	pgtest.Exec(t, url, `DELETE FROM dups WHERE note = 'second'`)
	code, out, stderr = runCmd(t, "migrate", "-config", cfg)
	if code != 0 {
		t.Fatalf("migrate with unique data: exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "warning: "+cfg+":9:") || !strings.Contains(stderr, "CREATE UNIQUE INDEX ON public.dups (k)") {
		t.Errorf("migrate with unique data but no index: want a warning advising the index, got:\n%s", stderr)
	}

	pgtest.Exec(t, url, `CREATE UNIQUE INDEX ON dups (k)`)
	if code, out, stderr = runCmd(t, "migrate", "-config", cfg); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("migrate with a unique index: exit %d\n%s%s", code, out, stderr)
	}
}

// TestMigrateKeyIndexMustCoverNonNullColumns: a unique index lets rows
// repeat NULL, which syncd's key does not tell apart; an index on a
// subset of the key's columns is enough; a composite duplicate is shown
// with all its columns.
func TestMigrateKeyIndexMustCoverNonNullColumns(t *testing.T) {
	cfg, url := keysConfig(t)
	pgtest.Exec(t, url, `DELETE FROM dups; INSERT INTO dups VALUES ('a', NULL, 'x'), ('a', NULL, 'y'), ('b', '2024-01-01', 'z');
		CREATE UNIQUE INDEX ON dups (k, d)`)
	src, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte(strings.Replace(string(src), "key: [k]", "key: [k, d]", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCmd(t, "migrate", "-config", cfg)
	if code == 0 || !strings.Contains(stderr, `(k, d) = ("a", NULL) is on 2 rows`) {
		t.Fatalf("migrate with NULL-repeating keys under a unique index: exit %d\n%s", code, stderr)
	}
	pgtest.Exec(t, url, `DELETE FROM dups WHERE note = 'y'; CREATE UNIQUE INDEX ON dups (k)`)
	if code, out, stderr := runCmd(t, "migrate", "-config", cfg); code != 0 || strings.Contains(stderr, "warning") {
		t.Fatalf("migrate with a unique index on k (NOT NULL) for key [k, d]: exit %d\n%s%s", code, out, stderr)
	}
}

// TestDoctorNamesAKeyWithDuplicates: doctor fails the key check naming the
// config line, the mirror and an example; with unique data it passes with
// the warning.
func TestDoctorNamesAKeyWithDuplicates(t *testing.T) {
	cfg, url := keysConfig(t)
	stubSheetCheck(t, nil)
	t.Setenv("SYNCD_CREDENTIALS_FILE", "")
	_, out, _ := runCmd(t, "doctor", "-config", cfg)
	expectFail(t, out, "keys identify one row", cfg+":9:", `mirror "dups"`, `k "a" is on 2 rows`)

	pgtest.Exec(t, url, `DELETE FROM dups WHERE note = 'second'`)
	_, out, _ = runCmd(t, "doctor", "-config", cfg)
	if l := doctorLine(t, out, "keys identify one row"); !strings.HasPrefix(l, "ok    ") || !strings.Contains(l, "warning: ") ||
		!strings.Contains(l, "CREATE UNIQUE INDEX ON public.dups (k)") {
		t.Fatalf("doctor with unique data but no index:\n%s", l)
	}
}
