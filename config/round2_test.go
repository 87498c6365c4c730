package config

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
)

// The keys of CONTRACT.md §4 "Added in round 2".

func TestRound2Defaults(t *testing.T) {
	cfg, err := Parse("syncd.yml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.PollChangesEvery(); d != 10*time.Second {
		t.Errorf("poll_changes default = %v, want 10s", d)
	}
	if ct := cfg.ConflictsTabTitle(); ct != "syncd conflicts" {
		t.Errorf("conflicts_tab default = %q", ct)
	}
	m := cfg.Mirrors[0]
	if m.SheetInserts || m.SheetDeletes || *m.MaxSheetDeletes != 10 || m.Protect != "warn" || m.SpreadsheetID != "" {
		t.Errorf("mirror defaults: %+v", m)
	}
}

const round2 = `postgres:
  url: postgres://localhost/app
sheets:
  spreadsheet_id: abc
  credentials_file: /etc/syncd/sa.json
  poll_changes: 0
  conflicts_tab: ""
mirrors:
  - name: shifts
    table: public.shifts
    sheet: Shifts
    editable: [comment]
    sheet_inserts: true
    sheet_deletes: true
    max_sheet_deletes: 3
    protect: off
  - name: rates
    table: public.shifts
    sheet: Shifts
    spreadsheet_id: xyz
    credentials_file: /etc/syncd/other.json
    max_sheet_deletes: 0
`

func TestRound2KeysParse(t *testing.T) {
	cfg, err := Parse("syncd.yml", []byte(round2))
	if err != nil {
		t.Fatal(err)
	}
	if d := cfg.PollChangesEvery(); d != 0 {
		t.Errorf("poll_changes: 0 = %v, want off", d)
	}
	if ct := cfg.ConflictsTabTitle(); ct != "" {
		t.Errorf(`conflicts_tab: "" = %q, want off`, ct)
	}
	a, b := cfg.Mirrors[0], cfg.Mirrors[1]
	if !a.SheetInserts || !a.SheetDeletes || *a.MaxSheetDeletes != 3 || a.Protect != "off" {
		t.Errorf("first mirror: %+v", a)
	}
	// The same title in another spreadsheet is no duplicate; 0 is a valid
	// maximum (every deletion held back).
	if b.SpreadsheetID != "xyz" || *b.MaxSheetDeletes != 0 || b.Protect != "warn" {
		t.Errorf("second mirror: %+v", b)
	}
	for _, tc := range []struct{ in, want string }{{"2s", "2s"}, {"1m30s", "1m30s"}} {
		c, err := Parse("syncd.yml", []byte(strings.Replace(round2, "poll_changes: 0", "poll_changes: "+tc.in, 1)))
		if err != nil || c.PollChangesEvery().String() != tc.want {
			t.Errorf("poll_changes %s: %v, %v", tc.in, c, err)
		}
	}
}

func TestRound2ErrorsNameFileAndLine(t *testing.T) {
	cases := []struct{ name, from, to, want string }{
		{"bad duration", "poll_changes: 0", "poll_changes: often",
			`syncd.yml:6: sheets.poll_changes "often" is not a duration like 10s`},
		{"negative duration", "poll_changes: 0", "poll_changes: -5s",
			`syncd.yml:6: sheets.poll_changes "-5s" is not a duration`},
		{"negative max", "max_sheet_deletes: 3", "max_sheet_deletes: -1",
			`syncd.yml:15: mirror "shifts": max_sheet_deletes: -1 is negative`},
		{"max not a number", "max_sheet_deletes: 3", "max_sheet_deletes: many",
			"syncd.yml:15: cannot unmarshal !!str `many` into int"},
		{"unknown protect", "protect: off", "protect: strict",
			`syncd.yml:16: mirror "shifts": protect: "strict" must be warn or off`},
		{"inserts not a bool", "sheet_inserts: true", "sheet_inserts: sometimes",
			"syncd.yml:13: cannot unmarshal !!str `sometimes` into bool"},
		{"sheet_deletes on a query mirror", "    table: public.shifts\n    sheet: Shifts\n    editable: [comment]\n",
			"    query: SELECT 1 AS x\n    key: [x]\n    sheet: Shifts\n",
			`syncd.yml:14: mirror "shifts": a query: mirror is read-only; sheet_deletes: needs table:`},
		{"sheet_inserts on a query mirror", "    table: public.shifts\n    sheet: Shifts\n    editable: [comment]\n",
			"    query: SELECT 1 AS x\n    key: [x]\n    sheet: Shifts\n",
			`syncd.yml:13: mirror "shifts": a query: mirror is read-only; sheet_inserts: needs table:`},
		{"same tab in the same spreadsheet", "    spreadsheet_id: xyz\n", "",
			`syncd.yml:19: mirror "rates": sheet "Shifts" is already used by mirror "shifts" (line 11)`},
		{"mirror on the conflicts tab", `conflicts_tab: ""`, "conflicts_tab: Shifts",
			`syncd.yml:11: mirror "shifts": sheet "Shifts" is sheets.conflicts_tab`},
		{"conflicts tab too long", `conflicts_tab: ""`, "conflicts_tab: " + strings.Repeat("x", 101),
			"syncd.yml:7: sheets.conflicts_tab is longer than 100 characters"},
		{"unknown round-2 key", "    protect: off", "    protect: off\n    sheet_update: true",
			`syncd.yml:17: unknown key "sheet_update" in a mirror`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			src := strings.Replace(round2, c.from, c.to, 1)
			if src == round2 {
				t.Fatalf("edit %q did not apply", c.from)
			}
			_, err := Parse("syncd.yml", []byte(src))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestResolveCarriesRound2Keys(t *testing.T) {
	conn := resolveDB(t)
	cfg, err := Parse("syncd.yml", []byte(round2))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := cfg.Resolve(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	a, b := ms[0], ms[1]
	if a.SpreadsheetID != "abc" || a.CredentialsFile != "/etc/syncd/sa.json" || !a.SheetInserts || !a.SheetDeletes ||
		a.MaxSheetDeletes != 3 || a.Protect != syncd.ProtectOff {
		t.Errorf("first mirror resolved: %+v", a)
	}
	if b.SpreadsheetID != "xyz" || b.CredentialsFile != "/etc/syncd/other.json" || b.SheetInserts || b.SheetDeletes ||
		b.MaxSheetDeletes != 0 || b.Protect != syncd.ProtectWarn {
		t.Errorf("second mirror resolved: %+v", b)
	}
	// A Config built by hand (no Parse) still resolves to the defaults.
	hand := &Config{Sheets: Sheets{SpreadsheetID: "abc"}, Mirrors: []Mirror{{Name: "s", Table: "public.shifts", Sheet: "S"}}}
	ms, err = hand.Resolve(context.Background(), conn)
	if err != nil {
		t.Fatal(err)
	}
	if m := ms[0]; m.MaxSheetDeletes != 10 || m.Protect != syncd.ProtectWarn || m.SpreadsheetID != "abc" || hand.ConflictsTabTitle() != "syncd conflicts" {
		t.Errorf("hand-built config resolved: %+v", m)
	}
}
