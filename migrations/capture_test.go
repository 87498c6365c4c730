package migrations_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// setup creates a database with syncd's schema and a captured table
// items(id int primary key, name text, qty int, note text) where only id,
// name and qty are mirrored.
func setup(t testing.TB) (*pgx.Conn, string) {
	t.Helper()
	url := pgtest.NewDB(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	if _, err := conn.Exec(ctx, `CREATE TABLE items (id int PRIMARY KEY, name text, qty int, note text)`); err != nil {
		t.Fatal(err)
	}
	if _, err := migrations.ApplySchema(ctx, conn); err != nil {
		t.Fatal(err)
	}
	_, err = migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{
		{Table: "public.items", Key: []string{"id"}, Columns: []string{"id", "name", "qty"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return conn, url
}

// outbox returns the outbox as "op:key" strings in id order and empties it.
func outbox(t testing.TB, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		`DELETE FROM syncd.changes RETURNING id, op::text, coalesce(key->>'id', '-'), tbl::text`)
	if err != nil {
		t.Fatal(err)
	}
	type entry struct {
		id      int64
		op, key string
		tbl     string
	}
	var es []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.op, &e.key, &e.tbl); err != nil {
			t.Fatal(err)
		}
		if e.tbl != "items" {
			t.Fatalf("outbox entry for table %q, want items", e.tbl)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	// RETURNING order is unspecified: sort by id.
	for i := range es {
		for j := i + 1; j < len(es); j++ {
			if es[j].id < es[i].id {
				es[i], es[j] = es[j], es[i]
			}
		}
	}
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.op + ":" + e.key
	}
	return out
}

func exec(t testing.TB, conn *pgx.Conn, sql string) {
	t.Helper()
	if _, err := conn.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestCaptureWritesExactlyTheExpectedOutboxEntries(t *testing.T) {
	conn, _ := setup(t)
	cases := []struct {
		name string
		sql  string
		want string
	}{
		{"insert", `INSERT INTO items VALUES (1,'a',1,''), (2,'b',2,''), (3,'c',3,'')`, "I:1 I:2 I:3"},
		{"multi-row update", `UPDATE items SET qty = qty + 10 WHERE id IN (1, 2)`, "U:1 U:2"},
		{"update of an unmirrored column only", `UPDATE items SET note = 'x'`, ""},
		{"update that changes nothing", `UPDATE items SET name = name`, ""},
		{"update to NULL", `UPDATE items SET name = NULL WHERE id = 3`, "U:3"},
		{"delete", `DELETE FROM items WHERE id = 2`, "D:2"},
		{"update of a key", `UPDATE items SET id = 30 WHERE id = 3`, "D:3 U:30"},
		{"shift of two keys", `UPDATE items SET id = id + 100 WHERE id IN (1, 30)`, "D:1 D:30 U:101 U:130"},
		{"statement touching no rows", `DELETE FROM items WHERE id = 999`, ""},
		{"truncate", `TRUNCATE items`, "T:-"},
	}
	for _, c := range cases {
		exec(t, conn, c.sql)
		entries := outbox(t, conn)
		sort.Strings(entries) // order within one statement is unspecified
		got := strings.Join(entries, " ")
		if got != c.want {
			t.Errorf("%s: outbox = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestRolledBackTransactionLeavesNoOutboxEntries(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO items SELECT g, 'x', g FROM generate_series(1, 100) g`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM items WHERE id < 50`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if got := outbox(t, conn); len(got) != 0 {
		t.Fatalf("rolled back transaction left %d outbox entries: %v", len(got), got[:min(5, len(got))])
	}
}

func TestCopyOf100000RowsRecordsEveryKey(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	const n = 100000
	src := make([][]any, n)
	for i := range src {
		src[i] = []any{int32(i + 1), fmt.Sprintf("item %d", i+1), int32(i % 7)}
	}
	copied, err := conn.CopyFrom(ctx, pgx.Identifier{"items"}, []string{"id", "name", "qty"}, pgx.CopyFromRows(src))
	if err != nil || copied != n {
		t.Fatalf("copy: %d rows, %v", copied, err)
	}
	var count, distinct, minKey, maxKey int
	var ops string
	err = conn.QueryRow(ctx, `SELECT count(*), count(DISTINCT key), min((key->>'id')::int), max((key->>'id')::int),
		string_agg(DISTINCT op::text, '') FROM syncd.changes`).Scan(&count, &distinct, &minKey, &maxKey, &ops)
	if err != nil {
		t.Fatal(err)
	}
	if count != n || distinct != n || minKey != 1 || maxKey != n || ops != "I" {
		t.Fatalf("outbox after COPY: %d entries, %d distinct keys, keys %d..%d, ops %q; want %d inserts of keys 1..%d",
			count, distinct, minKey, maxKey, ops, n, n)
	}
}

// TestDoorbell checks that a write wakes a listener exactly once per
// transaction while the daemon holds the doorbell lock, and never otherwise.
func TestDoorbell(t *testing.T) {
	conn, url := setup(t)
	ctx := context.Background()
	listener, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	exec(t, listener, "LISTEN "+store.NotifyChannel)

	// A notification carries the sending backend's pid; anything from the
	// writer's pid counts.
	writerPID := conn.PgConn().PID()
	// drainNotifications collects every notification already delivered: a
	// round trip on the listener flushes what the server sent before it.
	drainNotifications := func() int {
		t.Helper()
		exec(t, listener, "SELECT 1")
		n := 0
		for {
			wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			nt, err := listener.WaitForNotification(wctx)
			cancel()
			if err != nil {
				return n
			}
			if nt.PID == writerPID && nt.Channel == store.NotifyChannel {
				n++
			}
		}
	}
	twoStatementTxn := func() {
		t.Helper()
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sql := range []string{`INSERT INTO items SELECT g, 'x', g FROM generate_series(1, 3) g`, `UPDATE items SET qty = 0`} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		exec(t, conn, "DELETE FROM items")
	}

	// Not armed: nobody waits, so no NOTIFY (and no commit serialisation).
	twoStatementTxn()
	if n := drainNotifications(); n != 0 {
		t.Fatalf("doorbell not armed: got %d notifications, want 0", n)
	}

	// Armed: the daemon holds the lock exclusively on its listen connection.
	var armed bool
	if err := listener.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", store.DoorbellLock).Scan(&armed); err != nil || !armed {
		t.Fatalf("arm doorbell: %v %v", armed, err)
	}
	twoStatementTxn() // one txn with two statements + the DELETE txn
	if n := drainNotifications(); n != 2 {
		t.Fatalf("doorbell armed: got %d notifications for 2 transactions, want 2", n)
	}
	exec(t, listener, fmt.Sprintf("SELECT pg_advisory_unlock(%d)", store.DoorbellLock))
	twoStatementTxn()
	if n := drainNotifications(); n != 0 {
		t.Fatalf("doorbell disarmed: got %d notifications, want 0", n)
	}
}

// TestArmingWaitsForWritersThatSawItUnarmed shows why no wake-up is lost: a
// transaction that checked the doorbell while it was unarmed keeps the
// daemon from arming until it has committed.
func TestArmingWaitsForWritersThatSawItUnarmed(t *testing.T) {
	conn, url := setup(t)
	ctx := context.Background()
	daemon, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer daemon.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO items VALUES (1, 'a', 1)`); err != nil {
		t.Fatal(err)
	}
	var armed bool
	if err := daemon.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", store.DoorbellLock).Scan(&armed); err != nil {
		t.Fatal(err)
	}
	if armed {
		t.Fatal("daemon armed the doorbell while a writer that saw it unarmed was still open")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := daemon.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", store.DoorbellLock).Scan(&armed); err != nil || !armed {
		t.Fatalf("daemon could not arm after the writer committed: %v %v", armed, err)
	}
}

func TestInstallCaptureIsIdempotentAndRemovesStaleTriggers(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	exec(t, conn, `CREATE TABLE other (k text PRIMARY KEY, v int)`)
	tables := []migrations.CaptureTable{
		{Table: "public.items", Key: []string{"id"}, Columns: []string{"id", "name", "qty"}},
		{Table: "public.other", Key: []string{"k"}},
	}
	res, err := migrations.InstallCapture(ctx, conn, tables)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Installed, ",") != "public.other" || strings.Join(res.Unchanged, ",") != "public.items" {
		t.Fatalf("first install: %+v", res)
	}
	res, err = migrations.InstallCapture(ctx, conn, tables)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Installed)+len(res.Updated)+len(res.Removed) != 0 || len(res.Unchanged) != 2 {
		t.Fatalf("second install changed something: %+v", res)
	}
	res, err = migrations.InstallCapture(ctx, conn, tables[1:])
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Removed, ",") != "public.items" {
		t.Fatalf("dropping a mirror: %+v", res)
	}
	var n int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_trigger WHERE tgrelid = 'items'::regclass AND NOT tgisinternal`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d triggers left on items after its mirror was removed", n)
	}
	exec(t, conn, `INSERT INTO items VALUES (7, 'x', 1)`)
	if got := outbox(t, conn); len(got) != 0 {
		t.Fatalf("unmirrored table still captured: %v", got)
	}
}

func TestDependsOnTableRecordsOneMarkerPerStatement(t *testing.T) {
	conn, _ := setup(t)
	ctx := context.Background()
	exec(t, conn, `CREATE TABLE src (k int)`)
	if _, err := migrations.InstallCapture(ctx, conn, []migrations.CaptureTable{{Table: "public.src"}}); err != nil {
		t.Fatal(err)
	}
	exec(t, conn, `INSERT INTO src SELECT generate_series(1, 500)`)
	exec(t, conn, `UPDATE src SET k = k + 1`)
	var got string
	if err := conn.QueryRow(ctx, `SELECT string_agg(op::text, '' ORDER BY id) FROM syncd.changes WHERE tbl = 'src'::regclass`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	if got != "SS" {
		t.Fatalf("depends_on markers = %q, want one S per statement (SS)", got)
	}
}
