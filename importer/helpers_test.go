package importer_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/importer"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// repoRoot is the module root, found from this file's path so tests work
// from any working directory.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		t.Fatal("cannot locate the test file")
	}
	return filepath.Dir(filepath.Dir(file))
}

// fixtureDir is the legacy-sheet fixture under the repository's testdata/;
// a missing fixture fails the test (never skips it).
func fixtureDir(t testing.TB) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "testdata", "legacy-sheet")
	if _, err := os.Stat(filepath.Join(dir, "legacy-shift-bot.json")); err != nil {
		t.Fatalf("legacy sheet fixture missing: %v", err)
	}
	return dir
}

// expectation is legacy-shift-bot.expect.json.
type expectation struct {
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

func loadExpect(t testing.TB) expectation {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtureDir(t), "legacy-shift-bot.expect.json"))
	if err != nil {
		t.Fatal(err)
	}
	var e expectation
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("parse expect file: %v", err)
	}
	return e
}

// env is one test's world: the emulator holding the legacy sheet, a Sheets
// client on it through the real Go client, and a database with the example
// schema and syncd's schema.
type env struct {
	emu    *sheetsemu.Server
	srv    *httptest.Server
	sheet  string
	client *sheets.Client
	dbURL  string
	conn   *pgx.Conn
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{emu: sheetsemu.New(sheetsemu.Options{})}
	f, err := os.Open(filepath.Join(fixtureDir(t), "legacy-shift-bot.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if e.sheet, err = e.emu.Load(f); err != nil {
		t.Fatalf("load fixture into the emulator: %v", err)
	}
	e.srv = httptest.NewServer(e.emu)
	t.Cleanup(e.srv.Close)
	e.client = e.newClient(t, e.sheet)
	e.dbURL = pgtest.NewDB(t)
	schema, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "examples", "shiftbot", "schema.sql"))
	if err != nil {
		t.Fatal(err)
	}
	pgtest.Exec(t, e.dbURL, string(schema))
	ctx := context.Background()
	if e.conn, err = pgx.Connect(ctx, e.dbURL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.conn.Close(context.Background()) })
	if _, err := migrations.ApplySchema(ctx, e.conn); err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) newClient(t *testing.T, id string) *sheets.Client {
	t.Helper()
	c, err := sheets.New(context.Background(), sheets.Options{SpreadsheetID: id, Endpoint: e.srv.URL,
		Quota: sheets.NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// examplePlan loads deploy/examples/shiftbot/import.yml.
func examplePlan(t testing.TB) *importer.Plan {
	t.Helper()
	p, err := importer.LoadPlan(filepath.Join(repoRoot(t), "deploy", "examples", "shiftbot", "import.yml"))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// validate runs the read-only part of an import: prepare, read, validate.
func (e *env) validate(t *testing.T, p *importer.Plan) *importer.Result {
	t.Helper()
	ctx := context.Background()
	if err := p.Prepare(ctx, e.conn); err != nil {
		t.Fatalf("prepare: %v", err)
	}
	grid, err := e.client.ReadTabs(ctx, p.Tabs(), p.NeedsFormats())
	if err != nil {
		t.Fatalf("read tabs: %v", err)
	}
	res, err := p.Validate(ctx, e.conn, grid)
	if err != nil {
		t.Fatalf("validate: %v", err)
	}
	return res
}
