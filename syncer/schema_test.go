package syncer_test

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/syncer"
)

// testResolver is the daemon's Resolver (cmd/syncd follower) for tests.
type testResolver struct {
	b   *bundle
	cfg *config.Config
}

func (r testResolver) ResolveMirror(ctx context.Context, name, table string) (syncd.Mirror, error) {
	return r.cfg.ResolveOne(ctx, r.b.pool, name, table)
}

func (r testResolver) Recapture(ctx context.Context, mirrors []syncd.Mirror) error {
	conn, err := r.b.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	_, err = migrations.InstallCapture(ctx, conn.Conn(), migrations.CaptureTables(mirrors))
	return err
}

// following gives the bundle a Syncer that follows schema changes for a
// mirrors section.
func (b *bundle) following(mirrorsYAML string) {
	b.t.Helper()
	cfg, err := config.Parse("test.yml", []byte("postgres:\n  url: x\nsheets:\n  spreadsheet_id: x\nmirrors:\n"+mirrorsYAML))
	if err != nil {
		b.t.Fatal(err)
	}
	b.syncer = syncer.New(syncer.Options{Pool: b.pool, Sheet: b.sheet, Codec: sheets.Codec{}, Mirrors: b.mirrors,
		Logger: zaptest.NewLogger(b.t), Resolver: testResolver{b: b, cfg: cfg}})
}

// current resolves the mirrors as the catalog now has them, for checks.
func (b *bundle) current(mirrorsYAML string) {
	b.t.Helper()
	cfg, err := config.Parse("test.yml", []byte("postgres:\n  url: x\nsheets:\n  spreadsheet_id: x\nmirrors:\n"+mirrorsYAML))
	if err != nil {
		b.t.Fatal(err)
	}
	if b.mirrors, err = cfg.Resolve(b.ctx, b.pool); err != nil {
		b.t.Fatal(err)
	}
}

// The application's DDL, one statement at a time, with the syncer running
// batches and passes as Run does: each time the tab follows the table, a
// person's column right of the mirror keeps its cells, nothing is read
// from a column it does not belong to, and no conflict is recorded.
func TestMirrorFollowsTheApplicationsDDL(t *testing.T) {
	const emp = "  - name: emp\n    table: public.emp\n    sheet: Emp\n    editable: [note]\n"
	b := setup(t, empSchema, emp)
	b.following(emp)
	b.reconcile()
	p := b.person()
	mine := func() {
		t.Helper()
		grid := b.tab("Emp")
		n := len(b.mirrors[0].Columns)
		if len(grid[0]) <= n || grid[0][n] != syncd.StringCell("mine") || grid[1][n] != syncd.StringCell("keep 1") {
			t.Fatalf("the person's column is not right of the mirror with its cells: %v / %v", grid[0], grid[1])
		}
	}
	if _, err := p.svc.Spreadsheets.Values.Update(b.id, "Emp!E1:E2", valueRange([][]any{{"mine"}, {"keep 1"}})).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct{ name, sql string }{
		{"add a column", `ALTER TABLE emp ADD COLUMN bonus numeric(8,2) DEFAULT 1.5`},
		{"write only the new column", `UPDATE emp SET bonus = 2.25 WHERE id = 2`},
		{"drop a mirrored column", `ALTER TABLE emp DROP COLUMN dept`},
		{"rename a column", `ALTER TABLE emp RENAME COLUMN name TO full_name`},
		{"retype a column", `ALTER TABLE emp ALTER COLUMN bonus TYPE text`},
		{"retype the key", `ALTER TABLE emp ALTER COLUMN id TYPE bigint`},
		{"a key past integer", `INSERT INTO emp (id, full_name, note) VALUES (5000000000, 'big', 'precious note 5000000000')`},
	} {
		b.exec(step.sql)
		b.exec(`UPDATE emp SET note = note WHERE id = 1`) // the application keeps writing
		b.drain()
		b.reconcile()
		b.current(emp)
		b.assertMirrored("emp")
		mine()
		b.notesIntact()
		b.noConflicts()
		if rep := b.reconcile(); rep.Drift() != 0 {
			t.Fatalf("%s: a second pass still finds drift: %+v", step.name, rep.Mirrors)
		}
		t.Logf("%s: tab follows, header %v", step.name, b.tab("Emp")[0])
	}
}

// A renamed table is followed by its oid with a warning naming the config;
// a dropped one stops its mirror with a problem naming it while the other
// mirror goes on; a table created again under the configured name is
// picked up; a `columns:` entry the table lost stops that mirror with the
// config's line.
func TestMirrorFollowsTableRenameDropAndCreate(t *testing.T) {
	const yaml = "  - name: emp\n    table: public.emp\n    sheet: Emp\n" +
		"  - name: other\n    table: public.other\n    sheet: Other\n    columns: [id, v]\n"
	b := setup(t, empSchema+`CREATE TABLE other (id integer PRIMARY KEY, v text, w text);`, yaml)
	b.following(yaml)
	b.reconcile()
	problem := func(mirror string, stopped bool, want string) {
		t.Helper()
		for _, p := range b.syncer.Problems() {
			if p.Mirror == mirror && p.Stopped == stopped && strings.Contains(p.Message, want) {
				return
			}
		}
		t.Fatalf("no problem of %s (stopped %v) saying %q in %+v", mirror, stopped, want, b.syncer.Problems())
	}
	b.exec(`ALTER TABLE emp RENAME TO employees`)
	b.exec(`UPDATE employees SET name = 'after rename' WHERE id = 1`)
	b.drain()
	problem("emp", false, "config still names public.emp")
	b.exec(`DROP TABLE employees`)
	b.exec(`INSERT INTO other VALUES (1, 'goes on', 'x')`)
	b.drain()
	problem("emp", true, "table public.emp was dropped")
	b.current("  - name: other\n    table: public.other\n    sheet: Other\n    columns: [id, v]\n")
	b.assertMirrored("other")
	b.exec(empSchema)
	b.exec(`UPDATE emp SET name = 'created again' WHERE id = 2`)
	b.drain()
	b.reconcile()
	b.drain()
	b.current(yaml)
	b.assertMirrored("emp")
	b.noConflicts()
	for _, p := range b.syncer.Problems() {
		if p.Mirror == "emp" && p.Stopped {
			t.Fatalf("emp still stopped: %+v", p)
		}
	}
	b.exec(`ALTER TABLE other DROP COLUMN v`)
	b.exec(`UPDATE other SET w = 'y'`)
	b.drain()
	problem("other", true, "test.yml:")
	b.exec(`UPDATE emp SET name = 'still mirrored' WHERE id = 3`)
	b.drain()
	b.current("  - name: emp\n    table: public.emp\n    sheet: Emp\n")
	b.assertMirrored("emp")
	if errs := b.syncLogErrors(); len(errs) == 0 {
		t.Fatal("the stopped mirrors left nothing in sync_log for `syncd status`")
	}
}
