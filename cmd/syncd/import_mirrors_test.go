package main

import (
	"context"
	"strings"
	"testing"

	"github.com/syncd/syncd/sheetsemu"
)

// mirroredState is every mirrored table's mirrored columns as text, in
// order: what a restore from the mirror tabs must bring back exactly.
func (e *importEnv) mirroredState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		"SELECT row(shift_id, shift_date, employee_id, clock_in, clock_out, total_sales, commission_pct, commission, bonus, status, comment)::text FROM shifts ORDER BY shift_id",
		"SELECT e::text FROM employee_settings e ORDER BY employee_id",
		"SELECT r::text FROM dynamic_rates r ORDER BY min_sales",
		"SELECT r::text FROM ranks r ORDER BY rank",
		"SELECT r::text FROM employee_ranks r ORDER BY employee_id, month",
		"SELECT b::text FROM active_bonuses b ORDER BY bonus_id",
	} {
		rows, err := e.conn.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			b.WriteString(s + "\n")
		}
		rows.Close()
	}
	return b.String()
}

// TestImportFromMirrorsRoundTrip: tables mirrored by `syncd reconcile` (the
// daemon's own writer), then emptied, come back exactly from their tabs
// with `import -from-mirrors -execute`, and -verify passes: money to the
// cent, dates, times, NULLs, booleans, json, int8 beyond 2^53 and text
// that starts with "=" or "+".
func TestImportFromMirrorsRoundTrip(t *testing.T) {
	e := newImportEnv(t, sheetsemu.Options{})
	mirror := e.emu.CreateSpreadsheet("shiftbot mirror")
	t.Setenv("SYNCD_SPREADSHEET_ID", mirror)
	ctx := context.Background()
	if _, err := e.conn.Exec(ctx, `
		INSERT INTO employee_settings VALUES
		  (100, 'Алексей Иванов', 9007199254740993, 10, true),
		  (101, '=IMPORTDATA("http://x")', NULL, 12.5, false),
		  (102, '+7 999 123-45-67', 42, 0, true);
		INSERT INTO dynamic_rates VALUES (0, 9999.99, 5), (10000, NULL, 7.25);
		INSERT INTO ranks VALUES ('Новичок', 0, 0), ('Профи', 100000, 1500.50);
		INSERT INTO employee_ranks VALUES (100, '2025-10-01', 'Профи'), (101, '2025-09-01', 'Новичок');
		INSERT INTO shifts (shift_id, shift_date, employee_id, clock_in, clock_out, total_sales, commission_pct,
		                    commission, bonus, status, comment) VALUES
		  (1, '2025-10-21', 100, '09:00', '17:30', 12345678.91, 9, 1111111.10, NULL, 'closed', '=SUM(A1:A9) stays text'),
		  (2, '1999-12-31', 101, NULL, NULL, 0.01, NULL, NULL, 500, 'open', NULL),
		  (3, '2025-02-28', 102, '23:59:59', '00:00', 0, 12.5, 0, 0, 'cancelled', '  spaced  ');
		INSERT INTO active_bonuses (employee_id, kind, amount, valid_from, valid_to, details) VALUES
		  (100, 'streak', 1000.00, '2025-10-01', NULL, '{"days": 5, "note": "ok"}'),
		  (102, 'manual', 0.99, '2025-01-01', '2025-12-31', NULL)`); err != nil {
		t.Fatal(err)
	}
	want := e.mirroredState(t)
	if code, out, errs := runCmd(t, "reconcile", "-config", e.cfg); code != 0 {
		t.Fatalf("reconcile (mirror the tables): exit %d\n%s%s", code, out, errs)
	}
	if _, err := e.conn.Exec(ctx, `TRUNCATE shifts, employee_ranks, active_bonuses, dynamic_rates, ranks, employee_settings`); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "import", "-config", e.cfg, "-from-mirrors", "-dry-run", "-json")
	if code != 0 {
		t.Fatalf("from-mirrors dry-run: exit %d\n%s", code, errs)
	}
	if rep := parseReport(t, out); len(rep.Rejections) != 0 {
		t.Fatalf("restore would reject rows: %+v", rep.Rejections)
	}
	if code, out, errs := runCmd(t, "import", "-config", e.cfg, "-from-mirrors", "-execute"); code != 0 {
		t.Fatalf("from-mirrors execute: exit %d\n%s%s", code, out, errs)
	}
	if got := e.mirroredState(t); got != want {
		t.Errorf("restored tables differ:\n got %s\nwant %s", got, want)
	}
	if code, out, errs := runCmd(t, "import", "-config", e.cfg, "-from-mirrors", "-verify"); code != 0 {
		t.Fatalf("from-mirrors verify: exit %d\n%s%s", code, out, errs)
	}
}
