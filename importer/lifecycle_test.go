package importer_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/importer"
)

// tableState is every example table's content as text, in key order, plus
// the row versions (xmin) that show whether a row was touched.
func tableState(t *testing.T, conn *pgx.Conn) (content, versions string) {
	t.Helper()
	var c, v strings.Builder
	for _, tbl := range []string{"employee_settings", "dynamic_rates", "ranks", "shifts"} {
		rows, err := conn.Query(context.Background(),
			"SELECT t::text, t.xmin::text FROM "+tbl+" t ORDER BY 1")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var row, xmin string
			if err := rows.Scan(&row, &xmin); err != nil {
				t.Fatal(err)
			}
			c.WriteString(tbl + row + "\n")
			v.WriteString(xmin + "\n")
		}
		rows.Close()
	}
	return c.String(), v.String()
}

func scalar[T any](t *testing.T, conn *pgx.Conn, sql string, args ...any) T {
	t.Helper()
	var v T
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&v); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return v
}

// TestExecuteVerifyRollback walks the whole life of the fixture's import:
// execute refuses without -allow-rejects, imports with it (sales sum to the
// cent, rejects kept verbatim, sync_log row), verify passes, a second
// execute touches no row, a changed row makes verify fail and rollback
// refuse, and rollback restores the tables as they were.
func TestExecuteVerifyRollback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	want := loadExpect(t)
	pgtest := func(sql string) { // pre-existing row the import must update and rollback restore
		if _, err := e.conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	pgtest(`INSERT INTO employee_settings (employee_id, name, base_commission_pct, active) VALUES (100, 'Old Name', 1, false)`)
	before, _ := tableState(t, e.conn)

	res := e.validate(t, examplePlan(t))
	rep, err := importer.Execute(ctx, e.conn, res, importer.ExecuteOptions{PlanName: "import.yml"})
	if !errors.Is(err, importer.ErrRefused) || rep.Refused == "" {
		t.Fatalf("execute with rejections and no -allow-rejects: err %v, refused %q", err, rep.Refused)
	}
	if after, _ := tableState(t, e.conn); after != before {
		t.Fatal("a refused execute changed the tables")
	}
	if n := scalar[int](t, e.conn, "SELECT count(*) FROM syncd.sync_log"); n != 0 {
		t.Fatalf("a refused execute wrote %d sync_log rows", n)
	}

	rep, err = importer.Execute(ctx, e.conn, res, importer.ExecuteOptions{AllowRejects: true, PlanName: "import.yml"})
	if err != nil {
		t.Fatalf("execute -allow-rejects: %v", err)
	}
	id := rep.ImportID
	if id == 0 {
		t.Fatal("execute returned no import id")
	}
	if got := scalar[string](t, e.conn, "SELECT sum(total_sales)::text FROM shifts"); got != "21004162.04" {
		t.Errorf("sum of imported sales %s, want 21004162.04 (expect file: %v)", got, want.Tabs["Shifts"].SumSales)
	}
	for tab, w := range want.Tabs {
		tbl := map[string]string{"Shifts": "shifts", "EmployeeSettings": "employee_settings", "DynamicRates": "dynamic_rates", "Ranks": "ranks"}[tab]
		if n := scalar[int](t, e.conn, "SELECT count(*) FROM "+tbl); n != w.ValidRows {
			t.Errorf("%s has %d rows, want %d", tbl, n, w.ValidRows)
		}
	}
	if n := scalar[int](t, e.conn, "SELECT count(*) FROM syncd.import_rejects WHERE import_id = $1", id); n != len(want.Errors) {
		t.Errorf("import_rejects has %d rows, want %d", n, len(want.Errors))
	}
	if v := scalar[string](t, e.conn, "SELECT row_data->>'ID' FROM syncd.import_rejects WHERE import_id = $1 AND row_number = 68", id); v != "#REF!" {
		t.Errorf("rejected row 68 kept ID %q, want #REF!", v)
	}
	if s := scalar[string](t, e.conn, "SELECT direction || '/' || kind || '/' || status FROM syncd.sync_log WHERE id = $1", id); s != "sheet_to_pg/import/ok" {
		t.Errorf("sync_log row %d is %s", id, s)
	}
	if n := scalar[string](t, e.conn, "SELECT name FROM employee_settings WHERE employee_id = 100"); n != "Алексей Иванов" {
		t.Errorf("pre-existing employee 100 not updated: %q", n)
	}

	if _, err := importer.Verify(ctx, e.conn, res); err != nil {
		t.Fatalf("verify after execute: %v", err)
	}

	content1, versions1 := tableState(t, e.conn)
	res2 := e.validate(t, examplePlan(t))
	rep2, err := importer.Execute(ctx, e.conn, res2, importer.ExecuteOptions{AllowRejects: true, PlanName: "import.yml"})
	if err != nil {
		t.Fatalf("second execute: %v", err)
	}
	for _, tab := range rep2.Tabs {
		if *tab.Inserted != 0 || *tab.Updated != 0 {
			t.Errorf("second execute: tab %s inserted %d, updated %d", tab.Tab, *tab.Inserted, *tab.Updated)
		}
	}
	if content2, versions2 := tableState(t, e.conn); content2 != content1 || versions2 != versions1 {
		t.Error("second execute touched rows")
	}

	// A row changed after the import: verify names it, rollback refuses.
	pgtest(`UPDATE shifts SET total_sales = total_sales + 1 WHERE shift_id = 1000`)
	vrep, err := importer.Verify(ctx, e.conn, res)
	if !errors.Is(err, importer.ErrDifferences) || len(vrep.Differences) != 1 ||
		vrep.Differences[0].Key != "1000" || vrep.Differences[0].Row != 2 || vrep.Differences[0].Columns[0] != "total_sales" {
		t.Fatalf("verify after a change: err %v, differences %+v", err, vrep.Differences)
	}
	rb, err := importer.Rollback(ctx, e.conn, id)
	if !errors.Is(err, importer.ErrRefused) || len(rb.Changed) != 1 {
		t.Fatalf("rollback over a changed row: err %v, changed %v", err, rb.Changed)
	}
	pgtest(`UPDATE shifts SET total_sales = total_sales - 1 WHERE shift_id = 1000`)

	rb, err = importer.Rollback(ctx, e.conn, id)
	if err != nil {
		t.Fatalf("rollback: %v", err)
	}
	if after, _ := tableState(t, e.conn); after != before {
		t.Errorf("rollback did not restore the tables:\n%s", firstDiff(before, after))
	}
	if _, err := importer.Rollback(ctx, e.conn, id); !errors.Is(err, importer.ErrNoImport) {
		t.Errorf("second rollback of %d: %v, want ErrNoImport", id, err)
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) && i < len(bl); i++ {
		if al[i] != bl[i] {
			return "want " + al[i] + "\n got " + bl[i]
		}
	}
	return "lengths differ"
}

