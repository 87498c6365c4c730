package syncer_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/syncer"
)

func TestMirrorEveryKindOfWrite(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	steps := []struct {
		name    string
		sql     string
		changes int // outbox entries the statement produces
	}{
		{"insert", `INSERT INTO items VALUES
			(1, 'plain', 1234.50, 9007199254740993, 0.1, true, '2025-01-31', '2025-01-31 23:30:00+03', 'new', '{"a": [1, 2]}', NULL),
			(2, '=IMPORTDATA("http://x")', 0.01, -5, -1e-7, false, '1999-12-31', '2000-01-01 00:00:00.123456+00', 'done', NULL, 'note'),
			(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			(4, '+1 leading plus', 4999999999.99, 0, 3.5, true, '2024-02-29', '2024-02-29 12:00:00+00', 'new', '[]', '@mention')`, 4},
		{"multi-row update", `UPDATE items SET price = price * 2, name = coalesce(name, '') || '!' WHERE id IN (1, 2, 4)`, 3},
		{"delete", `DELETE FROM items WHERE id = 3`, 1},
		{"update of a key", `UPDATE items SET id = 40 WHERE id = 4`, 2},
		{"insert after delete", `INSERT INTO items (id, name) VALUES (3, 'back')`, 1},
	}
	total := 0
	for _, s := range steps {
		b.exec(s.sql)
		total += s.changes
		calls := b.drain()
		for i, c := range calls {
			if c > 3 { // the first batch also reads the spreadsheet's tabs
				t.Errorf("%s: batch %d made %d API calls", s.name, i, c)
			}
		}
		b.assertMirrored("items")
		if b.outboxLen() != 0 {
			t.Fatalf("%s: outbox not empty after drain", s.name)
		}
	}
	if got := b.syncLogChanges("items"); got != total {
		t.Fatalf("sync_log accounts for %d changes, want %d", got, total)
	}
}

func TestMirrorTruncateAndCopy(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, name) SELECT g, 'old ' || g FROM generate_series(1, 50) g`)
	b.drain()
	b.exec(`TRUNCATE items`)
	b.drain()
	b.assertMirrored("items")
	if grid := b.tab("Items"); len(grid) != 1 {
		t.Fatalf("after TRUNCATE the tab has %d rows, want only the header", len(grid))
	}
	const n = 10000
	rows := make([][]any, n)
	for i := range rows {
		rows[i] = []any{int32(i + 1), fmt.Sprintf("copied %d", i+1), fmt.Sprintf("%d.%02d", i, i%100)}
	}
	conn, err := b.pool.Acquire(b.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Conn().CopyFrom(b.ctx, pgx.Identifier{"items"}, []string{"id", "name", "price"}, pgx.CopyFromRows(rows)); err != nil {
		t.Fatal(err)
	}
	conn.Release()
	calls := b.drain()
	if len(calls) != 1 || calls[0] > 2 {
		t.Fatalf("COPY of %d rows took batches with %v API calls, want one batch of ≤ 2", n, calls)
	}
	b.assertMirrored("items")
}

func TestMirrorConcurrentWriters(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := w*1000 + i
				if _, err := b.pool.Exec(context.Background(), `INSERT INTO items (id, name, qty) VALUES ($1, $2, $3)`, id, fmt.Sprint("w", w), i); err != nil {
					errs <- err
					return
				}
				if i%5 == 0 {
					if _, err := b.pool.Exec(context.Background(), `UPDATE items SET qty = qty + 1 WHERE id = $1`, id); err != nil {
						errs <- err
						return
					}
				}
				if i%7 == 0 {
					if _, err := b.pool.Exec(context.Background(), `DELETE FROM items WHERE id = $1`, id); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
		if w%2 == 0 {
			b.drain() // batches interleave with the writers
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	b.drain()
	b.assertMirrored("items")
}

func TestMirrorKeepsPeoplesColumnsToTheRight(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, name) SELECT g, 'n' || g FROM generate_series(1, 5) g`)
	b.drain()
	// A person adds a formula and a note in the columns right of the mirror.
	srv := b.rawService()
	if _, err := srv.Spreadsheets.Values.Update(b.id, "Items!L2:M3", valueRange([][]any{{"=1+1", "call back"}, {"=A3*2", "ok"}})).
		ValueInputOption("USER_ENTERED").Do(); err != nil {
		t.Fatal(err)
	}
	b.exec(`UPDATE items SET name = 'changed' WHERE id IN (1, 2)`)
	b.exec(`DELETE FROM items WHERE id = 5`)
	b.exec(`INSERT INTO items (id, name) VALUES (6, 'six')`)
	b.drain()
	// A refresh by TRUNCATE and refill (a full resync) rewrites rows in
	// place: the people's cells beside rows whose keys come back stay.
	b.exec(`BEGIN; TRUNCATE items; INSERT INTO items (id, name) SELECT g, 'refilled ' || g FROM generate_series(1, 6) g; COMMIT`)
	b.drain()
	b.assertMirrored("items")
	got, err := srv.Spreadsheets.Values.Get(b.id, "Items!L2:M3").ValueRenderOption("FORMULA").Do()
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got.Values) != "[[=1+1 call back] [=A3*2 ok]]" {
		t.Fatalf("people's columns after sync: %v", got.Values)
	}
}

