package bench

import (
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/syncer"
)

func TestMain(m *testing.M) { os.Exit(testworld.Main(m)) }

// world is a testworld.World with a wide table mirrored into its emulator.
type world struct {
	*testworld.World
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
	w := &world{}
	w.World = testworld.New(b, testworld.Options{
		Schema: wideTable,
		// The workloads' 8 clients plus checks.
		Pool:     func(pc *pgxpool.Config) { pc.MaxConns = 16 },
		Emulator: emu,
		Wrap:     w.rec.wrap,
		Title:    "bench",
	})
	w.cfgPath = w.WriteConfig("syncd", testworld.Config{Body: `http:
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
`})
	w.mirrors = w.Mirrors(w.cfgPath)
	if capture {
		w.Migrate(w.mirrors...)
	} else {
		w.Migrate()
	}
	return w
}

// syncer returns a Syncer on the world with an unlimited quota (setup work
// must not be paced like production). Its Sheets client counts as another
// user in the emulator (quotaUser), so it never eats the measured
// process's quota.
func (w *world) syncer(b testing.TB) *syncer.Syncer {
	b.Helper()
	c := w.Client(setupUser)
	return syncer.New(syncer.Options{Pool: w.Pool, Sheet: c, Codec: sheets.Codec{}, Mirrors: w.mirrors})
}

// drain mirrors the whole outbox.
func (w *world) drain(b testing.TB, s *syncer.Syncer) {
	b.Helper()
	for {
		n, err := s.Drain(w.Ctx)
		if err != nil {
			b.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// emulator0 is an emulator without latency, faults or quota.
func emulator0() sheetsemu.Options { return sheetsemu.Options{} }

// setupUser is the emulator quota user of set-up and checking work.
const setupUser = "bench-setup"
