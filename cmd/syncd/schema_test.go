package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
)

const empTable = `CREATE TABLE emp (id integer PRIMARY KEY, name text, dept text, note text);
INSERT INTO emp SELECT g, 'name ' || g, 'dept ' || g, 'precious note ' || g FROM generate_series(1, 20) g;`

// app is an application writing to emp continuously; ddl runs its own
// schema changes between its statements, as an application would.
type app struct {
	w      *world
	mu     sync.Mutex
	table  string
	next   int
	failed atomic.Int64
	wrote  atomic.Int64
	errs   []string
}

func (a *app) run(ctx context.Context) {
	for i := 0; ctx.Err() == nil; i++ {
		a.mu.Lock()
		var err error
		if i%3 == 0 {
			a.next++
			_, err = a.w.pool.Exec(ctx, fmt.Sprintf(`INSERT INTO %s (id, note) VALUES ($1, $2)`, a.table), 1000+a.next, fmt.Sprintf("note %d", 1000+a.next))
		} else {
			_, err = a.w.pool.Exec(ctx, fmt.Sprintf(`UPDATE %s SET note = 'note ' || id || ' ' || $1::text WHERE id = $2`, a.table), fmt.Sprint(i), 1+i%20)
		}
		if err != nil && ctx.Err() == nil {
			a.failed.Add(1)
			a.errs = append(a.errs, err.Error())
		}
		a.wrote.Add(1)
		a.mu.Unlock()
		time.Sleep(2 * time.Millisecond) // the application's pace, not a readiness wait
	}
}

// ddl runs statements between the application's, and switches its table.
func (a *app) ddl(table string, sql ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, s := range sql {
		if _, err := a.w.pool.Exec(a.w.ctx, s); err != nil {
			a.w.t.Fatalf("%s: %v", s, err)
		}
	}
	a.table = table
}

// settled pauses the application and waits until the tab equals the table
// (the mirror resolved as the config says, on table, the table's name now).
func (a *app) settled(cfg *config.Config, table string, timeout time.Duration) {
	a.w.t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.w.client()
	testworld.Eventually(a.w.t, timeout, "tab equals table", func() (bool, string) {
		m, err := cfg.ResolveOne(a.w.ctx, a.w.pool, "emp", table)
		if err != nil {
			return false, err.Error()
		}
		d, err := sheettest.Diff(a.w.ctx, a.w.pool, c, m)
		if err != nil {
			return false, err.Error()
		}
		if d != "" {
			return false, d
		}
		grid, err := c.Read(a.w.ctx, []syncd.Range{{Tab: "Emp", EndRow: 2}})
		if err != nil {
			return false, err.Error()
		}
		n := len(m.Columns)
		if row := grid[0]; len(row) < 2 || len(row[0]) <= n || row[0][n] != syncd.StringCell("mine") || len(row[1]) <= n || row[1][n] != syncd.StringCell("keep 1") {
			return false, fmt.Sprintf("the person's column is not right of the mirror's with its cells: %v", row)
		}
		return true, ""
	})
}