func TestFormulaLookingTextArrivesAsText(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, name) VALUES (1, '=IMPORTDATA("http://x")')`)
	b.drain()
	got, err := b.rawService().Spreadsheets.Values.Get(b.id, "Items!B2").ValueRenderOption("FORMULA").Do()
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Values) != 1 || got.Values[0][0] != `=IMPORTDATA("http://x")` {
		t.Fatalf("cell B2 = %v", got.Values)
	}
	eff, err := b.rawService().Spreadsheets.Get(b.id).Ranges("Items!B2").IncludeGridData(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	cell := eff.Sheets[0].Data[0].RowData[0].Values[0]
	if cell.UserEnteredValue.FormulaValue != nil || cell.UserEnteredValue.StringValue == nil {
		t.Fatalf("B2 was stored as %+v, want a string, not a formula", cell.UserEnteredValue)
	}
	if !strings.HasPrefix(*cell.UserEnteredValue.StringValue, "=IMPORTDATA") {
		t.Fatalf("B2 string = %q", *cell.UserEnteredValue.StringValue)
	}
}

func TestQueryMirrorRewritesOnlyRowsThatChanged(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror+`  - name: totals
    query: SELECT id % 10 AS bucket, count(*) AS n, sum(price) AS total FROM items GROUP BY 1
    sheet: Totals
    key: [bucket]
    depends_on: [public.items]
`)
	b.exec(`INSERT INTO items (id, price) SELECT g, g FROM generate_series(1, 100) g`)
	b.drain()
	b.assertMirrored("totals")
	b.exec(`UPDATE items SET price = price + 1 WHERE id = 42`) // changes bucket 2 only
	b.drain()
	b.assertMirrored("totals")
	var written int
	if err := b.pool.QueryRow(b.ctx, `SELECT rows_written FROM syncd.sync_log WHERE mirror = 'totals' ORDER BY id DESC LIMIT 1`).Scan(&written); err != nil {
		t.Fatal(err)
	}
	if written != 1 {
		t.Fatalf("refreshing the report after one change rewrote %d rows, want 1", written)
	}
}

// TestUnreachableSpreadsheetIsRecorded: when the spreadsheet cannot be read
// at all (wrong id, not shared, revoked key), every batch fails before it
// starts; the failure must still reach sync_log, where `syncd status` looks.
func TestUnreachableSpreadsheetIsRecorded(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	bad, err := sheets.New(b.ctx, sheets.Options{SpreadsheetID: "no-such-sheet", Endpoint: b.srv.URL, Quota: sheets.NewQuota(1000, 1000, nil)})
	if err != nil {
		t.Fatal(err)
	}
	s := syncer.New(syncer.Options{Pool: b.pool, Sheet: bad, Codec: sheets.Codec{}, Mirrors: b.mirrors})
	b.exec(`INSERT INTO items (id) VALUES (1)`)
	if _, err := s.Drain(b.ctx); err == nil {
		t.Fatal("drain against a missing spreadsheet succeeded")
	}
	var status, msg string
	if err := b.pool.QueryRow(b.ctx, `SELECT status, coalesce(error, '') FROM syncd.sync_log WHERE mirror = 'items' ORDER BY id DESC LIMIT 1`).Scan(&status, &msg); err != nil {
		t.Fatalf("no sync_log row for the failure: %v", err)
	}
	if status != "error" || !strings.Contains(msg, "no-such-sheet") {
		t.Fatalf("sync_log: status %q error %q, want an error naming the spreadsheet", status, msg)
	}
	if b.outboxLen() != 1 {
		t.Fatalf("the failed batch consumed the outbox")
	}
}

// TestAppendedRowsGetTheColumnFormats: number formats are set from the first
// row an append can land on, even when the same batch deletes rows above. The
// tab starts with 1,000 rows so the appended ones land past the grid the tab
// was created (and formatted) with.
func TestAppendedRowsGetTheColumnFormats(t *testing.T) {
	b := setup(t, itemsSchema, itemsMirror)
	b.exec(`INSERT INTO items (id, day, price) SELECT g, DATE '2025-01-01' + g, g FROM generate_series(1, 1000) g`)
	b.drain()
	b.exec(`DELETE FROM items WHERE id IN (1, 2)`)
	b.exec(`INSERT INTO items (id, day, price) SELECT g, DATE '2025-01-01' + g, g FROM generate_series(1001, 1003) g`)
	b.drain()
	b.assertMirrored("items")
	got, err := b.rawService().Spreadsheets.Get(b.id).Ranges("Items!A990:G1010").IncludeGridData(true).Do()
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, r := range got.Sheets[0].Data[0].RowData {
		if len(r.Values) < 7 || r.Values[0].EffectiveValue == nil || r.Values[0].EffectiveValue.NumberValue == nil {
			continue
		}
		id := *r.Values[0].EffectiveValue.NumberValue
		f := r.Values[6].UserEnteredFormat
		if f == nil || f.NumberFormat == nil || f.NumberFormat.Type != "DATE" {
			t.Errorf("row of id %v: day cell format %+v, want DATE", id, f)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("checked %d rows, want the last ones of the tab", checked)
	}
}
