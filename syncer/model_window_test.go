package syncer_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/syncer"
)

// Issue 19: the model-based test of the way back with the person acting
// INSIDE syncd's read → write window, and syncd killed at random points.
//
// syncd reaches the emulator through a middleware (windowProxy). When one
// of syncd's spreadsheets.batchUpdate calls arrives, the model may make a
// person's gesture first (sort, drag, cut/paste, copy/paste, insert or
// delete rows, overtype a key, type) through the real client straight to
// the emulator, and may kill syncd: cancel its context before forwarding
// the write, or after the emulator applied it and before the answer
// returns. A killed Syncer is abandoned and a NEW one (fresh memory, fresh
// client) goes on with the same database and spreadsheet: what kill -9 and
// a restart look like to the engine.
//
// Every step checks that no row of the table changed, appeared or went
// away unless the application or a person did it (the audit trigger says
// who wrote what where); every quiescence (no gestures, no kills, passes
// until settled) checks that nothing a person typed was lost, that the tab
// equals the table and that a further reconcile finds nothing to do.
//
// Everything runs in one goroutine at a time (the model waits inside a
// syncer call while the middleware acts), so a seed replays exactly.

// windowMirror is the mirror of the model's table; rows adds
// sheet_inserts and sheet_deletes when the run chose them.
func windowMirror(rows bool) string {
	m := modelMirror
	if rows {
		m += "    sheet_inserts: true\n    sheet_deletes: true\n"
	}
	return m
}

// wmodel is the world of TestModelPersonInsideTheWindowAndKills.
type wmodel struct {
	*model
	// mu is held by whichever goroutine drives the world: the test's
	// between syncer calls, the middleware's while syncd waits on it.
	mu  sync.Mutex
	app *pgxpool.Pool // the application's pool (application_name app)
	per *wperson
	// rows: the mirror has sheet_inserts and sheet_deletes.
	rows bool
	// move: the person drags rows (moveDimension), see moveSupported.
	move bool
	// strict: a value typed into the very cell of a write in flight
	// fails the test too (SYNCD_MODEL_STRICT=1).
	strict bool
	// windows counts the writes of syncd's the middleware held.
	windows int
	// inWindow is the percentage of syncd's writes the person acts
	// before (SYNCD_MODEL_WINDOW=0 only between passes); kills: syncd
	// is killed at random writes (SYNCD_MODEL_KILL=0 never). The two
	// switches tell the failures of each apart.
	inWindow int
	kills    bool
	// armed: the middleware may act (not while quiescing); read without
	// mu, so that syncd's calls made while the test holds mu pass.
	armed atomic.Bool
	step  int
	// the Syncer now running, its context and incarnation.
	sy      *syncer.Syncer
	cancel  context.CancelFunc
	sctx    context.Context
	life    int
	killed  bool
	bgErr   error
	proxied string // the middleware's base URL
	ledger  *ledger
}

// TestModelPersonInsideTheWindowAndKills: SYNCD_SEED sets the seed (random
// by default, printed on failure), SYNCD_MODEL_STEPS the steps (default
// 150, well under 40 s with -race), SYNCD_MODEL_ROWS=0/1 forces the
// mirror's sheet_inserts and sheet_deletes off or on (default: the seed
// chooses), SYNCD_MODEL_MOVE=0/1 forces the drag gesture (default: on
// when the emulator supports moveDimension), SYNCD_MODEL_STRICT=1 fails
// on values typed into the very cells of a write in flight (counted by
// default: no engine can see them, see checkNothingLost);
// SYNCD_MODEL_WINDOW=0 keeps the person out of syncd's window and
// SYNCD_MODEL_KILL=0 never kills syncd, to tell failures apart.
func TestModelPersonInsideTheWindowAndKills(t *testing.T) {
	seed := uint64(envInt(t, "SYNCD_SEED", 0))
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	steps := int(envInt(t, "SYNCD_MODEL_STEPS", 150))
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	rows := envInt(t, "SYNCD_MODEL_ROWS", int64(rng.IntN(2))) == 1
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("reproduce with SYNCD_SEED=%d SYNCD_MODEL_STEPS=%d (sheet rows %v)", seed, steps, rows)
		}
	})
	w := newWindowModel(t, rng, rows)
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := 0; i < 6; i++ {
		w.appInsert(0)
	}
	w.quiesce(0)
	w.armed.Store(true)
	for i := 1; i <= steps; i++ {
		w.step = i
		switch r := w.rng.IntN(100); {
		case r < 10:
			w.appUpdate(i)
		case r < 15:
			w.appInsert(i)
		case r < 18:
			w.appDelete(i)
		case r < 45:
			w.gesture(i, "between passes")
		case r < 65:
			w.drain(i)
		case r < 75:
			w.pollChanges(i)
		case r < 95:
			w.reconcile(i)
		default:
			w.quiesce(i)
			w.armed.Store(true)
		}
		w.checkAudit()
	}
	w.quiesce(steps + 1)
	t.Logf("seed %d, %d steps, sheet rows %v, drag %v, %d incarnations: %v; %d values placed", seed, steps, rows, w.move, w.life, w.ops, len(w.ledger.placed))
}

