// Package gestures holds issue 19's end-to-end tests: the real `syncd run`
// against a real PostgreSQL and the Sheets emulator, while a person
// (testworld.Person) sorts, drags, pastes, inserts rows and types, some
// of it inside syncd's read→write window (testworld.Window holds syncd's
// write). Postgres is the truth: an audit trigger records every row syncd
// inserts, updates or deletes, and each test compares the table with what
// the application wrote. Nothing typed may be lost (applied, or in
// syncd.conflicts), and absence from the tab is no intent to delete.
package gestures

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
)

// TestMain builds nothing up front: testworld builds cmd/syncd on first use
// and removes it at the end. The tests spend their time waiting on syncd
// (polls, passes), not computing, so unless -parallel is given they run
// five at a time rather than GOMAXPROCS: the package stays well under
// three minutes on two cores.
func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		flag.Set("test.parallel", "5")
	}
	os.Exit(testworld.Main(m))
}

// Timeouts. A working syncd repairs a tab within a few seconds of a
// gesture (poll_changes is 500ms); these are generous for a loaded 2-core
// machine and still keep a failing package well under three minutes.
const (
	startTimeout  = 60 * time.Second // migrate, start, first pass
	trapTimeout   = 30 * time.Second // syncd's next write after a change
	settleTimeout = 20 * time.Second // tab == table after a gesture
)

// appName is the application_name of the application's (the test's)
// connections; syncd's start with "syncd".
const appName = "app"

// schema is the application's table, a sequence for its key, and an audit
// trigger that records every row syncd (or anyone) inserts, updates or
// deletes, with the connection's application_name.
const schema = `
CREATE SEQUENCE staff_ids;
CREATE TABLE staff (
	id   bigint PRIMARY KEY DEFAULT nextval('staff_ids'),
	name text,
	dept text,
	qty  integer,
	note varchar(20)
);
CREATE TABLE audit (
	seq    bigserial PRIMARY KEY,
	op     text NOT NULL,
	app    text NOT NULL,
	row_id bigint,
	old    jsonb,
	new    jsonb
);
CREATE FUNCTION audit_staff() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit (op, app, row_id, old, new)
	VALUES (TG_OP, current_setting('application_name'),
	        CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END,
	        CASE WHEN TG_OP = 'INSERT' THEN NULL ELSE to_jsonb(OLD) END,
	        CASE WHEN TG_OP = 'DELETE' THEN NULL ELSE to_jsonb(NEW) END);
	RETURN NULL;
END $$;
CREATE TRIGGER staff_audit AFTER INSERT OR UPDATE OR DELETE ON staff
	FOR EACH ROW EXECUTE FUNCTION audit_staff();
INSERT INTO staff (name, dept, qty, note) VALUES
	('Ann', 'ops', 10, 'first'),
	('Bob', 'ops', 20, NULL),
	('Cid', 'sales', 30, 'third'),
	('Dee', 'sales', 40, 'fourth'),
	('Eve', 'hr', 50, NULL),
	('Fay', 'hr', 60, 'sixth'),
	('Gus', 'it', 70, 'seventh'),
	('Hal', 'it', 80, 'eighth');`

// seeded is the number of rows schema inserts (ids 1..seeded).
const seeded = 8

// Tab columns of the staff mirror, in order.
const (
	colID = iota
	colName
	colDept
	colQty
	colNote
)

// staff is one row of the table, as text (NULL is "<null>").
type staff struct{ Name, Dept, Qty, Note string }

// mirrorYAML is the staff mirror's config entry; extra holds more lines of
// the mirror (editable, sheet_inserts...), each indented by four spaces.
func mirrorYAML(extra string) string {
	return `  - name: staff
    table: public.staff
    sheet: Staff
    columns: [id, name, dept, qty, note]
    protect: "off"
` + extra
}

// world is one test's world running `syncd run` with mirrors, a Window in
// front of the emulator and a Person on the spreadsheet.
type world struct {
	*testworld.World
	t      *testing.T
	win    *testworld.Window
	person *testworld.Person
	cfg    string
	ms     []syncd.Mirror
	proc   *testworld.Proc
	// model is what the application wrote: id → row.
	model map[int64]staff
}

