package bench

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/syncer"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// world is a database with a wide table mirrored into an emulator.
type world struct {
	ctx     context.Context
	url     string
	pool    *pgxpool.Pool
	emu     *sheetsemu.Server
	srv     *httptest.Server
	id      string
	cfgPath string
	mirrors []syncd.Mirror
	// rec sees every request the emulator serves (sizes, statuses, and
	// when rows landed); see recorder.
	rec recorder
}

// wideTable is 10 columns of the usual kinds.
const wideTable = `CREATE TABLE wide (
	id bigint PRIMARY KEY, name text, amount numeric(12,2), qty integer, ratio double precision,
	ok boolean, day date, at timestamptz, status text, note text)`

const wideRows = `INSERT INTO wide
SELECT g, 'row ' || g, (g % 100000) / 100.0, g % 1000, g / 7.0, g % 2 = 0, DATE '2020-01-01' + g % 2000,
       TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * interval '1 minute', CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || (g % 97) END
FROM generate_series(1, $1) g`

func newWorld(b testing.TB, emu sheetsemu.Options) *world {
	return newWorldCapture(b, emu, true)
}

// newWorldCapture is newWorld; capture false leaves the table without
// syncd's triggers (a world for the naive mirror).
func newWorldCapture(b testing.TB, emu sheetsemu.Options, capture bool) *world {
	b.Helper()
	w := &world{ctx: context.Background()}
	w.url = pgtest.NewDB(b)
	pgtest.Exec(b, w.url, wideTable)
	var err error
	pc, err := pgxpool.ParseConfig(w.url)
	if err != nil {
		b.Fatal(err)
	}
	pc.MaxConns = 16 // the workloads' 8 clients plus checks
	if w.pool, err = pgxpool.NewWithConfig(w.ctx, pc); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(w.pool.Close)
	w.emu = sheetsemu.New(emu)
	w.srv = httptest.NewServer(w.rec.wrap(w.emu))
	b.Cleanup(w.srv.Close)
	w.id = w.emu.CreateSpreadsheet("bench")
	cfg := fmt.Sprintf(`postgres:
  url: %s
sheets:
  spreadsheet_id: %s
  endpoint: %s
http:
  listen: 127.0.0.1:0
log:
  format: console
  level: warn
reconcile:
  schedule: "@every 1h"
mirrors:
  - name: wide
    table: public.wide
    sheet: Wide
`, w.url, w.id, w.srv.URL)
	w.cfgPath = filepath.Join(b.TempDir(), "syncd.yml")
	if err := os.WriteFile(w.cfgPath, []byte(cfg), 0o600); err != nil {
		b.Fatal(err)
	}
	c, err := config.Load(w.cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	if w.mirrors, err = c.Resolve(w.ctx, w.pool); err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(w.ctx, w.url)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(w.ctx)
	if _, err := migrations.ApplySchema(w.ctx, conn); err != nil {
		b.Fatal(err)
	}
	if !capture {
		return w
	}
	if _, err := migrations.InstallCapture(w.ctx, conn, migrations.CaptureTables(w.mirrors)); err != nil {
		b.Fatal(err)
	}
	return w
}

// syncer returns a Syncer on the world with an unlimited quota (setup work
// must not be paced like production).
func (w *world) syncer(b testing.TB) *syncer.Syncer {
	b.Helper()
	// The set-up counts as another user in the emulator (quotaUser), so it
	// never eats the measured process's quota.
	hc := &http.Client{Transport: sheettest.QuotaUser(setupUser, nil)}
	c, err := sheets.New(w.ctx, sheets.Options{SpreadsheetID: w.id, Endpoint: w.srv.URL, HTTPClient: hc, Quota: sheets.NewQuota(1e6, 1e6, nil)})
	if err != nil {
		b.Fatal(err)
	}
	return syncer.New(syncer.Options{Pool: w.pool, Sheet: c, Codec: sheets.Codec{}, Mirrors: w.mirrors})
}

// drain mirrors the whole outbox.
func (w *world) drain(b testing.TB, s *syncer.Syncer) {
	b.Helper()
	for {
		n, err := s.Drain(w.ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// syncdBinary builds cmd/syncd (once per call), so that a
// measured run is a separate process with its own RSS.
func syncdBinary(b testing.TB) string {
	b.Helper()
	bin := filepath.Join(b.TempDir(), "syncd")
	out, err := exec.Command("go", "build", "-o", bin, "../cmd/syncd").CombinedOutput()
	if err != nil {
		b.Fatalf("build syncd: %v\n%s", err, out)
	}
	return bin
}

// emulator0 is an emulator without latency, faults or quota.
func emulator0() sheetsemu.Options { return sheetsemu.Options{} }

// setupUser is the emulator quota user of set-up and checking work.
const setupUser = "bench-setup"
