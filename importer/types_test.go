package importer_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/importer"
)

// TestExecuteOddTypesIsIdempotent: columns whose types have no equality
// operator (json, point) or need JSON staging (jsonb) import, verify, and a
// second execute leaves them untouched.
func TestExecuteOddTypesIsIdempotent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := e.emu.CreateSpreadsheet("odd types")
	client := e.newClient(t, id)
	rows := [][]syncd.Cell{
		{syncd.NumberCell(1), syncd.StringCell(`{"a": [1, 2]}`), syncd.StringCell(`{"b":true}`), syncd.StringCell("(1,2)")},
		{syncd.NumberCell(2), syncd.StringCell(`[]`), {}, syncd.StringCell("(0.5,-3)")},
	}
	if _, err := client.Apply(ctx, []syncd.Op{
		syncd.AddTab{SheetID: 77, Title: "Things", Header: []string{"id", "doc", "meta", "pos"}},
		syncd.AppendRows{SheetID: 77, Rows: rows},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.conn.Exec(ctx, `CREATE TABLE things (id int PRIMARY KEY, doc json, meta jsonb, pos point)`); err != nil {
		t.Fatal(err)
	}
	plan, err := importer.ParsePlan("things.yml", []byte(`
tables:
  - tab: Things
    table: things
    columns: [{column: id}, {column: doc}, {column: meta}, {column: pos}]
`))
	if err != nil {
		t.Fatal(err)
	}
	read := func() *importer.Result {
		if err := plan.Prepare(ctx, e.conn); err != nil {
			t.Fatal(err)
		}
		grid, err := client.ReadTabs(ctx, plan.Tabs(), plan.NeedsFormats())
		if err != nil {
			t.Fatal(err)
		}
		res, err := plan.Validate(ctx, e.conn, grid)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if _, err := importer.Execute(ctx, e.conn, read(), importer.ExecuteOptions{}); err != nil {
		t.Fatalf("execute: %v", err)
	}
	if got := scalar[string](t, e.conn, `SELECT meta->>'b' FROM things WHERE id = 1`); got != "true" {
		t.Errorf("jsonb stored as %q, want an object", got)
	}
	if _, err := importer.Verify(ctx, e.conn, read()); err != nil {
		t.Fatalf("verify: %v", err)
	}
	rep, err := importer.Execute(ctx, e.conn, read(), importer.ExecuteOptions{})
	if err != nil {
		t.Fatalf("second execute: %v", err)
	}
	if tab := rep.Tabs[0]; *tab.Inserted != 0 || *tab.Updated != 0 || *tab.Unchanged != 2 {
		t.Errorf("second execute: inserted %d updated %d unchanged %d", *tab.Inserted, *tab.Updated, *tab.Unchanged)
	}
}