// Issue 13's must-show: the daemon running, an application writing
// continuously, and its DDL one statement after another. No application
// statement fails; after each the tab equals the table within 30 s with
// no restart and no migrate; a person's column right of the mirror keeps
// its cells; no conflict is recorded; no note holds another column's value.
func TestRunFollowsTheApplicationsDDLWhileItWrites(t *testing.T) {
	w, cfg := newEmpWorld(t)
	w.personWrite("Emp!E1:E2", "mine", "keep 1")
	a := &app{w: w, table: "emp"}
	ctx, cancel := context.WithCancel(w.ctx)
	done := make(chan struct{})
	go func() { a.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	steps := []struct {
		name, table string
		sql         []string
	}{
		{"ADD COLUMN", "emp", []string{`ALTER TABLE emp ADD COLUMN bonus numeric(8,2) DEFAULT 1.5`}},
		{"DROP COLUMN (mirrored)", "emp", []string{`ALTER TABLE emp DROP COLUMN dept`}},
		{"RENAME COLUMN", "emp", []string{`ALTER TABLE emp RENAME COLUMN name TO full_name`}},
		{"ALTER COLUMN TYPE", "emp", []string{`ALTER TABLE emp ALTER COLUMN bonus TYPE text`}},
		{"RENAME TABLE", "employees", []string{`ALTER TABLE emp RENAME TO employees`}},
		{"DROP TABLE, CREATE TABLE", "emp", []string{`DROP TABLE employees`, empTable}},
	}
	for _, s := range steps {
		start := time.Now()
		a.ddl(s.table, s.sql...)
		// The application goes on writing while the daemon follows.
		from := a.wrote.Load()
		testworld.Eventually(t, 30*time.Second, "the application writes", func() (bool, string) {
			return a.wrote.Load() >= from+200, fmt.Sprintf("%d statements", a.wrote.Load()-from)
		})
		table := ""
		if s.table != "emp" {
			table = "public." + s.table
		}
		a.settled(cfg, table, 30*time.Second)
		t.Logf("%s: tab equals table after %s (%d application statements so far, %d failed)", s.name, time.Since(start).Round(time.Millisecond), a.wrote.Load(), a.failed.Load())
	}
	if n := a.failed.Load(); n != 0 {
		t.Errorf("%d application statements failed: %v", n, a.errs[:min(len(a.errs), 5)])
	}
	var conflicts, foreign int
	if err := w.pool.QueryRow(w.ctx, `SELECT count(*) FROM syncd.conflicts`).Scan(&conflicts); err != nil {
		t.Fatal(err)
	}
	if err := w.pool.QueryRow(w.ctx, `SELECT count(*) FROM emp WHERE note !~ '^(note|precious note) '`).Scan(&foreign); err != nil {
		t.Fatal(err)
	}
	if conflicts != 0 || foreign != 0 {
		t.Errorf("%d conflicts nobody typed, %d notes holding another column's value", conflicts, foreign)
	}
}

// personWrite types values into a column, one per row from the range's top.
func (w *world) personWrite(a1 string, vals ...string) {
	w.t.Helper()
	svc := w.personService()
	rows := make([][]any, len(vals))
	for i, v := range vals {
		rows[i] = []any{v}
	}
	if _, err := svc.Spreadsheets.Values.Update(w.id, a1, &sheetsValueRange{Values: rows}).ValueInputOption("RAW").Do(); err != nil {
		w.t.Fatal(err)
	}
}

// addEmpMirror creates table emp, adds its mirror (tab Emp) to the
// world's config, migrates, and returns the loaded config.
func (w *world) addEmpMirror() *config.Config {
	w.t.Helper()
	w.exec(empTable)
	src, err := os.ReadFile(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	yml := strings.Replace(string(src), "mirrors:\n", "mirrors:\n  - name: emp\n    table: public.emp\n    sheet: Emp\n", 1)
	if err := os.WriteFile(w.cfgPath, []byte(yml), 0o600); err != nil {
		w.t.Fatal(err)
	}
	if code, out, errOut := runCmd(w.t, "migrate", "-config", w.cfgPath); code != 0 {
		w.t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	cfg, err := config.Load(w.cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	return cfg
}

// newEmpWorld is the shiftbot world with table emp mirrored as well, the
// daemon running and emp's tab written.
func newEmpWorld(t *testing.T) (*world, *config.Config) {
	t.Helper()
	w := newWorld(t, newStrictEmu())
	cfg := w.addEmpMirror()
	w.startDaemon()
	w.mirrored(30*time.Second, "emp")
	return w, cfg
}

// A renamed table is followed with a warning; a dropped table stops its
// mirror: /readyz, /metrics and syncd status
// name it with the fix while the other mirrors go on; created again, it
// is picked up and /readyz is ready again.
func TestRunShowsAMirrorStoppedByADroppedTable(t *testing.T) {
	w, cfg := newEmpWorld(t)
	var addr string
	if err := w.pool.QueryRow(w.ctx, `SELECT details->>'http' FROM syncd.daemons WHERE role = 'leader'`).Scan(&addr); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Renamed: followed, with a warning naming the config.
	w.exec(`ALTER TABLE emp RENAME TO employees`)
	w.exec(`UPDATE employees SET note = 'after the rename' WHERE id = 1`)
	testworld.Eventually(t, 30*time.Second, "/readyz warns of the rename", func() (bool, string) {
		code, body := get("/readyz")
		return code == http.StatusOK && strings.Contains(body, "config still names public.emp"), fmt.Sprint(code, " ", body)
	})
	if code, out, _ := runCmd(t, "status", "-config", w.cfgPath); code != 1 || !strings.Contains(out, "public.emp named in the config does not exist") {
		t.Errorf("syncd status exit %d, want 1 naming the renamed table:\n%s", code, out)
	}
	w.exec(`ALTER TABLE employees RENAME TO emp`)
	w.exec(`DROP TABLE emp`)
	w.insertShifts(1, 3, nil) // another mirror's changes wake the daemon
	testworld.Eventually(t, 30*time.Second, "/readyz names the stopped mirror", func() (bool, string) {
		code, body := get("/readyz")
		return code == http.StatusServiceUnavailable && strings.Contains(body, "table public.emp was dropped"), fmt.Sprint(code, " ", body)
	})
	if _, body := get("/metrics"); !strings.Contains(body, `syncd_mirror_stopped{mirror="emp"`) {
		t.Errorf("/metrics does not show the stopped mirror:\n%s", body)
	}
	code, out, _ := runCmd(t, "status", "-config", w.cfgPath)
	if code != 1 || !strings.Contains(out, "public.emp was dropped") {
		t.Errorf("syncd status exit %d, want 1 naming the dropped table:\n%s", code, out)
	}
	c := w.client()
	testworld.Eventually(t, 30*time.Second, "shifts goes on", func() (bool, string) {
		m, err := cfg.ResolveOne(w.ctx, w.pool, "shifts", "")
		if err != nil {
			return false, err.Error()
		}
		d, err := sheettest.Diff(w.ctx, w.pool, c, m)
		return err == nil && d == "", fmt.Sprint(d, err)
	})
	w.exec(empTable)
	testworld.Eventually(t, 30*time.Second, "/readyz ready again", func() (bool, string) {
		code, body := get("/readyz")
		return code == http.StatusOK, fmt.Sprint(code, " ", body)
	})
	w.mirrored(30*time.Second, "emp")
}