// newWorld starts syncd on the staff schema with the given mirror entries
// and waits for the first pass to show the table.
func newWorld(t *testing.T, mirrors string) *world {
	t.Helper()
	win := testworld.NewWindow()
	tw := testworld.New(t, testworld.Options{
		Schema:   schema,
		Pool:     func(c *pgxpool.Config) { c.ConnConfig.RuntimeParams["application_name"] = appName },
		Emulator: sheetsemu.Options{Seed: 19, Latency: 10 * time.Millisecond},
		Wrap:     win.Wrap,
		Title:    "gestures",
	})
	t.Cleanup(win.Close) // after New: runs before the server closes
	w := &world{World: tw, t: t, win: win, person: tw.Person()}
	w.cfg = w.WriteConfig("syncd", testworld.Config{
		Sheets: "write_requests_per_minute: 6000\nread_requests_per_minute: 6000\npoll_changes: 500ms\nconflicts_tab: \"\"\n",
		Body: `reconcile:
  schedule: "@every 1h"
  poll_interval: 1s
http:
  listen: 127.0.0.1:0
log:
  format: json
  level: info
mirrors:
` + mirrors,
	})
	if code, out := testworld.RunSyncd(t, "migrate", "-config", w.cfg); code != 0 {
		t.Fatalf("syncd migrate: exit %d\n%s", code, out)
	}
	w.ms = w.Mirrors(w.cfg)
	w.model = w.table()
	w.start()
	if ok, why := testworld.Await(startTimeout, w.quiet); !ok {
		t.Fatalf("the first pass did not show the table: %s\nsyncd's log:\n%s", why, w.proc.Log.Tail(3000))
	}
	return w
}

// quiet reports whether the tab equals the table and syncd has finished
// its last write (Window.Idle): a gesture now is outside syncd's window.
func (w *world) quiet() (bool, string) {
	if ok, why := w.InStep(w.ms...); !ok {
		return false, why
	}
	return w.win.Idle()
}

// start runs `syncd run`.
func (w *world) start() {
	w.t.Helper()
	w.proc = testworld.StartSyncd(w.t, "syncd", "run", "-config", w.cfg, "-instance", "gestures")
}

// restart kills syncd with SIGKILL (if it still runs) and starts it again.
func (w *world) restart() {
	w.t.Helper()
	w.proc.Kill9()
	w.start()
}

// must fails the test on err.
func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

// exec runs one statement of the application's.
func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.Pool.Exec(w.Ctx, sql, args...); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// setDept is the application changing a non-editable column of row id;
// the model follows.
func (w *world) setDept(id int64, dept string) {
	w.t.Helper()
	w.exec("UPDATE staff SET dept = $2 WHERE id = $1", id, dept)
	r := w.model[id]
	r.Dept = dept
	w.model[id] = r
}

