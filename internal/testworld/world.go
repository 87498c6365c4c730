package testworld

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
)

// CheckerUser is the quotaUser of Checker's requests. The emulator keeps a
// quota per quota user (without authentication), and fault injectors can
// recognise and spare it.
const CheckerUser = "checker"

// Options say what New builds. The zero value is an empty database and an
// emulator without latency, faults, quota or authentication.
type Options struct {
	// Schema is SQL run on the fresh database before anything else (the
	// application's tables). Empty runs nothing.
	Schema string
	// Pool, if set, adjusts the pool's config before the pool is made
	// (MaxConns, session parameters).
	Pool func(*pgxpool.Config)
	// Emulator configures the emulator.
	Emulator sheetsemu.Options
	// Wrap, if set, is put in front of the emulator on the world's server
	// (a recorder, a status counter); Serve can add other servers.
	Wrap func(http.Handler) http.Handler
	// Title is the spreadsheet's title; empty means "testworld".
	Title string
	// ServiceAccount, when set, is the email of a service account New
	// generates and registers with the emulator, which switches its
	// authentication on: every request then needs the account's token,
	// and the emulator's quota is per account, not per quotaUser. The key
	// is written to CredentialsFile, and configs and clients use it.
	ServiceAccount string
}

// World is one test's surroundings: a fresh database (URL, Pool), the
// Sheets emulator (Emu) with one spreadsheet (ID) behind an HTTP server
// (Endpoint), and a directory for config files (Dir). Everything is torn
// down when the test ends.
type World struct {
	T    testing.TB
	Ctx  context.Context
	URL  string
	Pool *pgxpool.Pool
	Emu  *sheetsemu.Server
	// Endpoint is the base URL of the world's server in front of Emu
	// (through Options.Wrap).
	Endpoint string
	// ID is the spreadsheet's ID.
	ID string
	// Dir is a temporary directory removed at the end of the test.
	Dir string
	// CredentialsFile is the service account's key file, or "" when
	// Options.ServiceAccount was empty.
	CredentialsFile string

	checker *sheets.Client
}