func newWindowModel(t *testing.T, rng *rand.Rand, rows bool) *wmodel {
	b := setup(t, modelSchema, windowMirror(rows))
	// Latency widens syncd's read → write window as Google's does; small,
	// so that the default run stays short.
	b.emu.SetLatency(2 * time.Millisecond)
	w := &wmodel{model: &model{b: b, p: b.person(), rng: rng, keys: map[string]bool{}, ops: map[string]int{}, dirty: map[string]bool{}, poll: true},
		rows: rows, ledger: newLedger(), strict: envInt(t, "SYNCD_MODEL_STRICT", 0) == 1,
		inWindow: 50 * int(envInt(t, "SYNCD_MODEL_WINDOW", 1)), kills: envInt(t, "SYNCD_MODEL_KILL", 1) != 0}
	w.per = &wperson{w: w}
	pc, err := pgxpool.ParseConfig(b.url)
	if err != nil {
		t.Fatal(err)
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "app"
	if w.app, err = pgxpool.NewWithConfig(b.ctx, pc); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.app.Close)
	srv := httptest.NewServer(w.proxy(b.emu))
	t.Cleanup(srv.Close)
	w.proxied = srv.URL
	w.move = w.moveSupported()
	w.restart()
	return w
}

// restart abandons the running Syncer (if any) and starts a new one with
// a new client: a restarted daemon remembers only what the database holds.
func (w *wmodel) restart() {
	t := w.b.t
	if w.cancel != nil {
		w.cancel()
	}
	client, err := sheets.New(w.b.ctx, sheets.Options{SpreadsheetID: w.b.id, Endpoint: w.proxied, Quota: sheets.NewQuota(100000, 100000, nil)})
	if err != nil {
		t.Fatal(err)
	}
	w.sctx, w.cancel = context.WithCancel(w.b.ctx)
	w.sy = syncer.New(syncer.Options{Pool: w.b.pool, Sheet: client, Codec: sheets.Codec{}, Mirrors: w.b.mirrors,
		Logger: zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel)), PollChanges: time.Second})
	w.b.syncer = w.sy
	w.life++
	w.killed = false
}

// call runs one syncer call with the world handed to the middleware; a
// kill restarts syncd, any other failure fails the test.
func (w *wmodel) call(i int, what string, f func(ctx context.Context) error) bool {
	ctx := w.sctx
	w.mu.Unlock()
	err := f(ctx)
	w.mu.Lock()
	if w.bgErr != nil {
		w.fail("step %d: %s: the person or the middleware failed: %v", i, what, w.bgErr)
	}
	if w.killed {
		w.logf("  -> syncd killed during %s (returned %v); restarted as incarnation %d", what, err, w.life+1)
		w.restart()
		return false
	}
	if err != nil {
		w.fail("step %d: %s: %v", i, what, err)
	}
	return true
}

func (w *wmodel) drain(i int) {
	w.ops["drain"]++
	w.logf("step %d: drain", i)
	for {
		var n int
		ok := w.call(i, "drain", func(ctx context.Context) (err error) {
			n, err = w.sy.Drain(ctx)
			return err
		})
		if !ok || n == 0 {
			return
		}
	}
}

func (w *wmodel) pollChanges(i int) {
	w.ops["poll"]++
	var ran bool
	if w.call(i, "poll", func(ctx context.Context) (err error) {
		ran, err = w.sy.PollChanges(ctx)
		return err
	}) {
		w.logf("step %d: poll (sheet pass: %v)", i, ran)
	}
}

func (w *wmodel) reconcile(i int) {
	w.ops["reconcile"]++
	w.logf("step %d: drain + reconcile", i)
	w.drain(i)
	var rep syncer.ReconcileReport
	if w.call(i, "reconcile", func(ctx context.Context) (err error) {
		rep, err = w.sy.Reconcile(ctx, syncer.ReconcileOptions{})
		return err
	}) && len(rep.Mirrors) > 0 {
		w.logf("  -> %v", rep.Mirrors[0].Lines)
	}
}

// quiesce disarms the middleware, runs passes until the tab settles and
// checks the invariants of a settled world.
func (w *wmodel) quiesce(i int) {
	w.armed.Store(false)
	w.ops["quiesce"]++
	w.logf("step %d: quiesce", i)
	for n := 0; n < 2; n++ {
		w.reconcile(i)
	}
	w.checkAudit()
	w.checkNothingLost(i)
	w.assertEqual()
	w.b.settled()
	w.checkAudit()
}

