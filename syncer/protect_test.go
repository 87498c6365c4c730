package syncer_test

import (
	"fmt"
	"strings"
	"testing"

	sheetsapi "google.golang.org/api/sheets/v4"
)

// mirrors[].protect (issue 15): the columns people may not edit carry
// warning-only protected ranges, kept in step with the config by reconcile.

// protectedRanges lists the tab's protected ranges as
// "[start,end) warningOnly" over whole columns, each named after its mirror.
func (b *bundle) protectedRanges(title, mirror string) []string {
	b.t.Helper()
	ss, err := b.rawService().Spreadsheets.Get(b.id).Fields("sheets(properties(title,sheetId),protectedRanges)").Context(b.ctx).Do()
	if err != nil {
		b.t.Fatal(err)
	}
	var out []string
	for _, sh := range ss.Sheets {
		if sh.Properties.Title != title {
			continue
		}
		for _, p := range sh.ProtectedRanges {
			g := p.Range
			if g.StartRowIndex != 0 || g.EndRowIndex != 0 || g.SheetId != sh.Properties.SheetId {
				b.t.Fatalf("range not over whole columns of the tab: %+v", g)
			}
			if !strings.Contains(p.Description, "syncd") || !strings.Contains(p.Description, mirror) {
				b.t.Fatalf("description %q names neither syncd nor mirror %q", p.Description, mirror)
			}
			if p.Editors != nil {
				b.t.Fatalf("warning-only range with editors %+v", p.Editors)
			}
			out = append(out, fmt.Sprintf("[%d,%d) warningOnly=%v", g.StartColumnIndex, g.EndColumnIndex, p.WarningOnly))
		}
	}
	return out
}

func TestProtectFollowsConfig(t *testing.T) {
	b := setup(t, empSchema, `  - name: emp
    table: public.emp
    sheet: Emp
    editable: [note]
`)
	check := func(step string, want ...string) {
		t.Helper()
		got := b.protectedRanges("Emp", "emp")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: protected ranges %v, want %v", step, got, want)
		}
		b.settled() // Info reads them back: a further pass writes nothing
	}
	// Created with the tab, in the same batch: id, name, dept (note is editable).
	before := b.emu.Stats()[b.id].Writes
	b.reconcileOnce()
	if w := b.emu.Stats()[b.id].Writes - before; w != 1 {
		t.Fatalf("creating the tab took %d write calls, want 1 batchUpdate", w)
	}
	b.assertMirrored("emp")
	check("created", "[0,3) warningOnly=true")

	// The editable set changes: one range updated, one added.
	b.restart(`  - name: emp
    table: public.emp
    sheet: Emp
    editable: [name]
`)
	b.reconcileOnce()
	check("editable: [name]", "[0,1) warningOnly=true", "[2,4) warningOnly=true")

	// A person makes syncd's range strict and narrows it: put back.
	ss, err := b.rawService().Spreadsheets.Get(b.id).Fields("sheets.protectedRanges").Context(b.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	emp := ss.Sheets[len(ss.Sheets)-1] // Sheet1 first, then syncd's
	p := emp.ProtectedRanges[1]
	p.WarningOnly, p.Range.EndColumnIndex = false, 3
	if _, err := b.rawService().Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{UpdateProtectedRange: &sheetsapi.UpdateProtectedRangeRequest{ProtectedRange: p, Fields: "warningOnly,range"}}}}).Context(b.ctx).Do(); err != nil {
		t.Fatal(err)
	}
	b.reconcileOnce()
	check("repaired", "[0,1) warningOnly=true", "[2,4) warningOnly=true")

	// protect: off removes syncd's ranges, and only those.
	if _, err := b.rawService().Spreadsheets.BatchUpdate(b.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{AddProtectedRange: &sheetsapi.AddProtectedRangeRequest{ProtectedRange: &sheetsapi.ProtectedRange{
			Range: &sheetsapi.GridRange{SheetId: p.Range.SheetId, StartColumnIndex: 5, EndColumnIndex: 6}, Description: "a person's own"}}}}}).Context(b.ctx).Do(); err != nil {
		t.Fatal(err)
	}
	b.restart(`  - name: emp
    table: public.emp
    sheet: Emp
    editable: [name]
    protect: off
`)
	b.reconcileOnce()
	ss, err = b.rawService().Spreadsheets.Get(b.id).Fields("sheets.protectedRanges").Context(b.ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if prs := ss.Sheets[len(ss.Sheets)-1].ProtectedRanges; len(prs) != 1 || prs[0].Description != "a person's own" {
		t.Fatalf("protect: off left %+v", prs)
	}
	b.settled()
	b.assertMirrored("emp")
}