// New builds a World for t as o says. It fails t when any part cannot be
// built.
func New(t testing.TB, o Options) *World {
	t.Helper()
	w := &World{T: t, Ctx: context.Background(), Dir: t.TempDir()}
	w.URL = pgtest.NewDB(t)
	if o.Schema != "" {
		pgtest.Exec(t, w.URL, o.Schema)
	}
	pc, err := pgxpool.ParseConfig(w.URL)
	if err != nil {
		t.Fatal(err)
	}
	if o.Pool != nil {
		o.Pool(pc)
	}
	if w.Pool, err = pgxpool.NewWithConfig(w.Ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Pool.Close)
	w.Emu = sheetsemu.New(o.Emulator)
	var h http.Handler = w.Emu
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	w.Endpoint = w.Serve(h)
	if o.ServiceAccount != "" {
		sa, key, err := sheetsemu.GenerateServiceAccount(o.ServiceAccount, w.Endpoint+"/token")
		if err != nil {
			t.Fatal(err)
		}
		w.Emu.AddServiceAccount(sa)
		w.CredentialsFile = filepath.Join(w.Dir, "service-account.json")
		if err := os.WriteFile(w.CredentialsFile, key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	title := o.Title
	if title == "" {
		title = "testworld"
	}
	w.ID = w.Emu.CreateSpreadsheet(title)
	return w
}

// Serve puts h (the emulator, usually wrapped) behind a new HTTP server,
// closed at the end of the test, and returns its base URL. Tests give each
// daemon its own server to tell their requests apart.
func (w *World) Serve(h http.Handler) string {
	srv := httptest.NewServer(h)
	w.T.Cleanup(srv.Close)
	return srv.URL
}

// Config is a syncd config file beyond what WriteConfig fills in from the
// world: postgres.url, sheets.spreadsheet_id, sheets.endpoint and, with a
// service account, sheets.credentials_file.
type Config struct {
	// Endpoint is sheets.endpoint; empty means the world's Endpoint.
	Endpoint string
	// Sheets is more of the sheets section: YAML lines ("key: value")
	// without indentation; WriteConfig indents them.
	Sheets string
	// Body is the rest of the file, top-level YAML after the sheets
	// section: mirrors, reconcile, http, log...
	Body string
}

// WriteConfig writes c as Dir/<name>.yml and returns the path. It does not
// validate the file (tests of invalid configs use it too); Mirrors does.
func (w *World) WriteConfig(name string, c Config) string {
	w.T.Helper()
	endpoint := c.Endpoint
	if endpoint == "" {
		endpoint = w.Endpoint
	}
	var b strings.Builder
	fmt.Fprintf(&b, "postgres:\n  url: %s\nsheets:\n  spreadsheet_id: %s\n  endpoint: %s\n", w.URL, w.ID, endpoint)
	if w.CredentialsFile != "" {
		fmt.Fprintf(&b, "  credentials_file: %s\n", w.CredentialsFile)
	}
	for _, l := range strings.Split(strings.TrimRight(c.Sheets, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString("  " + l + "\n")
		}
	}
	b.WriteString(c.Body)
	path := filepath.Join(w.Dir, name+".yml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		w.T.Fatal(err)
	}
	return path
}

// Mirrors loads the config at path and resolves its mirrors against the
// world's database, failing the test on any error.
func (w *World) Mirrors(path string) []syncd.Mirror {
	w.T.Helper()
	cfg, err := config.Load(path)
	if err != nil {
		w.T.Fatal(err)
	}
	ms, err := cfg.Resolve(w.Ctx, w.Pool)
	if err != nil {
		w.T.Fatal(err)
	}
	return ms
}

// Migrate does in-process what `syncd migrate` does: it applies syncd's
// schema (migrations.ApplySchema) and installs capture triggers for the
// tables of capture (migrations.InstallCapture); with no mirrors it only
// applies the schema.
func (w *World) Migrate(capture ...syncd.Mirror) {
	w.T.Helper()
	conn, err := w.Pool.Acquire(w.Ctx)
	if err != nil {
		w.T.Fatal(err)
	}
	defer conn.Release()
	if _, err := migrations.ApplySchema(w.Ctx, conn.Conn()); err != nil {
		w.T.Fatal(err)
	}
	if len(capture) == 0 {
		return
	}
	if _, err := migrations.InstallCapture(w.Ctx, conn.Conn(), migrations.CaptureTables(capture)); err != nil {
		w.T.Fatal(err)
	}
}

// Client returns a new Sheets client on the world's spreadsheet and server
// whose requests carry quotaUser=user and whose own quota is unlimited, so
// that set-up and checking never wait for, nor (without authentication) eat
// the quota of, the process under test. With a service account it
// authenticates as that account.
func (w *World) Client(user string) *sheets.Client {
	w.T.Helper()
	hc := &http.Client{Transport: sheettest.QuotaUser(user, nil)}
	c, err := sheets.New(w.Ctx, sheets.Options{SpreadsheetID: w.ID, Endpoint: w.Endpoint, CredentialsFile: w.CredentialsFile,
		HTTPClient: hc, Quota: sheets.NewQuota(1e6, 1e6, nil)})
	if err != nil {
		w.T.Fatal(err)
	}
	return c
}

// Checker is the world's checking client: Client(CheckerUser), made once.
func (w *World) Checker() *sheets.Client {
	w.T.Helper()
	if w.checker == nil {
		w.checker = w.Client(CheckerUser)
	}
	return w.checker
}

// Tab reads the whole tab titled title through the Checker, failing the
// test when it cannot.
func (w *World) Tab(title string) [][]syncd.Cell {
	w.T.Helper()
	got, err := w.Checker().Read(w.Ctx, []syncd.Range{{Tab: title}})
	if err != nil {
		w.T.Fatalf("read tab %q: %v", title, err)
	}
	return got[0]
}

// Diff compares m's tab, read through the Checker, with its table cell for
// cell under the codec (sheettest.Diff): "" when equal, else what differs.
// The error is one of reading either side.
func (w *World) Diff(m syncd.Mirror) (string, error) {
	w.T.Helper()
	return sheettest.Diff(w.Ctx, w.Pool, w.Checker(), m)
}

// Pending is the number of outbox entries (syncd.changes) not yet mirrored.
func (w *World) Pending() (int, error) {
	var n int
	err := w.Pool.QueryRow(w.Ctx, "SELECT count(*) FROM syncd.changes").Scan(&n)
	return n, err
}

// Mirrored waits (Eventually, up to timeout) until the outbox is empty and
// the tab of each of ms equals its table (Diff).
func (w *World) Mirrored(timeout time.Duration, ms ...syncd.Mirror) {
	w.T.Helper()
	Eventually(w.T, timeout, "tabs equal tables", func() (bool, string) { return w.InStep(ms...) })
}

// Settled is Mirrored that fails nothing: it reports whether the outbox
// emptied and every tab of ms equalled its table within timeout, and else
// what differed last.
func (w *World) Settled(timeout time.Duration, ms ...syncd.Mirror) (bool, string) {
	return Await(timeout, func() (bool, string) { return w.InStep(ms...) })
}

// InStep looks once: it reports whether the outbox is empty and the tab of
// each of ms equals its table (Diff), and else what differs.
func (w *World) InStep(ms ...syncd.Mirror) (bool, string) {
	n, err := w.Pending()
	if err != nil {
		return false, err.Error()
	}
	if n > 0 {
		return false, fmt.Sprintf("%d changes pending", n)
	}
	for _, m := range ms {
		diff, err := w.Diff(m)
		if err != nil {
			return false, err.Error()
		}
		if diff != "" {
			return false, diff
		}
	}
	return true, ""
}
