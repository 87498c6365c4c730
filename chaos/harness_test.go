package chaos

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

// syncdBin is cmd/syncd built once for this test binary, without -race:
// the daemons are the system under test, not the code under the race
// detector, and kill -9 must hit a real process.
var syncdBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "syncd-chaos-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	syncdBin = filepath.Join(dir, "syncd")
	out, err := exec.Command("go", "build", "-o", syncdBin, "../cmd/syncd").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "go build ./cmd/syncd: %v\n%s", err, out)
		os.Exit(1)
	}
	code := pgtest.Main(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

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

// world is a database with the items table, an emulator with one
// spreadsheet behind its own HTTP server, and a config mirroring items.
type world struct {
	t    *testing.T
	ctx  context.Context
	url  string
	pool *pgxpool.Pool
	emu  *sheetsemu.Server
	id   string
	dir  string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{t: t, ctx: context.Background(), dir: t.TempDir()}
	w.url = pgtest.NewDB(t)
	pgtest.Exec(t, w.url, itemsTable)
	var err error
	if w.pool, err = pgxpool.New(w.ctx, w.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.pool.Close)
	w.emu = sheetsemu.New(sheetsemu.Options{Seed: 8})
	w.id = w.emu.CreateSpreadsheet("chaos")
	return w
}

// serve puts h (the emulator, possibly wrapped) behind a new HTTP server
// and returns its URL.
func (w *world) serve(h http.Handler) string {
	srv := httptest.NewServer(h)
	w.t.Cleanup(srv.Close)
	return srv.URL
}

// writeConfig writes a config for endpoint and returns its path. The quotas
// are generous: the chaos suite injects its own 429s, and a restarted
// daemon's empty token bucket must not be what paces the test.
func (w *world) writeConfig(name, endpoint string) string {
	w.t.Helper()
	cfg := fmt.Sprintf(`postgres:
  url: %s
sheets:
  spreadsheet_id: %s
  endpoint: %s
  write_requests_per_minute: 1200
  read_requests_per_minute: 1200
reconcile:
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
`, w.url, w.id, endpoint)
	path := filepath.Join(w.dir, name+".yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		w.t.Fatal(err)
	}
	return path
}

// syncd runs a syncd command to completion.
func (w *world) syncd(args ...string) (int, string) {
	cmd := exec.Command(syncdBin, args...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	case err != nil:
		w.t.Fatalf("syncd %v: %v", args, err)
	}
	return 0, string(out)
}

// mirror resolves the items mirror from a config.
func (w *world) mirror(cfgPath string) syncd.Mirror {
	w.t.Helper()
	cfg, err := config.Load(cfgPath)
	if err != nil {
		w.t.Fatal(err)
	}
	ms, err := cfg.Resolve(w.ctx, w.pool)
	if err != nil {
		w.t.Fatal(err)
	}
	return ms[0]
}

// checker is a Sheets client that counts as its own user (quotaUser), so
// the fault injector and the emulator's quotas leave it alone.
func (w *world) checker(endpoint string) *sheets.Client {
	w.t.Helper()
	hc := &http.Client{Transport: sheettest.QuotaUser("checker", nil)}
	c, err := sheets.New(w.ctx, sheets.Options{SpreadsheetID: w.id, Endpoint: endpoint, HTTPClient: hc, Quota: sheets.NewQuota(1e6, 1e6, nil)})
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// pending is the number of outbox entries not yet mirrored.
func (w *world) pending() (int, error) {
	var n int
	err := w.pool.QueryRow(w.ctx, "SELECT count(*) FROM syncd.changes").Scan(&n)
	return n, err
}

// role is what syncd.daemons says about one process of an instance ("" if
// it has not written its heartbeat yet).
func (w *world) role(instance string, pid int) (string, error) {
	var role string
	err := w.pool.QueryRow(w.ctx, "SELECT role FROM syncd.daemons WHERE instance = $1 AND pid = $2", instance, pid).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return role, err
}

// proc is one `syncd run` process.
type proc struct {
	cmd      *exec.Cmd
	instance string
	log      *syncBuffer
	done     chan struct{} // closed when the process has exited
	err      error         // its exit status, once done
}

func (w *world) start(cfgPath, instance string) *proc {
	w.t.Helper()
	p := &proc{instance: instance, log: &syncBuffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(syncdBin, "run", "-config", cfgPath, "-instance", instance)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	w.t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill9 sends SIGKILL (no clean-up of any kind) and waits for the exit.
func (p *proc) kill9() {
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not stop within 30s of SIGTERM:\n%s", p.instance, p.log.tail(4000))
	}
	if p.err != nil {
		t.Errorf("%s exited with %v after SIGTERM:\n%s", p.instance, p.err, p.log.tail(4000))
	}
}

// syncBuffer is an io.Writer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) tail(n int) string {
	s := b.String()
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// eventually polls cond (state that changes on its own schedule: a process,
// the database, the sheet) until it holds; it fails the test at the
// deadline with cond's last explanation.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		ok, why := cond()
		if ok {
			return
		}
		last = why
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached within %s: %s", what, timeout, last)
		}
		<-tick.C
	}
}
