//go:build demo

// The demo links the Sheets emulator (package sheetsemu) and a throwaway
// PostgreSQL cluster into syncd, so it is built only with -tags demo
// (`make demo`); the release build gets demo_off.go instead.

package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/deploy/examples/shiftbot"
	"github.com/syncd/syncd/internal/pgcluster"
	"github.com/syncd/syncd/sheetsemu"
)

// demoSummary is the demo's line in syncd's usage.
const demoSummary = "throwaway Postgres + built-in Sheets emulator + example data, no flags needed"

func (m *Main) demo(ctx context.Context, args []string) error {
	f, err := m.parseDemoFlags(args)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "syncd-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := m.runDemo(ctx, dir, f); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	fmt.Fprintln(m.Stdout, "syncd demo: stopped and cleaned up")
	return nil
}

// runDemo sets up the database (a throwaway cluster unless -db), the
// example data and the emulator, then runs the daemon and the workload
// until ctx ends. Everything it starts is stopped when it returns.
func (m *Main) runDemo(ctx context.Context, dir string, f demoFlags) error {
	dbURL := f.db
	if dbURL == "" {
		url, stop, err := m.startDemoCluster(ctx)
		if err != nil {
			return err
		}
		defer stop()
		dbURL = url
	}
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("connect to %s: %w", dbURL, err)
	}
	defer pool.Close()
	if err := seedDemo(ctx, pool); err != nil {
		return err
	}
	emu, emuURL, stopEmu, err := startDemoEmulator(f.addr)
	if err != nil {
		return err
	}
	defer stopEmu()
	sheetID, err := createDemoSpreadsheet(emu)
	if err != nil {
		return err
	}
	cfgPath, err := writeDemoConfig(dir, dbURL, sheetID, emuURL)
	if err != nil {
		return err
	}
	if err := m.migrate(ctx, []string{"-config", cfgPath}); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return m.runDemoDaemon(ctx, cfgPath, pool, f.every, func() {
		m.printDemoBanner(emuURL, dbURL, cfgPath, f.every)
	})
}

// startDemoCluster starts a throwaway PostgreSQL cluster with an empty
// database shiftbot and returns its URL and how to stop it.
func (m *Main) startDemoCluster(ctx context.Context) (url string, stop func(), err error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	fmt.Fprintln(m.Stdout, "starting a throwaway PostgreSQL cluster ...")
	// pgcluster makes its own directory, owned by the user the server runs as.
	c, err := pgcluster.Start(ctx, pgcluster.Options{Port: port})
	if errors.Is(err, pgcluster.ErrNoServer) {
		return "", nil, fmt.Errorf("%w\n(or point the demo at a database you have: syncd demo -db postgres://...)", err)
	}
	if err != nil {
		return "", nil, fmt.Errorf("start PostgreSQL: %w", err)
	}
	stop = func() { c.Stop() }
	if err := createDemoDatabase(ctx, c.URL("postgres")); err != nil {
		stop()
		return "", nil, err
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/shiftbot?sslmode=disable", port), stop, nil
}

func createDemoDatabase(ctx context.Context, adminURL string) error {
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to the throwaway cluster: %w", err)
	}
	defer admin.Close(context.WithoutCancel(ctx))
	if _, err := admin.Exec(ctx, "CREATE DATABASE shiftbot"); err != nil {
		return fmt.Errorf("create database: %w", err)
	}
	return nil
}

// startDemoEmulator serves a Sheets emulator (API and browser view) on
// addr, or on any free port when addr is taken, and returns its URL and
// how to stop it.
func startDemoEmulator(addr string) (emu *sheetsemu.Server, url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		// Someone has the default port: any free one will do.
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, "", nil, fmt.Errorf("listen: %w", err)
		}
	}
	emu = sheetsemu.New(sheetsemu.Options{})
	web := &http.Server{Handler: emu, ReadHeaderTimeout: 5 * time.Second}
	go web.Serve(ln)
	stop = func() {
		web.Close()
		emu.Close()
	}
	return emu, "http://" + ln.Addr().String(), stop, nil
}

