package syncer_test

import (
	"fmt"
	"testing"

	"go.uber.org/zap/zaptest"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/syncer"
)

// Columns are matched by header name, never by position (issue 13).

const empSchema = `CREATE TABLE emp (id integer PRIMARY KEY, name text, dept text, note text);
INSERT INTO emp SELECT g, 'name ' || g, 'A-VALUE-' || g, 'precious note ' || g FROM generate_series(1, 5) g;`

// restart replaces the bundle's Syncer by one for another mirrors section,
// as a config change and a restart of the daemon would.
func (b *bundle) restart(mirrorsYAML string) {
	b.t.Helper()
	cfg, err := config.Parse("test.yml", []byte("postgres:\n  url: x\nsheets:\n  spreadsheet_id: x\nmirrors:\n"+mirrorsYAML))
	if err != nil {
		b.t.Fatal(err)
	}
	if b.mirrors, err = cfg.Resolve(b.ctx, b.pool); err != nil {
		b.t.Fatal(err)
	}
	b.syncer = syncer.New(syncer.Options{Pool: b.pool, Sheet: b.sheet, Codec: sheets.Codec{}, Mirrors: b.mirrors, Logger: zaptest.NewLogger(b.t)})
}

func (b *bundle) reconcile() syncer.ReconcileReport {
	b.t.Helper()
	rep, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{})
	if err != nil {
		b.t.Fatalf("reconcile: %v", err)
	}
	return rep
}

func (b *bundle) noConflicts() {
	b.t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM syncd.conflicts`).Scan(&n); err != nil || n != 0 {
		b.t.Fatalf("%d conflicts nobody typed (%v)", n, err)
	}
}

func (b *bundle) notesIntact() {
	b.t.Helper()
	var bad int
	if err := b.pool.QueryRow(b.ctx, `SELECT count(*) FROM emp WHERE note IS DISTINCT FROM 'precious note ' || id`).Scan(&bad); err != nil || bad != 0 {
		b.t.Fatalf("%d notes were overwritten from another column (%v)", bad, err)
	}
}

// The config's columns reordered (editable note moves left) and the
// daemon restarted: the first pass reads note under its own header, moves
// the column into place and imports nothing from its old neighbour.
func TestReorderedColumnsAreReadByName(t *testing.T) {
	b := setup(t, empSchema, "  - name: emp\n    table: public.emp\n    sheet: Emp\n    columns: [id, name, dept, note]\n    editable: [note]\n")
	b.drain()
	b.reconcile()
	p := b.person()
	// A person's column right of the mirror.
	if _, err := p.svc.Spreadsheets.Values.Update(b.id, "Emp!E1:E2", valueRange([][]any{{"mine"}, {"keep me"}})).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
	b.restart("  - name: emp\n    table: public.emp\n    sheet: Emp\n    columns: [id, note, name, dept]\n    editable: [note]\n")
	rep := b.reconcile()
	b.notesIntact()
	b.noConflicts()
	b.assertMirrored("emp")
	if rep.Mirrors[0].EditsImported != 0 {
		t.Fatalf("edits imported: %+v", rep.Mirrors[0])
	}
	grid := b.tab("Emp")
	if grid[0][4] != syncd.StringCell("mine") || grid[1][4] != syncd.StringCell("keep me") {
		t.Fatalf("the person's column moved or lost its cells: %v / %v", grid[0], grid[1])
	}
	if rep := b.reconcile(); rep.Drift() != 0 {
		t.Fatalf("a second pass still finds drift: %+v", rep.Mirrors)
	}
}

// The mirrored set changed (dept no longer mirrored, note now is, at
// dept's old position) and the daemon restarted: the old dept column is
// a column syncd does not own now, so none of its values is read as note.
func TestChangedColumnSetNeverReadsTheOldColumn(t *testing.T) {
	b := setup(t, empSchema, "  - name: emp\n    table: public.emp\n    sheet: Emp\n    columns: [id, name, dept]\n")
	b.reconcile()
	b.restart("  - name: emp\n    table: public.emp\n    sheet: Emp\n    columns: [id, name, note]\n    editable: [note]\n")
	b.reconcile()
	b.notesIntact()
	b.noConflicts()
	b.assertMirrored("emp")
	grid := b.tab("Emp")
	if len(grid[0]) < 4 || grid[0][3] != syncd.StringCell("dept") || grid[1][3] != syncd.StringCell("A-VALUE-1") {
		t.Fatalf("the old column was not kept aside as a person's: %v / %v", grid[0], grid[1])
	}
}

// Freezing is part of the header reconcile restores: a person freezing
// five rows, or none, gets the header alone frozen again.
func TestFrozenRowsAreRestored(t *testing.T) {
	b := setup(t, empSchema, "  - name: emp\n    table: public.emp\n    sheet: Emp\n")
	b.reconcile()
	p := b.person()
	for _, n := range []int64{5, 0} {
		id := p.tab("Emp").SheetID
		p.must(&sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
			Properties: &sheetsapi.SheetProperties{SheetId: id, GridProperties: &sheetsapi.GridProperties{FrozenRowCount: n, ForceSendFields: []string{"FrozenRowCount"}},
				ForceSendFields: []string{"SheetId"}},
			Fields: "gridProperties.frozenRowCount"}})
		rep := b.reconcile()
		if got := p.tab("Emp").FrozenRows; got != 1 || !rep.Mirrors[0].HeaderFixed {
			t.Fatalf("%d frozen rows: after reconcile %d frozen, drift %+v", n, got, rep.Mirrors[0])
		}
		b.assertMirrored("emp")
	}
	// The change stream restores it too, from the Info it reads anyway.
	p.must(&sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
		Properties: &sheetsapi.SheetProperties{SheetId: p.tab("Emp").SheetID, GridProperties: &sheetsapi.GridProperties{FrozenRowCount: 3},
			ForceSendFields: []string{"SheetId"}},
		Fields: "gridProperties.frozenRowCount"}})
	b.reconcile() // refreshes the cached Info, as any pass does
	b.exec(`UPDATE emp SET name = 'x' WHERE id = 1`)
	b.drain()
	if got := p.tab("Emp").FrozenRows; got != 1 {
		t.Fatal(fmt.Sprintf("after a batch %d rows are frozen", got))
	}
}
