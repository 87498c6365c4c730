package conflicts_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/conflicts"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/rowkey"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const notesSchema = `CREATE TABLE notes (id int PRIMARY KEY, title text);
INSERT INTO notes VALUES (1, 'a'), (2, 'y'), (3, 'c');`

// room is the conflicts room alone: a database with syncd's schema and a
// table mirror, the emulator's spreadsheet, and a Tab wired to them
// without any engine.
type room struct {
	t   *testing.T
	w   *testworld.World
	ctx context.Context
	tab conflicts.Tab
	m   syncd.Mirror
}

func newRoom(t *testing.T) *room {
	w := testworld.New(t, testworld.Options{Schema: notesSchema})
	cfg, err := config.Parse("test.yml", []byte("postgres:\n  url: x\nsheets:\n  spreadsheet_id: x\nmirrors:\n"+
		"  - name: notes\n    table: public.notes\n    sheet: Notes\n    editable: [title]\n"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := cfg.Resolve(w.Ctx, w.Pool)
	if err != nil {
		t.Fatal(err)
	}
	w.Migrate(ms...)
	r := &room{t: t, w: w, ctx: w.Ctx, m: ms[0]}
	resolver := &conflicts.Resolver{Pool: w.Pool, Codec: sheets.Codec{},
		Mirror: func(name string) *syncd.Mirror {
			if name == r.m.Name {
				return &r.m
			}
			return nil
		},
		TimeZone:     func(context.Context, *syncd.Mirror) (*time.Location, error) { return time.UTC, nil },
		SoleFollower: func(*syncd.Mirror) bool { return true }}
	r.tab = conflicts.Tab{Sheet: w.Client("syncd"), Title: "syncd conflicts", Pool: w.Pool, Resolver: resolver, Log: zaptest.NewLogger(t)}
	return r
}

// shown records what syncd last showed of row id: its title.
func (r *room) shown(id, title string) {
	r.t.Helper()
	err := store.WriteRowStates(r.ctx, r.w.Pool, r.m.Name, []store.StateUpdate{
		{Key: rowkey.Encode([]syncd.Value{syncd.Text(id)}), Cells: store.RowState{"title": &title}}})
	if err != nil {
		r.t.Fatal(err)
	}
}

func (r *room) sync() {
	r.t.Helper()
	info, err := r.tab.Sheet.Info(r.ctx)
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := r.tab.Sync(r.ctx, info); err != nil {
		r.t.Fatal(err)
	}
}

func (r *room) title(id int) string {
	r.t.Helper()
	var s string
	if err := r.w.Pool.QueryRow(r.ctx, "SELECT title FROM notes WHERE id = $1", id).Scan(&s); err != nil {
		r.t.Fatal(err)
	}
	return s
}

// TestConflictsTabResolvesWhatPeopleTypeWithoutTheEngine: the tab lists
// the open conflicts; "use sheet" typed into it applies the sheet's value
// through the guarded door, "keep database" dismisses it, a row Postgres
// changed since syncd showed it is refused with the reason in the resolve
// cell, and the tab is rewritten to the conflicts still open.
func TestConflictsTabResolvesWhatPeopleTypeWithoutTheEngine(t *testing.T) {
	r := newRoom(t)
	r.shown("1", "a")
	r.shown("2", "x") // Postgres has "y": changed since shown
	r.shown("3", "c")
	db := func(s string) *string { return &s }
	err := store.InsertConflicts(r.ctx, r.w.Pool, []store.Conflict{
		{Mirror: "notes", Key: map[string]string{"id": "1"}, Column: "title", SheetValue: "b", DBValue: db("a"), Reason: store.ReasonBothChanged},
		{Mirror: "notes", Key: map[string]string{"id": "2"}, Column: "title", SheetValue: "z", DBValue: db("y"), Reason: store.ReasonBothChanged},
		{Mirror: "notes", Key: map[string]string{"id": "3"}, Column: "title", SheetValue: "d", DBValue: db("c"), Reason: store.ReasonBothChanged},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.sync()
	grid := r.w.Tab("syncd conflicts")
	if len(grid) != 4 || grid[0][0].Text() != "id" || grid[1][1].Text() != "notes" || grid[1][2].Text() != "1" || grid[1][4].Text() != "b" {
		t.Fatalf("conflicts tab after the first pass:\n%v\nwant the header and three conflicts, oldest first", grid)
	}
	p := r.w.Person()
	for row, text := range map[int]string{1: "use sheet", 2: "Use Sheet", 3: "keep db"} {
		if err := p.Type("syncd conflicts", row, 8, text); err != nil {
			t.Fatal(err)
		}
	}
	r.sync()
	if got := r.title(1); got != "b" {
		t.Errorf("notes 1 title %q after use sheet, want b", got)
	}
	if got := r.title(2); got != "y" {
		t.Errorf("notes 2 title %q, want y: it changed since syncd showed it", got)
	}
	if got := r.title(3); got != "c" {
		t.Errorf("notes 3 title %q after keep database, want c", got)
	}
	open, err := store.ListOpenConflicts(r.ctx, r.w.Pool)
	if err != nil {
		t.Fatal(err)
	}
	if len(open) != 1 || open[0].SheetValue == nil || *open[0].SheetValue != "z" {
		t.Fatalf("open conflicts %+v, want only the refused one of notes 2", open)
	}
	grid = r.w.Tab("syncd conflicts")
	if len(grid) < 2 || grid[1][2].Text() != "2" || !strings.HasPrefix(grid[1][8].Text(), "not applied (use sheet): ") ||
		!strings.Contains(grid[1][8].Text(), "changed in Postgres since syncd showed it") {
		t.Fatalf("conflicts tab after resolving:\n%v\nwant notes 2's conflict with why it was not applied", grid)
	}
	for i := 2; i < len(grid); i++ {
		for _, c := range grid[i] {
			if c.Type != syncd.CellEmpty {
				t.Fatalf("row %d of the conflicts tab %v, want it cleared", i+1, grid[i])
			}
		}
	}
}