// demoFirstTab is the sheet of the example config's first mirror. The demo
// spreadsheet starts with it (empty) instead of a "Sheet1" that nothing
// mirrors and that would be the first tab people see: the daemon finds the
// tab by its title and fills it.
const demoFirstTab = "Shifts"

// demoPollChanges is the demo config's sheets.poll_changes.
const demoPollChanges = "2s"

// createDemoSpreadsheet adds the demo's spreadsheet to emu, with one empty
// tab, demoFirstTab, and returns its id.
func createDemoSpreadsheet(emu *sheetsemu.Server) (string, error) {
	doc := fmt.Sprintf(`{"properties": {"title": "Shift bot (syncd demo)"},
		"sheets": [{"properties": {"sheetId": 0, "title": %q, "index": 0, "gridProperties": {"rowCount": 1000, "columnCount": 26}}}]}`,
		demoFirstTab)
	id, err := emu.Load(strings.NewReader(doc))
	if err != nil {
		return "", fmt.Errorf("create the demo spreadsheet: %w", err)
	}
	return id, nil
}

// writeDemoConfig writes the shift bot's example config, pointed at the
// demo's database and emulator, into dir and returns its path.
func writeDemoConfig(dir, dbURL, spreadsheetID, emuURL string) (string, error) {
	httpAddr := "127.0.0.1:9187"
	if l, err := net.Listen("tcp", httpAddr); err == nil {
		l.Close()
	} else {
		httpAddr = "127.0.0.1:0"
	}
	cfgText := strings.NewReplacer(
		"${DATABASE_URL}", dbURL,
		"${SYNCD_SPREADSHEET_ID}", spreadsheetID,
		"${SYNCD_CREDENTIALS_FILE:-}", "",
		"${SYNCD_SHEETS_ENDPOINT:-}", emuURL,
		"listen: 127.0.0.1:9187", "listen: "+httpAddr,
		`schedule: "@every 5m"`, `schedule: "@every 1m"`,
		// The sheet's edits back within seconds: a person trying the page
		// sees a comment reach Postgres while still looking.
		"  read_requests_per_minute: 60\n", "  read_requests_per_minute: 60\n  poll_changes: "+demoPollChanges+"\n",
	).Replace(shiftbot.Config) + "log:\n  format: console\n  level: info\n"
	cfgPath := filepath.Join(dir, "syncd.yml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		return "", fmt.Errorf("write the demo config: %w", err)
	}
	return cfgPath, nil
}

