package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/sheetsemu"
)

const examplePlan = "../../deploy/examples/shiftbot/import.yml"

// legacyFixture is the legacy sheet under testdata/; a missing fixture fails.
func legacyFixture(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "legacy-sheet", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("legacy sheet fixture missing: %v", err)
	}
	return p
}

// importEnv is the example database (schema + `syncd migrate`) and an
// emulator holding the legacy sheet, wired through the example config's
// environment variables.
type importEnv struct {
	cfg, url string
	emu      *sheetsemu.Server
	sheet    string
	conn     *pgx.Conn
}

func newImportEnv(t *testing.T, opts sheetsemu.Options) *importEnv {
	t.Helper()
	e := &importEnv{emu: sheetsemu.New(opts)}
	e.cfg, e.url = exampleDB(t)
	f, err := os.Open(legacyFixture(t, "legacy-shift-bot.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if e.sheet, err = e.emu.Load(f); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	srv := httptest.NewServer(e.emu)
	t.Cleanup(srv.Close)
	t.Setenv("SYNCD_SPREADSHEET_ID", e.sheet)
	t.Setenv("SYNCD_SHEETS_ENDPOINT", srv.URL)
	t.Setenv("SYNCD_CREDENTIALS_FILE", "")
	t.Setenv("SYNCD_LEGACY_SPREADSHEET_ID", "") // the plan falls back to the config's id
	if code, out, errs := runCmd(t, "migrate", "-config", e.cfg); code != 0 {
		t.Fatalf("migrate: exit %d\n%s%s", code, out, errs)
	}
	if e.conn, err = pgx.Connect(context.Background(), e.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close(context.Background()) })
	return e
}

func (e *importEnv) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// written counts everything an import may write.
func (e *importEnv) written(t *testing.T) string {
	t.Helper()
	return fmt.Sprint(
		e.count(t, "SELECT count(*) FROM syncd.sync_log"),
		e.count(t, "SELECT count(*) FROM syncd.imports"),
		e.count(t, "SELECT count(*) FROM syncd.import_rejects"),
		e.count(t, "SELECT count(*) FROM syncd.import_rows"),
		e.count(t, "SELECT count(*) FROM employee_settings"),
		e.count(t, "SELECT count(*) FROM shifts"))
}

// jsonReport is the part of the JSON report the tests read.
type jsonReport struct {
	ImportID int64 `json:"import_id"`
	APICalls int   `json:"api_calls"`
	Tabs     []struct {
		Tab       string            `json:"tab"`
		RowsRead  int               `json:"rows_read"`
		Valid     int               `json:"valid"`
		Rejected  int               `json:"rejected"`
		Sums      map[string]string `json:"sums"`
		Inserted  *int              `json:"inserted"`
		Updated   *int              `json:"updated"`
		Unchanged *int              `json:"unchanged"`
	} `json:"tabs"`
	Rejections []struct {
		Tab    string `json:"tab"`
		Row    int    `json:"row"`
		Column string `json:"column"`
		Kind   string `json:"kind"`
		Value  string `json:"value"`
	} `json:"rejections"`
	Differences []struct {
		Row     int      `json:"row"`
		Key     string   `json:"key"`
		Columns []string `json:"columns"`
	} `json:"differences"`
}

func parseReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out)
	}
	return r
}