// proxy is the middleware in front of the emulator: at each of syncd's
// spreadsheets.batchUpdate calls (while armed) the person may act first,
// and syncd may be killed before or after the write reaches the emulator.
func (w *wmodel) proxy(emu http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, ":batchUpdate") || strings.Contains(r.URL.Path, "/values") {
			emu.ServeHTTP(rw, r)
			return
		}
		if !w.armed.Load() {
			emu.ServeHTTP(rw, r)
			return
		}
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.bgErr != nil {
			emu.ServeHTTP(rw, r)
			return
		}
		w.windows++
		w.ledger.window = w.windows
		defer func() { w.ledger.window = 0 }()
		var pre [][]syncd.Cell // the tab as syncd's read saw it, if a gesture changed it since
		if w.rng.IntN(100) < w.inWindow {
			w.gesture(w.step, "inside syncd's window")
			pre = w.per.seen
			if w.bgErr != nil {
				http.Error(rw, "model failed", http.StatusInternalServerError)
				return
			}
		}
		k := w.rng.IntN(100)
		if !w.kills {
			k = 100
		}
		if k < 10 {
			w.ops["kill before write"]++
			w.logf("  kill syncd before its write reaches the sheet")
			w.kill(r)
			return
		}
		before, err := w.per.look()
		if err != nil {
			w.bgErr = err
			http.Error(rw, "model failed", http.StatusInternalServerError)
			return
		}
		rec := httptest.NewRecorder()
		emu.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
		if rec.Code != http.StatusOK {
			w.logf("  syncd's write was refused: %d %s", rec.Code, strings.TrimSpace(rec.Body.String()))
		}
		after, err := w.per.look()
		if err != nil {
			w.bgErr = err
		}
		if pre == nil {
			pre = before.grid
		}
		keys, vals := w.ledger.overwrittenBy(fmt.Sprintf("syncd's write at step %d (incarnation %d)", w.step, w.life), pre, before.grid, after.grid, w.tableKeys())
		if len(keys) > 0 {
			w.ops["syncd's write took a table row off the tab"]++
			w.logf("  syncd's write took the rows of key(s) %v off the tab", keys)
		}
		if len(vals) > 0 {
			w.ops["syncd's write overwrote a placed value"]++
			w.logf("  syncd's write overwrote %v", vals)
		}
		if k < 20 {
			w.ops["kill after write"]++
			w.logf("  kill syncd after the sheet applied its write")
			w.kill(r)
			return
		}
		for hk, hv := range rec.Header() {
			rw.Header()[hk] = hv
		}
		rw.WriteHeader(rec.Code)
		_, _ = rw.Write(rec.Body.Bytes())
	})
}

// kill cancels syncd's context and waits until its client gave up the
// request, so that nothing of the dead daemon is still under way.
func (w *wmodel) kill(r *http.Request) {
	w.killed = true
	w.cancel()
	// The server notices a client gone only once the body is read.
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(10 * time.Second):
		w.bgErr = errors.New("syncd's client did not abandon its write within 10 s of its context being cancelled")
	}
}

// gesture is the person acting once; failures the API reports are the
// person's (counted), failures of the model are the test's.
func (w *wmodel) gesture(i int, where string) {
	desc, err := w.per.act(i)
	if err != nil {
		w.bgErr = fmt.Errorf("step %d: %s: %w", i, desc, err)
		return
	}
	if desc != "" {
		w.logf("step %d (%s): %s", i, where, desc)
	}
}

// appExec is the application writing through its own pool.
func (w *wmodel) appExec(sql string, args ...any) {
	w.b.t.Helper()
	if _, err := w.app.Exec(w.b.ctx, sql, args...); err != nil {
		w.b.t.Fatalf("%s: %v", sql, err)
	}
}

func (w *wmodel) appInsert(i int) {
	w.ops["app insert"]++
	w.next++
	k := fmt.Sprintf("k%02d", w.next)
	w.keys[k] = true
	w.logf("step %d: app INSERT %s", i, k)
	w.appExec(`INSERT INTO m VALUES ($1, $2, 'n' || $1, 'm' || $1, 'l' || $1)`, k, w.next)
}

// appUpdate is the application writing one or two cells of a row.
func (w *wmodel) appUpdate(i int) {
	k, ok := w.someKey()
	if !ok {
		return
	}
	w.ops["app update"]++
	var sets []string
	for _, c := range w.pick(1 + w.rng.IntN(2)) {
		v := fmt.Sprintf("'d%d'", i)
		if c == 1 {
			v = fmt.Sprintf("%d.25", i)
		}
		sets = append(sets, fmt.Sprintf("%s = %s", modelCols[c], v))
	}
	sql := fmt.Sprintf(`UPDATE m SET %s WHERE id = '%s'`, strings.Join(sets, ", "), k)
	w.logf("step %d: app %s", i, sql)
	w.appExec(sql)
}

func (w *wmodel) appDelete(i int) {
	k, ok := w.someKey()
	if !ok {
		return
	}
	w.ops["app delete"]++
	delete(w.keys, k)
	w.logf("step %d: app DELETE %s", i, k)
	w.appExec(`DELETE FROM m WHERE id = $1`, k)
}

// tableKeys are the keys the table holds now.
func (w *wmodel) tableKeys() map[string]bool {
	var keys []string
	if err := w.b.pool.QueryRow(w.b.ctx, `SELECT coalesce(array_agg(id), '{}') FROM m`).Scan(&keys); err != nil {
		w.bgErr = err
	}
	out := map[string]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out
}
