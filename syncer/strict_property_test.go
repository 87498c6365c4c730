package syncer_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/sheettest"
	"github.com/syncd/syncd/syncer"
)

const propSchema = `CREATE TABLE p (id integer PRIMARY KEY, name text, qty integer, note text);`

const propMirror = `  - name: p
    table: public.p
    sheet: P
`

// envInt reads a positive integer from the environment, or def.
func envInt(t *testing.T, name string, def int64) int64 {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

// TestStrictSheetPropertyConvergesAfterDamage interleaves random table
// changes with random damage a person does through the API, against the
// strict emulator. No batch may stay failed (at most two failed Drains in a
// row); after quiescence (drain, one reconcile for the damage the change
// stream does not see: blank rows inserted among the data, cells cleared
// in rows no change touches, rows deleted, then drain again) the tab
// equals the table cell for cell. SYNCD_PROPERTY_STEPS sets the number of
// steps (default 60), SYNCD_SEED the seed (default random; always logged).
func TestStrictSheetPropertyConvergesAfterDamage(t *testing.T) {
	// The seed is random unless SYNCD_SEED sets it; it is always logged,
	// so a failure in CI is reproduced with the line it prints.
	seed := uint64(envInt(t, "SYNCD_SEED", 0))
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("SYNCD_SEED=%d", seed)
	steps := int(envInt(t, "SYNCD_PROPERTY_STEPS", 60))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with SYNCD_SEED=%d SYNCD_PROPERTY_STEPS=%d", seed, steps)
		}
	})
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := setup(t, propSchema, propMirror)
	w := &world{b: b, p: b.person(), rng: rng}
	b.exec(`INSERT INTO p SELECT g, 'n' || g, g, NULL FROM generate_series(1, 8) g`)
	w.drain()
	for i := 0; i < steps; i++ {
		if rng.IntN(3) == 0 {
			w.damage(i)
		} else {
			w.change(i)
		}
		if rng.IntN(2) == 0 {
			w.drain()
		}
	}
	w.drain()
	if _, err := b.syncer.Reconcile(b.ctx, syncer.ReconcileOptions{}); err != nil {
		t.Fatalf("reconcile after the damage: %v\nsteps: %v", err, w.log)
	}
	w.drain()
	for _, m := range b.mirrors {
		if diff := w.diff(m.Name); diff != "" {
			t.Fatalf("%s\nsteps: %v", diff, w.log)
		}
	}
	t.Logf("seed %d, %d steps, %d failed drains, sync_log errors: %d", seed, steps, w.failed, len(b.syncLogErrors()))
	if os.Getenv("SYNCD_PROPERTY_LOG") != "" {
		t.Logf("steps: %q", w.log)
	}
}

// world is the property test's state.
type world struct {
	b      *bundle
	p      *person
	rng    *rand.Rand
	log    []string
	failed int
}

func (w *world) diff(name string) string {
	for _, m := range w.b.mirrors {
		if m.Name == name {
			d, err := sheettest.Diff(w.b.ctx, w.b.pool, w.b.sheet, m)
			if err != nil {
				w.b.t.Fatal(err)
			}
			return d
		}
	}
	return "no mirror " + name
}

// drain empties the outbox; a batch may fail (and is then replanned) but
// three failed Drains in a row mean a batch is stuck.
func (w *world) drain() {
	w.b.t.Helper()
	fails := 0
	for {
		n, err := w.b.syncer.Drain(w.b.ctx)
		if err != nil {
			w.failed++
			fails++
			w.log = append(w.log, "drain failed: "+err.Error())
			if fails == 3 {
				w.b.t.Fatalf("a batch is stuck: %v\nsteps: %v", err, w.log)
			}
			continue
		}
		fails = 0
		if n == 0 {
			return
		}
	}
}