// table reads the whole table.
func (w *world) table() map[int64]staff {
	w.t.Helper()
	rows, err := w.Pool.Query(w.Ctx, `SELECT id, coalesce(name, '<null>'), coalesce(dept, '<null>'),
		coalesce(qty::text, '<null>'), coalesce(note, '<null>') FROM staff`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	out := map[int64]staff{}
	for rows.Next() {
		var id int64
		var r staff
		if err := rows.Scan(&id, &r.Name, &r.Dept, &r.Qty, &r.Note); err != nil {
			w.t.Fatal(err)
		}
		out[id] = r
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// checkModel reports (t.Errorf) every row of the table that differs from
// the model, every model row missing and every row the model lacks, except
// the ids in allow.
func (w *world) checkModel(allow ...int64) {
	w.t.Helper()
	got := w.table()
	skip := map[int64]bool{}
	for _, id := range allow {
		skip[id] = true
	}
	for _, id := range sortedIDs(w.model) {
		if skip[id] {
			continue
		}
		g, ok := got[id]
		switch {
		case !ok:
			w.t.Errorf("row %d the application wrote is gone from Postgres (was %+v)", id, w.model[id])
		case g != w.model[id]:
			w.t.Errorf("row %d changed behind the application's back: %+v, the application wrote %+v", id, g, w.model[id])
		}
	}
	for _, id := range sortedIDs(got) {
		if _, ok := w.model[id]; !ok && !skip[id] {
			w.t.Errorf("row %d in Postgres that the application never wrote: %+v", id, got[id])
		}
	}
}

func sortedIDs(m map[int64]staff) []int64 {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// audited is one statement's effect on one row, as the audit trigger saw
// it, made by one of syncd's connections.
type audited struct {
	Op       string
	RowID    int64
	Old, New map[string]any
}

// changed names the columns an UPDATE changed, with their new values.
func (a audited) changed() map[string]any {
	out := map[string]any{}
	for k, v := range a.New {
		if !reflect.DeepEqual(a.Old[k], v) {
			out[k] = v
		}
	}
	return out
}

func (a audited) String() string {
	switch a.Op {
	case "UPDATE":
		return fmt.Sprintf("UPDATE of row %d: %v (was %v)", a.RowID, a.changed(), a.Old)
	case "DELETE":
		return fmt.Sprintf("DELETE of row %d %v", a.RowID, a.Old)
	}
	return fmt.Sprintf("%s of row %d %v", a.Op, a.RowID, a.New)
}

// bySyncd is every row change syncd's connections made, in order.
func (w *world) bySyncd() []audited {
	w.t.Helper()
	rows, err := w.Pool.Query(w.Ctx, `SELECT op, row_id, coalesce(old, '{}'), coalesce(new, '{}') FROM audit
		WHERE app LIKE 'syncd%' ORDER BY seq`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []audited
	for rows.Next() {
		var a audited
		var old, nw []byte
		if err := rows.Scan(&a.Op, &a.RowID, &old, &nw); err != nil {
			w.t.Fatal(err)
		}
		json.Unmarshal(old, &a.Old)
		json.Unmarshal(nw, &a.New)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// conflict is one row of syncd.conflicts.
type conflict struct {
	Key, Column, SheetValue, Reason, Message string
}

// conflicts is every conflict recorded, open or resolved.
func (w *world) conflicts() []conflict {
	w.t.Helper()
	rows, err := w.Pool.Query(w.Ctx, `SELECT coalesce(row_key::text, ''), coalesce(column_name, ''), coalesce(sheet_value, ''),
		coalesce(reason, ''), coalesce(message, '') FROM syncd.conflicts ORDER BY id`)
	if err != nil {
		w.t.Fatal(err)
	}
	defer rows.Close()
	var out []conflict
	for rows.Next() {
		var c conflict
		if err := rows.Scan(&c.Key, &c.Column, &c.SheetValue, &c.Reason, &c.Message); err != nil {
			w.t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		w.t.Fatal(err)
	}
	return out
}

// conflictWith is the first conflict whose sheet value contains text.
func (w *world) conflictWith(text string) (conflict, bool) {
	for _, c := range w.conflicts() {
		if strings.Contains(c.SheetValue, text) {
			return c, true
		}
	}
	return conflict{}, false
}

// rowOf is the tab row that shows key id, failing the test when none does.
func (w *world) rowOf(tab string, id int64) int {
	w.t.Helper()
	r, err := w.person.FindRow(tab, colID, strconv.FormatInt(id, 10))
	w.must(err)
	if r < 0 {
		w.t.Fatalf("no row of tab %q shows key %d", tab, id)
	}
	return r
}

// settle waits for syncd to make the tab equal the table after a gesture
// (and to finish writing). When it does not within settleTimeout it
// reports that (t.Errorf, with syncd's log) and restarts syncd, whose
// start-up pass reads the tab whatever syncd noticed before: the
// database checks that follow then judge what a pass does with the
// gesture, even when the running daemon never looked. It returns whether
// the tab settled in the end.
func (w *world) settle() bool {
	w.t.Helper()
	ok, why := testworld.Await(settleTimeout, w.quiet)
	if ok {
		return true
	}
	w.t.Errorf("the tab never equalled the table within %v of the gesture: %s\nsyncd's log:\n%s", settleTimeout, why, w.proc.Log.Tail(1500))
	w.restart()
	if ok, why = testworld.Await(settleTimeout, w.quiet); !ok {
		w.t.Errorf("restarted, syncd did not make the tab equal the table within %v either: %s\nsyncd's log:\n%s", settleTimeout, why, w.proc.Log.Tail(1500))
	}
	return ok
}

// drained waits until the outbox is empty: syncd's batch committed.
func (w *world) drained() {
	w.t.Helper()
	testworld.Eventually(w.t, trapTimeout, "the outbox drained", func() (bool, string) {
		n, err := w.Pending()
		if err != nil {
			return false, err.Error()
		}
		return n == 0, fmt.Sprintf("%d changes pending", n)
	})
}

// writing returns a body matcher for a syncd batchUpdate that writes text.
func writing(text string) func([]byte) bool {
	q, _ := json.Marshal(text)
	return func(b []byte) bool { return strings.Contains(string(b), string(q)) }
}
