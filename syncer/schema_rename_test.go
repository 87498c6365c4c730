package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/syncd/syncd"
)

func (r testResolver) ResolveMirrorRenamed(ctx context.Context, name, table string, renamed map[string]string) (syncd.Mirror, []string, error) {
	return r.cfg.ResolveOneRenamed(ctx, r.b.pool, name, table, renamed)
}

// An editable column the application renames while the syncer runs: the
// mirror follows it (a warning says the config's editable: names the old
// name), its bases in syncd.row_state are renamed with it, and an edit a
// person types later in the renamed column is imported into Postgres, not
// filed as a conflict.
func TestRenamedEditableColumnKeepsItsBases(t *testing.T) {
	const note = "  - name: emp\n    table: public.emp\n    sheet: Emp\n    editable: [note]\n"
	b := setup(t, empSchema, note)
	b.following(note)
	b.reconcile()
	if n := b.count(`SELECT count(*) FROM syncd.row_state WHERE mirror = 'emp' AND cells ? 'note'`); n == 0 {
		t.Fatal("no bases of note stored: the test shows nothing")
	}
	// Typed before the rename, not yet imported: its base is note's.
	b.typeInto(fmt.Sprintf("Emp!D%d", b.rowOfKey2("Emp", "name 3")), "typed before the rename", false)
	b.exec(`ALTER TABLE emp RENAME COLUMN note TO memo`)
	b.exec(`UPDATE emp SET memo = memo WHERE id = 1`) // the application keeps writing
	b.drain()
	if n := b.count(`SELECT count(*) FROM syncd.row_state WHERE mirror = 'emp' AND (cells ? 'note' OR NOT cells ? 'memo')`); n != 0 {
		t.Fatalf("%d row states still without a base of memo", n)
	}
	warned := false
	for _, p := range b.syncer.Problems() {
		if p.Stopped {
			t.Fatalf("mirror stopped by the rename: %+v", p)
		}
		warned = warned || p.Mirror == "emp" && strings.Contains(p.Message, "editable: note → memo")
	}
	if !warned {
		t.Fatalf("no warning that editable: names note: %+v", b.syncer.Problems())
	}
	b.reconcile() // the pass the schema change asked for: the header becomes memo
	if got := b.queryText(`SELECT memo FROM emp WHERE id = 3`); got != "typed before the rename" {
		t.Errorf("memo of 3 is %q, want the edit typed before the rename imported", got)
	}
	b.noConflicts()
	header := b.tab("Emp")[0]
	col := -1
	for i, c := range header {
		if c.String == "memo" {
			col = i
		}
		if c.String == "note" {
			t.Fatalf("a stale note column stayed in the tab: %v", header)
		}
	}
	if col < 0 {
		t.Fatalf("no memo header in %v", header)
	}
	b.typeInto(fmt.Sprintf("Emp!%c%d", 'A'+col, b.rowOfKey2("Emp", "name 4")), "typed after the rename", false)
	b.reconcile()
	if got := b.queryText(`SELECT memo FROM emp WHERE id = 4`); got != "typed after the rename" {
		t.Errorf("memo of 4 is %q, want the edit typed after the rename imported", got)
	}
	b.noConflicts()
	b.settled()
}

// Renamed twice: the config's name is followed through both renames.
func TestEditableColumnRenamedTwice(t *testing.T) {
	const note = "  - name: emp\n    table: public.emp\n    sheet: Emp\n    editable: [note]\n"
	b := setup(t, empSchema, note)
	b.following(note)
	b.reconcile()
	b.exec(`ALTER TABLE emp RENAME COLUMN note TO memo`)
	b.drain()
	b.reconcile()
	b.typeInto(fmt.Sprintf("Emp!D%d", b.rowOfKey2("Emp", "name 2")), "typed between the renames", false)
	b.exec(`ALTER TABLE emp RENAME COLUMN memo TO remark`)
	b.drain()
	b.reconcile()
	ps := b.syncer.Problems()
	if len(ps) != 1 || ps[0].Stopped || !strings.Contains(ps[0].Message, "editable: note → remark") {
		t.Fatalf("want one warning naming editable: note → remark, got %+v", ps)
	}
	if got := b.queryText(`SELECT remark FROM emp WHERE id = 2`); got != "typed between the renames" {
		t.Fatalf("remark of 2 is %q, want the edit imported", got)
	}
	if h := b.tab("Emp")[0]; len(h) < 4 || h[3].String != "remark" {
		t.Fatalf("header %v, want remark in D", h)
	}
	b.noConflicts()
	b.settled()
}
