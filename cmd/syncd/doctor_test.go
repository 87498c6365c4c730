package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

const testEmail = "syncd@shiftbot-123.iam.gserviceaccount.com"

// defaultSheetCheck is the real check, saved before any test stubs it.
var defaultSheetCheck = sheetCheck

// doctorSetup is the shiftbot example database with a private service
// account key and a spreadsheet check that succeeds; migrate says whether
// `syncd migrate` has been run.
func doctorSetup(t *testing.T, migrate bool) (cfg, dbURL, creds string) {
	t.Helper()
	cfg, dbURL = exampleDB(t)
	creds = filepath.Join(t.TempDir(), "service-account.json")
	if err := os.WriteFile(creds, testKey(t), 0o640); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SYNCD_CREDENTIALS_FILE", creds)
	stubSheetCheck(t, nil)
	if migrate {
		if code, out, stderr := runCmd(t, "migrate", "-config", cfg); code != 0 {
			t.Fatalf("migrate: exit %d\n%s%s", code, out, stderr)
		}
	}
	return cfg, dbURL, creds
}

var (
	testKeyOnce sync.Once
	testKeyJSON []byte
	testKeyErr  error
)

// testKey is a service account key for testEmail (generated once per test
// binary: RSA key generation is slow under -race).
func testKey(t *testing.T) []byte {
	t.Helper()
	testKeyOnce.Do(func() {
		_, testKeyJSON, testKeyErr = sheetsemu.GenerateServiceAccount(testEmail, "http://127.0.0.1:1/token")
	})
	if testKeyErr != nil {
		t.Fatal(testKeyErr)
	}
	return testKeyJSON
}

func stubSheetCheck(t *testing.T, err error) {
	t.Helper()
	old := sheetCheck
	sheetCheck = func(context.Context, *config.Config, string, string) error { return err }
	t.Cleanup(func() { sheetCheck = old })
}

// doctorLine returns doctor's line for a check (and its fix lines).
func doctorLine(t *testing.T, out, check string) string {
	t.Helper()
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if len(l) > 6 && strings.HasPrefix(l[6:], check) {
			j := i + 1
			for j < len(lines) && strings.HasPrefix(lines[j], "      ") { // detail and fix lines
				j++
			}
			return strings.Join(lines[i:j], "\n")
		}
	}
	t.Fatalf("doctor printed no line for %q:\n%s", check, out)
	return ""
}

func expectFail(t *testing.T, out, check string, want ...string) string {
	t.Helper()
	l := doctorLine(t, out, check)
	if !strings.HasPrefix(l, "FAIL  ") || !strings.Contains(l, "fix: ") {
		t.Fatalf("%s: want FAIL with a fix, got:\n%s\n\nfull output:\n%s", check, l, out)
	}
	for _, w := range want {
		if !strings.Contains(l, w) {
			t.Fatalf("%s: want %q in:\n%s", check, w, l)
		}
	}
	return l
}

func TestDoctorHealthySetupPasses(t *testing.T) {
	cfg, _, _ := doctorSetup(t, true)
	code, out, stderr := runCmd(t, "doctor", "-config", cfg)
	if code != 0 || strings.Contains(out, "FAIL") || strings.Contains(out, "skip") {
		t.Fatalf("doctor on a healthy setup: exit %d\n%s%s", code, out, stderr)
	}
	for _, c := range []string{"config valid", "credentials file not world-readable", "Postgres reachable", "privileges syncd needs",
		"schema migrated", "capture triggers", "writers can record changes", "spreadsheet reachable"} {
		if l := doctorLine(t, out, c); !strings.HasPrefix(l, "ok    ") {
			t.Fatalf("%s: %s", c, l)
		}
	}
	if l := doctorLine(t, out, "service account"); !strings.Contains(l, testEmail) {
		t.Fatalf("service account line does not show the email: %s", l)
	}
}

func TestDoctorMissingDisabledAndStaleTriggersFail(t *testing.T) {
	cfg, dbURL, _ := doctorSetup(t, true)
	pgtest.Exec(t, dbURL, `
		DROP TRIGGER syncd_capture_upd ON public.shifts;
		ALTER TABLE public.ranks DISABLE TRIGGER syncd_capture_del;
		CREATE TABLE public.retired (id int PRIMARY KEY);
		CREATE FUNCTION public.noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END';
		CREATE TRIGGER syncd_capture_ins AFTER INSERT ON public.retired FOR EACH STATEMENT EXECUTE FUNCTION public.noop();`)
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "capture triggers",
		"public.shifts lacks syncd_capture_upd",
		"public.ranks has syncd_capture_del disabled",
		"left on tables no longer mirrored: public.retired",
		"fix: syncd migrate -config "+cfg,
		"fix: ALTER TABLE public.ranks ENABLE TRIGGER syncd_capture_del;")
}