// runDemoDaemon runs the daemon on the config at cfgPath and, once it has
// started, calls started and runs the workload, until ctx ends.
func (m *Main) runDemoDaemon(ctx context.Context, cfgPath string, pool *pgxpool.Pool, every time.Duration, started func()) error {
	cfg, log, err := loadConfigAndLogger(cfgPath)
	if err != nil {
		return err
	}
	d, err := newDaemon(ctx, cfg, log, "demo")
	if err != nil {
		return err
	}
	defer d.close()
	done := make(chan error, 1)
	go func() { done <- d.run(ctx) }()
	started()
	go demoWorkload(ctx, pool, every, log.Named("demo"))
	err = <-done
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// printDemoBanner says where to look and prints two commands to try. They
// must run as printed from any shell: syncd by the path this process runs
// from (a demo binary is rarely on PATH: bin/syncd after make demo), psql
// by an absolute path, and the UPDATE on a shift that exists (the seeded
// ids start at 1000, and the workload deletes some).
func (m *Main) printDemoBanner(emuURL, dbURL, cfgPath string, every time.Duration) {
	self, err := os.Executable()
	if err != nil {
		self = "syncd"
	}
	fmt.Fprintf(m.Stdout, `
syncd demo is running.

  Watch the sheet:   %s/
  Postgres:          %s
  Config:            %s
  Operator view:     %s status -config %s
  Change a row:      %s %s -c "UPDATE shifts SET comment = 'hello from psql' WHERE shift_id = (SELECT min(shift_id) FROM shifts)"

A shift is written every %s; now and then one is edited or deleted.
Press Ctrl-C to stop: the cluster, the emulator and the files are removed.

`, emuURL, dbURL, cfgPath, shellQuote(self), shellQuote(cfgPath), shellQuote(psqlPath()), shellQuote(dbURL), every)
}

// psqlPath is psql's absolute path: from PATH, else next to the server
// binaries the throwaway cluster runs (Debian keeps them off PATH); plain
// "psql" when neither has one.
func psqlPath() string {
	if p, err := exec.LookPath("psql"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs
		}
	}
	if dir, err := pgcluster.FindBinDir(); err == nil {
		if p := filepath.Join(dir, "psql"); fileExists(p) {
			return p
		}
	}
	return "psql"
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// seedDemo creates the example tables when missing and fills them with a
// few hundred plausible rows.
func seedDemo(ctx context.Context, pool *pgxpool.Pool) error {
	exists, err := catalog.TableExists(ctx, pool, "public.shifts")
	if err != nil {
		return err
	}
	if exists {
		return nil
	}
	if _, err := pool.Exec(ctx, shiftbot.Schema); err != nil {
		return fmt.Errorf("create the example schema: %w", err)
	}
	_, err = pool.Exec(ctx, `
INSERT INTO employee_settings (employee_id, name, telegram_id, base_commission_pct)
SELECT 100 + g, (ARRAY['Alexei','Maria','Ivan','Olga','Sergei','Yulia','Dmitri','Anna','Pavel','Elena'])[1 + g % 10] || ' ' ||
       (ARRAY['Ivanov','Petrova','Smirnov','Lebedeva','Kozlov'])[1 + g % 5], 400000000 + g * 7919, 8 + g % 5
FROM generate_series(0, 19) g;
INSERT INTO dynamic_rates VALUES (0, 9999.99, 5), (10000, 24999.99, 7), (25000, 49999.99, 9), (50000, NULL, 12);
INSERT INTO ranks VALUES ('Newcomer', 0, 0), ('Pro', 100000, 1500), ('Master', 250000, 4000), ('Legend', 500000, 10000);
INSERT INTO shifts (shift_id, shift_date, employee_id, clock_in, clock_out, total_sales, commission_pct, commission, status, comment)
SELECT 1000 + g, DATE '2025-09-01' + g / 4, 100 + g % 20, '10:00', '18:00', round((5000 + (g * 7919) % 60000)::numeric, 2),
       9, round((5000 + (g * 7919) % 60000) * 0.09, 2), CASE WHEN g < 280 THEN 'closed' ELSE 'open' END::shift_status,
       CASE WHEN g % 17 = 0 THEN '=not a formula, just text' WHEN g % 11 = 0 THEN 'late start' END
FROM generate_series(0, 299) g;`)
	if err != nil {
		return fmt.Errorf("seed the example tables: %w", err)
	}
	return nil
}

// demoWorkload writes a shift every tick, and now and then edits or deletes
// one, until ctx ends.
func demoWorkload(ctx context.Context, pool *pgxpool.Pool, every time.Duration, log *zap.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var err error
		switch {
		case i%7 == 6:
			_, err = pool.Exec(ctx, `DELETE FROM shifts WHERE shift_id = (SELECT shift_id FROM shifts ORDER BY random() LIMIT 1)`)
		case i%3 == 2:
			_, err = pool.Exec(ctx, `UPDATE shifts SET status = 'closed', total_sales = total_sales + $1
				WHERE shift_id = (SELECT shift_id FROM shifts WHERE status = 'open' ORDER BY random() LIMIT 1)`, rand.IntN(5000))
		default:
			_, err = pool.Exec(ctx, `INSERT INTO shifts (shift_id, shift_date, employee_id, clock_in, total_sales, status)
				SELECT coalesce(max(shift_id), 1000) + 1, current_date, 100 + $1, localtime(0), $2, 'open' FROM shifts`,
				rand.IntN(20), float64(rand.IntN(6000000))/100)
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("demo workload write failed", zap.Error(err))
		}
	}
}
