package syncer_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap/zaptest"
	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/syncer"
)

func TestMain(m *testing.M) { os.Exit(testworld.Main(m)) }

// bundle is one test's world: a database with a captured table, an emulator
// with one spreadsheet, the real Sheets client and a Syncer.
type bundle struct {
	t       *testing.T
	ctx     context.Context
	url     string
	pool    *pgxpool.Pool
	emu     *sheetsemu.Server
	srv     struct{ URL string } // the emulator's base URL (testworld's Endpoint)
	sheet   *sheets.Client
	id      string
	mirrors []syncd.Mirror
	syncer  *syncer.Syncer
}

const itemsSchema = `
CREATE TYPE item_status AS ENUM ('new', 'done');
CREATE TABLE items (
	id      integer PRIMARY KEY,
	name    text,
	price   numeric(12,2),
	qty     bigint,
	ratio   double precision,
	ok      boolean,
	day     date,
	at      timestamptz,
	status  item_status,
	meta    jsonb,
	comment text
);`

const itemsMirror = `  - name: items
    table: public.items
    sheet: Items
    editable: [comment]
`

// setup builds the world for a schema and the mirrors section of a config.
func setup(t *testing.T, schema, mirrorsYAML string) *bundle {
	t.Helper()
	w := testworld.New(t, testworld.Options{Schema: schema, Title: "syncd test", Pool: func(cc *pgxpool.Config) {
		for k, v := range map[string]string{"timezone": "UTC", "datestyle": "ISO, YMD", "intervalstyle": "postgres"} {
			cc.ConnConfig.RuntimeParams[k] = v
		}
	}})
	ctx := w.Ctx
	b := &bundle{t: t, ctx: ctx, url: w.URL, pool: w.Pool, emu: w.Emu, id: w.ID}
	b.srv.URL = w.Endpoint
	cfg, err := config.Parse("test.yml", []byte("postgres:\n  url: x\nsheets:\n  spreadsheet_id: x\nmirrors:\n"+mirrorsYAML))
	if err != nil {
		t.Fatal(err)
	}
	if b.mirrors, err = cfg.Resolve(ctx, b.pool); err != nil {
		t.Fatal(err)
	}
	w.Migrate(b.mirrors...)
	b.sheet, err = sheets.New(ctx, sheets.Options{SpreadsheetID: b.id, Endpoint: b.srv.URL, Quota: sheets.NewQuota(100000, 100000, nil)})
	if err != nil {
		t.Fatal(err)
	}
	b.syncer = syncer.New(syncer.Options{Pool: b.pool, Sheet: b.sheet, Codec: sheets.Codec{}, Mirrors: b.mirrors, Logger: zaptest.NewLogger(t)})
	return b
}

func (b *bundle) exec(sql string, args ...any) {
	b.t.Helper()
	if _, err := b.pool.Exec(b.ctx, sql, args...); err != nil {
		b.t.Fatalf("%s: %v", sql, err)
	}
}

// drain runs batches until the outbox is empty and returns the API calls of
// each batch.
func (b *bundle) drain() []int {
	b.t.Helper()
	var calls []int
	for {
		before := b.syncer.Stats().APICalls
		n, err := b.syncer.Drain(b.ctx)
		if err != nil {
			b.t.Fatalf("drain: %v", err)
		}
		if n == 0 {
			return calls
		}
		calls = append(calls, b.syncer.Stats().APICalls-before)
	}
}

// tab reads a whole tab through the real client.
func (b *bundle) tab(title string) [][]syncd.Cell {
	b.t.Helper()
	got, err := b.sheet.Read(b.ctx, []syncd.Range{{Tab: title}})
	if err != nil {
		b.t.Fatalf("read tab %q: %v", title, err)
	}
	return got[0]
}

// assertMirrored checks that the mirror's tab equals its table cell for cell
// under the codec.
func (b *bundle) assertMirrored(name string) {
	b.t.Helper()
	for _, m := range b.mirrors {
		if m.Name != name {
			continue
		}
		diff, err := sheettest.Diff(b.ctx, b.pool, b.sheet, m)
		if err != nil {
			b.t.Fatal(err)
		}
		if diff != "" {
			b.t.Fatal(diff)
		}
		return
	}
	b.t.Fatalf("no mirror %q", name)
}

// syncLogChanges sums sync_log's change counts of ok batches.
func (b *bundle) syncLogChanges(mirror string) int {
	b.t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, `SELECT coalesce(sum(changes), 0) FROM syncd.sync_log
		WHERE mirror = $1 AND kind = 'change' AND status = 'ok'`, mirror).Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

func (b *bundle) outboxLen() int {
	b.t.Helper()
	var n int
	if err := b.pool.QueryRow(b.ctx, "SELECT count(*) FROM syncd.changes").Scan(&n); err != nil {
		b.t.Fatal(err)
	}
	return n
}

// rawService is the plain Go client on the same emulator, for acting as a
// person would (typing, sorting, deleting rows).
func (b *bundle) rawService() *sheetsapi.Service {
	b.t.Helper()
	srv, err := sheetsapi.NewService(b.ctx, option.WithEndpoint(b.srv.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		b.t.Fatal(err)
	}
	return srv
}

func valueRange(v [][]any) *sheetsapi.ValueRange { return &sheetsapi.ValueRange{Values: v} }