func TestDoctorUnmigratedSchemaFails(t *testing.T) {
	cfg, _, _ := doctorSetup(t, false)
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "schema migrated", "version 0, this syncd needs", "fix: syncd migrate -config "+cfg)
	expectFail(t, out, "capture triggers", "public.shifts lacks syncd_capture_ins")
}

func TestDoctorWorldReadableCredentialsFail(t *testing.T) {
	cfg, _, creds := doctorSetup(t, true)
	if err := os.Chmod(creds, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "credentials file not world-readable", "world-readable (mode 0644)", "fix: chmod 0640 "+creds)
}

func TestDoctorSpreadsheetNotSharedFailsNamingTheServiceAccount(t *testing.T) {
	cfg, _, _ := doctorSetup(t, true)
	stubSheetCheck(t, fmt.Errorf("the service account cannot open spreadsheet test-sheet: %w", sheets.ErrNotShared))
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "spreadsheet reachable", "permission denied", "Share it with "+testEmail+" as Editor")
}

func TestDoctorInvalidConfigFailsAndSkipsTheRest(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "syncd.yml")
	if err := os.WriteFile(bad, []byte("postgres:\n  url: x\nmirrors: []\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCmd(t, "doctor", "-config", bad)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "config valid", `unknown key "bogus"`)
	if l := doctorLine(t, out, "Postgres reachable"); !strings.HasPrefix(l, "skip") {
		t.Fatalf("Postgres check not skipped after a bad config: %s", l)
	}
}

func TestDoctorUnreachableDatabaseFails(t *testing.T) {
	cfg, _, _ := doctorSetup(t, false)
	// sslmode=prefer (libpq's default) makes pgx try each address twice;
	// the dial error is printed once.
	t.Setenv("DATABASE_URL", "postgres://syncd@127.0.0.1:1/nothing?connect_timeout=2&sslmode=prefer")
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	l := expectFail(t, out, "Postgres reachable", "connect to postgres", "pg_isready")
	if n := strings.Count(l, "dial error"); n != 1 {
		t.Fatalf("the dial error is printed %d times, want once:\n%s", n, l)
	}
}

// TestDoctorConfigErrorsOnePerLineAndUnsetVariablesNameTheEnvFile runs
// doctor as the README shows it, without syncd.env loaded: each unset
// variable is its own line, and the fix says where they are normally set
// and how to load them, instead of blaming "the line shown".
func TestDoctorConfigErrorsOnePerLineAndUnsetVariablesNameTheEnvFile(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	os.Unsetenv("DATABASE_URL")
	t.Setenv("SYNCD_SPREADSHEET_ID", "")
	os.Unsetenv("SYNCD_SPREADSHEET_ID")
	code, out, _ := runCmd(t, "doctor", "-config", "../../deploy/syncd.yml.example")
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	l := expectFail(t, out, "config valid", config.DefaultEnvFile, "exec syncd doctor")
	lines := strings.Split(l, "\n")
	if len(lines) < 3 || !strings.HasSuffix(lines[1], "environment variable DATABASE_URL is not set") ||
		!strings.HasSuffix(lines[2], "environment variable SYNCD_SPREADSHEET_ID is not set") || strings.Contains(l, "line shown") {
		t.Fatalf("want one line per unset variable and the env file as the fix:\n%s", l)
	}
}

// TestRunWithoutConfigNamesTheWaysToGiveOne: the newcomer's first `syncd
// run` learns of -config and SYNCD_CONFIG.
func TestRunWithoutConfigNamesTheWaysToGiveOne(t *testing.T) {
	t.Setenv("SYNCD_CONFIG", "")
	code, _, stderr := runCmd(t, "run")
	if code != 1 || !strings.Contains(stderr, "-config FILE") || !strings.Contains(stderr, "$SYNCD_CONFIG") || !strings.Contains(stderr, config.DefaultPath) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}

// TestDoctorLeastPrivilegeGrantsAreEnough starts from a role with no
// privileges, applies exactly the GRANTs doctor prints, and checks that
// migrate then works as that role and that the application's role can
// still write once doctor's second fix is applied: the fix texts are
// complete and the role needs nothing more.
func TestDoctorLeastPrivilegeGrantsAreEnough(t *testing.T) {
	cfg, adminURL, _ := doctorSetup(t, false)
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	role, app := db+"_syncd", db+"_app"
	pgtest.Exec(t, adminURL, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'pw'; CREATE ROLE %s LOGIN PASSWORD 'pw'", role, app))
	t.Cleanup(func() {
		pgtest.Exec(t, adminURL, fmt.Sprintf("DROP OWNED BY %s, %s CASCADE; DROP ROLE %s; DROP ROLE %s", role, app, role, app))
	})
	as := func(r string) string {
		v := *u
		v.User = url.UserPassword(r, "pw")
		return v.String()
	}
	t.Setenv("DATABASE_URL", as(role))

	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	l := expectFail(t, out, "privileges syncd needs", "GRANT CREATE ON DATABASE "+db+" TO "+role, "GRANT SELECT, TRIGGER ON public.shifts TO "+role,
		"GRANT UPDATE (comment) ON public.shifts TO "+role)
	applyFixes(t, adminURL, l)

	code, out, _ = runCmd(t, "doctor", "-config", cfg)
	if l := doctorLine(t, out, "privileges syncd needs"); !strings.HasPrefix(l, "ok") {
		t.Fatalf("privileges still missing after applying doctor's GRANTs:\n%s", out)
	}
	if code, o, e := runCmd(t, "migrate", "-config", cfg); code != 0 {
		t.Fatalf("migrate as the least-privilege role: exit %d\n%s%s", code, o, e)
	}

	// The application writes shifts; its writes fire syncd's triggers.
	pgtest.Exec(t, adminURL, fmt.Sprintf("GRANT INSERT, UPDATE, DELETE, SELECT ON public.shifts TO %s", app))
	code, out, _ = runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	l = expectFail(t, out, "writers can record changes", "role "+app+" writes public.shifts but cannot insert into syncd.changes")
	applyFixes(t, adminURL, l)
	code, out, _ = runCmd(t, "doctor", "-config", cfg)
	if code != 0 {
		t.Fatalf("doctor after applying every fix: exit %d\n%s", code, out)
	}
	pgtest.Exec(t, adminURL, "INSERT INTO public.employee_settings (employee_id, name) VALUES (7, 'Ann')")
	insertShift(t, as(app))
	var n int
	if err := pgxQueryRow(adminURL, "SELECT count(*) FROM syncd.changes WHERE tbl = 'public.shifts'::regclass", &n); err != nil || n != 1 {
		t.Fatalf("syncd.changes holds %d entries (%v), want the application's 1", n, err)
	}
}

// applyFixes runs the SQL lines of a doctor fix as the superuser.
func applyFixes(t *testing.T, adminURL, line string) {
	t.Helper()
	sqlLine := regexp.MustCompile(`(?m)^      fix: ((?:GRANT|CREATE|ALTER) .*)$`)
	n := 0
	for _, m := range sqlLine.FindAllStringSubmatch(line, -1) {
		pgtest.Exec(t, adminURL, m[1])
		n++
	}
	if n == 0 {
		t.Fatalf("no SQL in the fix:\n%s", line)
	}
}

// insertShift inserts a shift as the application role: it works only if
// the capture trigger, running as that role, may record the change.
func insertShift(t *testing.T, appURL string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, appURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "INSERT INTO public.shifts (shift_id, shift_date, employee_id) VALUES (1, '2026-11-22', 7)"); err != nil {
		t.Fatalf("the application's insert failed: %v", err)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM syncd.changes").Scan(&n); err == nil {
		t.Fatal("the application role may read syncd.changes; it should only insert")
	}
}

func pgxQueryRow(dbURL, sql string, dest ...any) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.QueryRow(ctx, sql).Scan(dest...)
}

