package chaos

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
)

// TestMain builds nothing up front: testworld builds cmd/syncd on first use
// and removes it at the end.
func TestMain(m *testing.M) { os.Exit(testworld.Main(m)) }

// itemsTable is the chaos workload's table: a sequence-backed key that key
// updates move, and the usual column kinds (numeric, timestamptz, NULLs).
const itemsTable = `
CREATE SEQUENCE item_ids;
CREATE TABLE items (
	id     bigint PRIMARY KEY DEFAULT nextval('item_ids'),
	writer integer NOT NULL,
	grp    integer NOT NULL,
	qty    integer NOT NULL,
	label  text,
	amount numeric(12,2),
	seen   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_writer ON items (writer, grp);`

// world is a testworld.World with the items table and one spreadsheet;
// each daemon reaches the emulator through its own server (Serve).
type world struct{ *testworld.World }

func newWorld(t *testing.T) *world {
	t.Helper()
	return &world{testworld.New(t, testworld.Options{Schema: itemsTable, Emulator: sheetsemu.Options{Seed: 8}, Title: "chaos"})}
}

// writeConfig writes a config for endpoint and returns its path. The quotas
// are generous: the chaos suite injects its own 429s, and a restarted
// daemon's empty token bucket must not be what paces the test.
func (w *world) writeConfig(name, endpoint string) string {
	w.T.Helper()
	return w.WriteConfig(name, testworld.Config{
		Endpoint: endpoint,
		Sheets:   "write_requests_per_minute: 1200\nread_requests_per_minute: 1200\n",
		Body: `reconcile:
  schedule: "@every 1h"
  poll_interval: 2s
http:
  listen: 127.0.0.1:0
log:
  format: json
  level: info
mirrors:
  - name: items
    table: public.items
    sheet: Items
`})
}

// mirror resolves the items mirror from a config.
func (w *world) mirror(cfgPath string) syncd.Mirror {
	w.T.Helper()
	return w.Mirrors(cfgPath)[0]
}

// role is what syncd.daemons says about one process of an instance ("" if
// it has not written its heartbeat yet).
func (w *world) role(instance string, pid int) (string, error) {
	var role string
	err := w.Pool.QueryRow(w.Ctx, "SELECT role FROM syncd.daemons WHERE instance = $1 AND pid = $2", instance, pid).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return role, err
}

// start runs `syncd run` for an instance; the process is named after it.
func (w *world) start(cfgPath, instance string) *testworld.Proc {
	w.T.Helper()
	return testworld.StartSyncd(w.T, instance, "run", "-config", cfgPath, "-instance", instance)
}

// stop sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, p *testworld.Proc) {
	t.Helper()
	err := p.Stop(30 * time.Second)
	if errors.Is(err, testworld.ErrStopTimeout) {
		t.Fatalf("%s did not stop within 30s of SIGTERM:\n%s", p.Name, p.Log.Tail(4000))
	}
	if err != nil {
		t.Errorf("%s exited with %v after SIGTERM:\n%s", p.Name, err, p.Log.Tail(4000))
	}
}
