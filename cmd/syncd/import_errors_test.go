package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncd/syncd/sheetsemu"
)

// variantPlan writes the example plan with one replacement applied.
func variantPlan(t *testing.T, old, new string) string {
	t.Helper()
	src, err := os.ReadFile(examplePlan)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(src, []byte(old)) {
		t.Fatalf("example plan has no %q", old)
	}
	p := filepath.Join(t.TempDir(), "import.yml")
	if err := os.WriteFile(p, bytes.Replace(src, []byte(old), []byte(new), 1), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// assertFailsCleanly runs an import that must fail with one stderr line
// containing each of want, exit non-zero, and write nothing.
func assertFailsCleanly(t *testing.T, e *importEnv, args []string, want ...string) {
	t.Helper()
	before := e.written(t)
	code, out, errs := runCmd(t, append([]string{"import", "-config", e.cfg}, args...)...)
	if code == 0 {
		t.Fatalf("exit 0, want failure\n%s", out)
	}
	lines := strings.Split(strings.TrimSpace(errs), "\n")
	if len(lines) != 1 {
		t.Errorf("error is %d lines, want 1:\n%s", len(lines), errs)
	}
	for _, w := range want {
		if !strings.Contains(errs, w) {
			t.Errorf("error does not name %q:\n%s", w, errs)
		}
	}
	if after := e.written(t); after != before {
		t.Errorf("failed import wrote something: %s → %s", before, after)
	}
}

func TestImportPlanNamingMissingTab(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	plan := variantPlan(t, "tab: Ranks", "tab: Rankings")
	for _, mode := range []string{"-dry-run", "-execute"} {
		assertFailsCleanly(t, e, []string{"-plan", plan, mode}, `no tab "Rankings"`)
	}
}

func TestImportPlanNamingMissingColumn(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	plan := variantPlan(t, "from: Sales,", "from: Revenue,")
	assertFailsCleanly(t, e, []string{"-plan", plan, "-execute", "-allow-rejects"},
		`tab "Shifts" has no column "Revenue"`, plan+":")
}

func TestImportPlanNamingMissingTableColumn(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	plan := variantPlan(t, "column: comment,", "column: remarks,")
	assertFailsCleanly(t, e, []string{"-plan", plan, "-dry-run"}, `column "remarks" does not exist in table public.shifts`)
}

func TestImportDatabaseMissingTargetTable(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	if _, err := e.conn.Exec(t.Context(), "DROP TABLE ranks CASCADE"); err != nil {
		t.Fatal(err)
	}
	assertFailsCleanly(t, e, []string{"-plan", examplePlan, "-execute", "-allow-rejects"},
		"table public.ranks", "does not exist in the database")
}

func TestImportSheetNotShared(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	sa, key, err := sheetsemu.GenerateServiceAccount("syncd@example.iam.gserviceaccount.com", os.Getenv("SYNCD_SHEETS_ENDPOINT")+"/token")
	if err != nil {
		t.Fatal(err)
	}
	e.emu.AddServiceAccount(sa)
	other, _, err := sheetsemu.GenerateServiceAccount("someone-else@example.iam.gserviceaccount.com", "")
	if err != nil {
		t.Fatal(err)
	}
	e.emu.AddServiceAccount(other)
	if err := e.emu.Share(e.sheet, other.Email); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "sa.json")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SYNCD_CREDENTIALS_FILE", keyFile)
	assertFailsCleanly(t, e, []string{"-plan", examplePlan, "-dry-run"}, "not shared", e.sheet, sa.Email)
}

func TestImportPlanSyntaxErrorNamesLine(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	plan := variantPlan(t, "type: percent}", "type: percentage}")
	assertFailsCleanly(t, e, []string{"-plan", plan, "-dry-run"}, plan+":", `unknown type "percentage"`)
}