func (w *world) change(i int) {
	id := 1 + w.rng.IntN(30)
	var sql string
	switch w.rng.IntN(7) {
	case 0, 1:
		sql = fmt.Sprintf(`INSERT INTO p SELECT g, 'n' || g || '.%d', g * %d, NULL FROM generate_series(%d, %d) g ON CONFLICT DO NOTHING`, i, i, id, id+w.rng.IntN(5))
	case 2, 3:
		sql = fmt.Sprintf(`UPDATE p SET qty = coalesce(qty, 0) + 1, note = 'step %d' WHERE id %% %d = 0`, i, 1+w.rng.IntN(4))
	case 4:
		sql = fmt.Sprintf(`DELETE FROM p WHERE id <= %d`, id)
	case 5:
		sql = []string{`DELETE FROM p`, `TRUNCATE p`}[w.rng.IntN(2)]
	case 6:
		sql = fmt.Sprintf(`UPDATE p SET id = id + 100 WHERE id = %d AND NOT EXISTS (SELECT 1 FROM p WHERE id = %d)`, id, id+100)
	}
	w.log = append(w.log, sql)
	w.b.exec(sql)
}

// damage does one thing a person might do to the tab; requests the API
// refuses (as it would refuse the person) are ignored.
func (w *world) damage(i int) {
	tab := w.mirrorTab()
	id, rows, cols := tab.SheetID, max(tab.RowCount, 1), max(tab.ColCount, 1)
	near := min(rows, 40) // where the data is: damage far below it is no damage
	var what string
	var req *sheetsapi.Request
	switch w.rng.IntN(6) {
	case 0:
		s := w.rng.IntN(near)
		e := s + 1 + w.rng.IntN(3)
		what, req = fmt.Sprintf("delete rows [%d,%d)", s, e), deleteDim(id, "ROWS", s, min(e, rows))
	case 1:
		s := w.rng.IntN(min(cols, 5))
		e := s + 1 + w.rng.IntN(cols-s)
		what, req = fmt.Sprintf("delete columns [%d,%d)", s, e), deleteDim(id, "COLUMNS", s, e)
	case 2:
		s := w.rng.IntN(near)
		what, req = fmt.Sprintf("insert rows at %d", s), insertDim(id, "ROWS", s, s+1+w.rng.IntN(2))
	case 3:
		r, c := w.rng.IntN(min(rows, 20)), w.rng.IntN(min(cols, 4))
		a1 := clearRange(tab.Title, r, c, w.rng.IntN(3), w.rng.IntN(3))
		what = "clear " + a1
		_, err := w.p.svc.Spreadsheets.Values.Clear(w.b.id, a1, &sheetsapi.ClearValuesRequest{}).Do()
		w.log = append(w.log, fmt.Sprintf("step %d: %s (%v)", i, what, err))
		return
	case 4:
		n := w.rng.IntN(4)
		what, req = fmt.Sprintf("freeze %d rows", n), &sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
			Properties: &sheetsapi.SheetProperties{SheetId: id, GridProperties: &sheetsapi.GridProperties{FrozenRowCount: int64(n), ForceSendFields: []string{"FrozenRowCount"}},
				ForceSendFields: []string{"SheetId"}},
			Fields: "gridProperties.frozenRowCount"}}
	case 5:
		what, req = "rename the tab", &sheetsapi.Request{UpdateSheetProperties: &sheetsapi.UpdateSheetPropertiesRequest{
			Properties: &sheetsapi.SheetProperties{SheetId: id, Title: fmt.Sprintf("renamed %d", i), ForceSendFields: []string{"SheetId"}},
			Fields:     "title"}}
	}
	err := w.p.do(req)
	w.log = append(w.log, fmt.Sprintf("step %d: %s (%v)", i, what, err))
}

func clearRange(title string, r, c, dr, dc int) string {
	return fmt.Sprintf("'%s'!%c%d:%c%d", title, 'A'+c, r+1, 'A'+c+dc, r+1+dr)
}

// mirrorTab is the tab syncd created: every tab but the spreadsheet's
// first, whatever people renamed it to.
func (w *world) mirrorTab() syncd.TabInfo {
	w.b.t.Helper()
	info, err := w.b.sheet.Info(w.b.ctx)
	if err != nil {
		w.b.t.Fatal(err)
	}
	for _, t := range info.Tabs {
		if t.Title != "Sheet1" {
			return t
		}
	}
	w.b.t.Fatalf("no mirror tab in %+v", info.Tabs)
	return syncd.TabInfo{}
}