// TestExecuteStoresCleanValues: the messy cells land as the values they
// mean: a DATE serial and dd.mm.yyyy text as dates, Russian money with
// non-breaking spaces to the cent, a formula's value (rounded to the cent),
// "закрыта" as closed, "да" as true, "∞" as NULL, 0.05 in a PERCENT cell
// and "7%" text as percent units, trailing spaces trimmed.
func TestExecuteStoresCleanValues(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	res := e.validate(t, examplePlan(t))
	if _, err := importer.Execute(ctx, e.conn, res, importer.ExecuteOptions{AllowRejects: true}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ sql, want string }{
		{"SELECT shift_date::text FROM shifts WHERE shift_id = 1000", "2025-10-21"},
		{"SELECT shift_date::text FROM shifts WHERE shift_id = 1007", "2025-04-22"},
		{"SELECT total_sales::text FROM shifts WHERE shift_id = 1006", "18711.14"},
		{"SELECT commission::text FROM shifts WHERE shift_id = 1006", "1309.78"},
		{"SELECT commission::text FROM shifts WHERE shift_id = 1001", "6895.66"},
		{"SELECT status::text FROM shifts WHERE shift_id = 1006", "closed"},
		{"SELECT clock_in::text || '-' || clock_out::text FROM shifts WHERE shift_id = 1006", "11:00:00-21:00:00"},
		{"SELECT comment FROM shifts WHERE shift_id = 1001", "=SUM(A1:A9) is not a formula here"},
		{"SELECT coalesce(bonus::text, 'NULL') FROM shifts WHERE shift_id = 1000", "NULL"},
		{"SELECT name FROM employee_settings WHERE employee_id = 106", "Сергей Лебедев"},
		{"SELECT active::text FROM employee_settings WHERE employee_id = 107", "true"},
		{"SELECT telegram_id::text FROM employee_settings WHERE employee_id = 102", "412633920"},
		{"SELECT coalesce(max_sales::text, 'NULL') FROM dynamic_rates WHERE min_sales = 50000", "NULL"},
		{"SELECT string_agg(percent::text, ',' ORDER BY min_sales) FROM dynamic_rates", "5.00,7.00,9.00,12.00"},
		{"SELECT monthly_bonus::text FROM ranks WHERE rank = 'Профи'", "1500.00"},
	} {
		if got := scalar[string](t, e.conn, c.sql); got != c.want {
			t.Errorf("%s = %q, want %q", c.sql, got, c.want)
		}
	}
}