// TestDoctorChecksSharingThroughTheSheetsAPI runs the real spreadsheet check
// against the emulator with service-account authentication: unshared, the
// check fails naming the account to share with; shared, it passes.
func TestDoctorChecksSharingThroughTheSheetsAPI(t *testing.T) {
	cfg, _, creds := doctorSetup(t, true)
	sheetCheck = defaultSheetCheck // undo doctorSetup's stub
	emu := sheetsemu.New(sheetsemu.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	sa, key, err := sheetsemu.GenerateServiceAccount(testEmail, srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	emu.AddServiceAccount(sa)
	if err := os.WriteFile(creds, key, 0o600); err != nil {
		t.Fatal(err)
	}
	id := emu.CreateSpreadsheet("shiftbot")
	// Shared with its owner only, as a new spreadsheet is.
	if err := emu.Share(id, "accountant@example.com"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SYNCD_SPREADSHEET_ID", id)
	t.Setenv("SYNCD_SHEETS_ENDPOINT", srv.URL)

	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d with an unshared spreadsheet, want 1:\n%s", code, out)
	}
	expectFail(t, out, "spreadsheet reachable", "Share it with "+testEmail+" as Editor")

	if err := emu.Share(id, testEmail); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "doctor", "-config", cfg)
	if l := doctorLine(t, out, "spreadsheet reachable"); code != 0 || !strings.HasPrefix(l, "ok") || !strings.Contains(l, "shared with "+testEmail) {
		t.Fatalf("exit %d after sharing:\n%s", code, out)
	}
}

// TestDeploymentDocRoleSQLIsEnough runs the SQL of docs/DEPLOYMENT.md step 3
// (with this test's database and role names) and checks that doctor then
// passes and migrate works as that role: the documented least privilege is
// complete.
func TestDeploymentDocRoleSQLIsEnough(t *testing.T) {
	cfg, adminURL, _ := doctorSetup(t, false)
	doc, err := os.ReadFile("../../docs/DEPLOYMENT.md")
	if err != nil {
		t.Fatal(err)
	}
	step := string(doc)
	step = step[strings.Index(step, "## 3. "):]
	step = step[:strings.Index(step, "## 4. ")]
	blocks := regexp.MustCompile("(?s)```sql\n(.*?)```").FindAllStringSubmatch(step, -1)
	if len(blocks) != 2 {
		t.Fatalf("step 3 has %d sql blocks, want 2 (syncd's role, the application's grants)", len(blocks))
	}
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatal(err)
	}
	db := strings.TrimPrefix(u.Path, "/")
	role, app := db+"_syncd", db+"_app"
	rename := strings.NewReplacer("DATABASE shiftbot", "DATABASE "+db, "ROLE syncd ", "ROLE "+role+" ",
		"TO syncd;", "TO "+role+";", "TO shiftbot_app;", "TO "+app+";", "'choose-a-long-random-password'", "'pw'")
	pgtest.Exec(t, adminURL, fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD 'pw'", app))
	t.Cleanup(func() {
		pgtest.Exec(t, adminURL, fmt.Sprintf("DROP OWNED BY %s, %s CASCADE; DROP ROLE %s; DROP ROLE %s", role, app, role, app))
	})
	pgtest.Exec(t, adminURL, rename.Replace(blocks[0][1]))
	v := *u
	v.User = url.UserPassword(role, "pw")
	t.Setenv("DATABASE_URL", v.String())
	if code, o, e := runCmd(t, "migrate", "-config", cfg); code != 0 {
		t.Fatalf("migrate as the documented role: exit %d\n%s%s", code, o, e)
	}
	pgtest.Exec(t, adminURL, fmt.Sprintf("GRANT INSERT, UPDATE, DELETE, SELECT ON public.shifts TO %s", app))
	pgtest.Exec(t, adminURL, rename.Replace(blocks[1][1]))
	if code, out, _ := runCmd(t, "doctor", "-config", cfg); code != 0 {
		t.Fatalf("doctor after the documented SQL: exit %d\n%s", code, out)
	}
}

// TestDoctorTriggersOutOfStepAfterDDL: the application adds a column to a
// table mirrored with all its columns; the installed triggers still work but
// no longer compare the new column, and doctor names them and the fix.
func TestDoctorTriggersOutOfStepAfterDDL(t *testing.T) {
	cfg, dbURL, _ := doctorSetup(t, true)
	pgtest.Exec(t, dbURL, `ALTER TABLE public.ranks ADD COLUMN note text`)
	code, out, _ := runCmd(t, "doctor", "-config", cfg)
	if code != 1 {
		t.Fatalf("exit %d, want 1:\n%s", code, out)
	}
	expectFail(t, out, "capture triggers",
		"out of step with the table: public.ranks: syncd_capture_upd",
		"note}",
		"fix: syncd migrate -config "+cfg)
}

// TestBrokenCredentialsFailFastWithTheCause: permanent refusals are not
// network problems. A truncated key and a spreadsheet not shared with the
// service account (403 from the emulator) make `reconcile -dry-run` fail at
// once with the cause and the fix, instead of retrying until a deadline;
// doctor names the key, not the network.
func TestBrokenCredentialsFailFastWithTheCause(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{})
	sa, key, err := sheetsemu.GenerateServiceAccount(testEmail, w.srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	w.emu.AddServiceAccount(sa)
	if err := w.emu.Share(w.id, "someone-else@example.com"); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "service-account.json")
	src, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	withKey := strings.Replace(string(src), "credentials_file: \n", "credentials_file: "+keyFile+"\n", 1)
	if withKey == string(src) {
		t.Fatalf("no empty credentials_file in the test config:\n%s", src)
	}
	if err := os.WriteFile(w.cfgPath, []byte(withKey), 0o600); err != nil {
		t.Fatal(err)
	}
	// within runs syncd with a deadline far beyond a fast failure, and
	// fails the test if the command used it up.
	within := func(args ...string) (int, string, string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		var out, errOut lockedBuffer
		start := time.Now()
		code := NewMain(&out, &errOut).Run(ctx, args)
		if took := time.Since(start); took > 30*time.Second || ctx.Err() != nil {
			t.Fatalf("syncd %s took %s (retrying a permanent error?)\n%s%s", strings.Join(args, " "), took, out.String(), errOut.String())
		}
		return code, out.String(), errOut.String()
	}

	// 403: not shared.
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := within("reconcile", "-dry-run", "-config", w.cfgPath)
	if code != 1 || !strings.Contains(errOut, "not shared with "+testEmail) || !strings.Contains(errOut, "as Editor") {
		t.Fatalf("not shared: exit %d\n%s%s", code, out, errOut)
	}

	// A truncated key (the JSON intact, the private key cut short).
	var fields map[string]string
	if err := json.Unmarshal(key, &fields); err != nil {
		t.Fatal(err)
	}
	fields["private_key"] = fields["private_key"][:200]
	broken, _ := json.Marshal(fields)
	if err := os.WriteFile(keyFile, broken, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut = within("reconcile", "-dry-run", "-config", w.cfgPath)
	if code != 1 || !strings.Contains(errOut, keyFile) || !strings.Contains(errOut, "does not parse") || !strings.Contains(errOut, "new JSON key") {
		t.Fatalf("truncated key: exit %d\n%s%s", code, out, errOut)
	}
	code, out, _ = within("doctor", "-config", w.cfgPath)
	if code != 1 {
		t.Fatalf("doctor with a truncated key: exit %d\n%s", code, out)
	}
	expectFail(t, out, "service account", "does not parse", "new JSON key")
	if l := doctorLine(t, out, "spreadsheet reachable"); !strings.HasPrefix(l, "skip") || strings.Contains(out, "network") {
		t.Fatalf("spreadsheet check with a truncated key, want skipped and no network advice:\n%s", out)
	}
}

// TestDoctorChecksEachSpreadsheetWithItsOwnCredential: mirrors in two
// spreadsheets reached as two service accounts, bob's spreadsheet not
// shared with bob. doctor checks each spreadsheet with its mirror's
// credential: bob's fails naming the spreadsheet and bob's address,
// alice's passes.
func TestDoctorChecksEachSpreadsheetWithItsOwnCredential(t *testing.T) {
	w := newSpreadsheetsWorldSharing(t, false)
	code, out, _ := runCmd(t, "doctor", "-config", w.cfgPath)
	if code != 1 {
		t.Fatalf("exit %d with bob's spreadsheet unshared, want 1:\n%s", code, out)
	}
	expectFail(t, out, "spreadsheet reachable ("+w.idB+")",
		"Share it with bob@test.iam.gserviceaccount.com as Editor", "spreadsheet "+w.idB)
	if l := doctorLine(t, out, "spreadsheet reachable ("+w.tw.ID+")"); !strings.HasPrefix(l, "ok") ||
		!strings.Contains(l, "shared with alice@test.iam.gserviceaccount.com") {
		t.Fatalf("alice's spreadsheet: %s\n\nfull output:\n%s", l, out)
	}

	if err := w.tw.Emu.Share(w.idB, "bob@test.iam.gserviceaccount.com"); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCmd(t, "doctor", "-config", w.cfgPath)
	if l := doctorLine(t, out, "spreadsheet reachable ("+w.idB+")"); code != 0 || !strings.HasPrefix(l, "ok") ||
		!strings.Contains(l, "shared with bob@test.iam.gserviceaccount.com") {
		t.Fatalf("exit %d after sharing bob's spreadsheet:\n%s", code, out)
	}
}