// TestImportDryRunJSONMatchesExpectFile: `syncd import -dry-run -json` on
// the shared fixture reports exactly the expect file's valid counts and
// rejected rows, the shifts' sales sum to sum_sales to the cent, the sheet
// is read with one API call, and nothing at all is written.
func TestImportDryRunJSONMatchesExpectFile(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	var want struct {
		Tabs map[string]struct {
			ValidRows int     `json:"valid_rows"`
			SumSales  float64 `json:"sum_sales"`
		} `json:"tabs"`
		Errors []struct {
			Tab    string `json:"tab"`
			Row    int    `json:"row"`
			Kind   string `json:"kind"`
			Column string `json:"column"`
		} `json:"errors"`
	}
	data, err := os.ReadFile(legacyFixture(t, "legacy-shift-bot.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	before := e.written(t)
	code, out, errs := runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-dry-run", "-json")
	if code != 0 {
		t.Fatalf("dry-run: exit %d\n%s", code, errs)
	}
	rep := parseReport(t, out)
	if len(rep.Tabs) != len(want.Tabs) {
		t.Errorf("%d tabs reported, want %d", len(rep.Tabs), len(want.Tabs))
	}
	for _, tab := range rep.Tabs {
		w := want.Tabs[tab.Tab]
		if tab.Valid != w.ValidRows || tab.RowsRead != tab.Valid+tab.Rejected {
			t.Errorf("tab %s: read %d valid %d rejected %d, want valid %d", tab.Tab, tab.RowsRead, tab.Valid, tab.Rejected, w.ValidRows)
		}
		if tab.Tab == "Shifts" && tab.Sums["total_sales"] != fmt.Sprintf("%.2f", w.SumSales) {
			t.Errorf("sum of sales %s, want %.2f", tab.Sums["total_sales"], w.SumSales)
		}
	}
	var got, exp []string
	for _, r := range rep.Rejections {
		got = append(got, fmt.Sprintf("%s!%d %s %s", r.Tab, r.Row, r.Kind, r.Column))
	}
	for _, r := range want.Errors {
		exp = append(exp, fmt.Sprintf("%s!%d %s %s", r.Tab, r.Row, r.Kind, r.Column))
	}
	sort.Strings(got)
	sort.Strings(exp)
	if strings.Join(got, "\n") != strings.Join(exp, "\n") {
		t.Errorf("rejections differ from the expect file:\n got %v\nwant %v", got, exp)
	}
	if rep.APICalls != 1 || e.emu.Stats()[e.sheet].Reads != 1 {
		t.Errorf("read the sheet with %d API calls (emulator counted %d), want 1", rep.APICalls, e.emu.Stats()[e.sheet].Reads)
	}
	if after := e.written(t); after != before {
		t.Errorf("dry-run wrote something: counts %s → %s", before, after)
	}
	code, out, _ = runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-dry-run")
	if code != 0 || !strings.Contains(out, "Shifts") || !strings.Contains(out, "Shifts!68") || !strings.Contains(out, "#REF!") {
		t.Errorf("human dry-run report: exit %d\n%s", code, out)
	}
}

// TestImportExecuteVerifyRollbackCLI runs the modes as an operator would:
// execute refuses without -allow-rejects, imports with it, verify passes,
// a second execute changes nothing, rollback empties the tables again.
func TestImportExecuteVerifyRollbackCLI(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	before := e.written(t)
	code, _, errs := runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-execute")
	if code != 1 || !strings.Contains(errs, "-allow-rejects") {
		t.Fatalf("execute without -allow-rejects: exit %d\n%s", code, errs)
	}
	if after := e.written(t); after != before {
		t.Fatalf("refused execute wrote something: %s → %s", before, after)
	}
	code, out, errs := runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-execute", "-allow-rejects", "-json")
	if code != 0 {
		t.Fatalf("execute: exit %d\n%s", code, errs)
	}
	rep := parseReport(t, out)
	if rep.ImportID == 0 {
		t.Fatalf("no import id in %s", out)
	}
	if n := e.count(t, "SELECT count(*) FROM syncd.sync_log WHERE id = $1 AND direction = 'sheet_to_pg' AND kind = 'import' AND status = 'ok'", rep.ImportID); n != 1 {
		t.Errorf("no sync_log row for import %d", rep.ImportID)
	}
	if n := e.count(t, "SELECT count(*) FROM syncd.import_rejects WHERE import_id = $1", rep.ImportID); n != len(rep.Rejections) {
		t.Errorf("%d rejects stored, %d reported", n, len(rep.Rejections))
	}
	if code, out, errs := runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-verify"); code != 0 {
		t.Fatalf("verify after execute: exit %d\n%s%s", code, out, errs)
	}
	code, out, errs = runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-execute", "-allow-rejects", "-json")
	if code != 0 {
		t.Fatalf("second execute: exit %d\n%s", code, errs)
	}
	for _, tab := range parseReport(t, out).Tabs {
		if tab.Inserted == nil || *tab.Inserted != 0 || *tab.Updated != 0 || *tab.Unchanged != tab.Valid {
			t.Errorf("second execute changed tab %s: %s", tab.Tab, out)
		}
	}
	// Someone edits a shift: verify names the row and column.
	if _, err := e.conn.Exec(context.Background(), "UPDATE shifts SET comment = 'edited' WHERE shift_id = 1001"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-verify", "-json")
	d := parseReport(t, out).Differences
	if code != 1 || len(d) != 1 || d[0].Row != 3 || d[0].Key != "1001" || strings.Join(d[0].Columns, ",") != "comment" {
		t.Fatalf("verify after an edit: exit %d, differences %+v", code, d)
	}
	if _, err := e.conn.Exec(context.Background(), "UPDATE shifts SET comment = '=SUM(A1:A9) is not a formula here' WHERE shift_id = 1001"); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprint(rep.ImportID)
	if code, out, errs := runCmd(t, "import", "-config", e.cfg, "-rollback", id); code != 0 {
		t.Fatalf("rollback %s: exit %d\n%s%s", id, code, out, errs)
	}
	for _, tbl := range []string{"shifts", "employee_settings", "dynamic_rates", "ranks"} {
		if n := e.count(t, "SELECT count(*) FROM "+tbl); n != 0 {
			t.Errorf("after rollback %s has %d rows", tbl, n)
		}
	}
	if code, _, errs := runCmd(t, "import", "-config", e.cfg, "-rollback", id); code != 1 || !strings.Contains(errs, "already rolled back") {
		t.Errorf("second rollback: exit %d\n%s", code, errs)
	}
}

// TestImportUsage: a wrong flag combination is a usage error (exit 2).
func TestImportUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-plan", "x.yml"},
		{"-plan", "x.yml", "-dry-run", "-execute"},
		{"-dry-run"},
		{"-plan", "x.yml", "-from-mirrors", "-dry-run"},
		{"-plan", "x.yml", "-dry-run", "-allow-rejects"},
		{"-rollback", "abc"},
	} {
		if code, _, _ := runCmd(t, append([]string{"import"}, args...)...); code != 2 {
			t.Errorf("import %v: exit %d, want 2", args, code)
		}
	}
}

// TestImportPlanNamesSpreadsheet: the plan's spreadsheet_id (here from
// ${SYNCD_LEGACY_SPREADSHEET_ID}) wins over the config's, which names the
// mirror spreadsheet.
func TestImportPlanNamesSpreadsheet(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	t.Setenv("SYNCD_SPREADSHEET_ID", e.emu.CreateSpreadsheet("mirror"))
	t.Setenv("SYNCD_LEGACY_SPREADSHEET_ID", e.sheet)
	code, out, errs := runCmd(t, "import", "-config", e.cfg, "-plan", examplePlan, "-dry-run", "-json")
	if code != 0 {
		t.Fatalf("dry-run: exit %d\n%s", code, errs)
	}
	if rep := parseReport(t, out); len(rep.Tabs) != 4 || rep.Tabs[3].Valid != 719 {
		t.Errorf("dry-run of the plan's spreadsheet: %s", out)
	}
}
