package main

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
	"github.com/syncd/syncd/internal/testworld"
)

// pollPeriod is sheets.poll_changes in the tests of this file.
const pollPeriod = 300 * time.Millisecond

// pollingSpreadsheetsWorld is newSpreadsheetsWorld with the change poll on
// and mirror b (in bob's spreadsheet, reached as bob) taking edits of v
// back; the cron pass is an hour away.
func pollingSpreadsheetsWorld(t *testing.T) *spreadsheetsWorld {
	t.Helper()
	w := newSpreadsheetsWorld(t)
	cfg, err := os.ReadFile(w.cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	src := strings.NewReplacer(
		"\nreconcile:\n", fmt.Sprintf("\n  poll_changes: %s\nreconcile:\n", pollPeriod),
		"    sheet: B\n", "    sheet: B\n    editable: [v]\n",
	).Replace(string(cfg))
	if !strings.Contains(src, "poll_changes") || !strings.Contains(src, "editable: [v]") {
		t.Fatalf("config not rewritten:\n%s", src)
	}
	if err := os.WriteFile(w.cfgPath, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := runCmd(t, "migrate", "-config", w.cfgPath); code != 0 {
		t.Fatalf("migrate: %d %s %s", code, out, errOut)
	}
	return w
}

// startSyncdProcess runs `syncd run` as a process of its own (this test
// binary acting as syncd, see TestMain), stopped with SIGTERM at cleanup.
func startSyncdProcess(t *testing.T, cfgPath string) *testworld.Proc {
	t.Helper()
	p := testworld.Start(t, "syncd run", exec.Command(syncdBinary(t), "run", "-config", cfgPath))
	t.Cleanup(func() {
		if err := p.Stop(30 * time.Second); err != nil {
			t.Errorf("syncd run: %v\n%s", err, p.Log.Tail(40))
		}
	})
	return p
}

// rowOfKey is the 0-based row of tab whose first cell is the number key,
// read through c.
func rowOfKey(t *testing.T, w *spreadsheetsWorld, mirror, tab string, key float64) (int, int64) {
	t.Helper()
	c := w.checkers[mirror]
	info, err := c.Info(w.tw.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	ti, ok := info.Tab(tab)
	if !ok {
		t.Fatalf("no tab %s", tab)
	}
	got, err := c.Read(w.tw.Ctx, []syncd.Range{{Tab: tab}})
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range got[0] {
		if i > 0 && len(row) > 0 && row[0].Type == syncd.CellNumber && row[0].Number == key {
			return i, ti.SheetID
		}
	}
	t.Fatalf("key %v not in tab %s", key, tab)
	return 0, 0
}

// TestRunCarriesEditsBackFromEverySpreadsheet (issue 20): the change poll
// follows each spreadsheet, not only the default one. With the cron pass
// an hour away, an edit typed into a mirror's own spreadsheet (bob's,
// reached with bob's credential) reaches Postgres through the Drive
// version poll of that spreadsheet; idle, the real `syncd run` asks Drive
// at most once per spreadsheet per period and reads no Sheets cell.
func TestRunCarriesEditsBackFromEverySpreadsheet(t *testing.T) {
	w := pollingSpreadsheetsWorld(t)
	pgtest.Exec(t, w.tw.URL, `INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 10) g;
		INSERT INTO public.b SELECT g, 'b' || g FROM generate_series(1, 10) g`)
	p := startSyncdProcess(t, w.cfgPath)
	w.mirrored(t, 60*time.Second)

	ids := []string{w.tw.ID, w.idB}
	// Nobody typing anywhere: wait until the daemon reads and writes
	// nothing over five polls, so that only the edit below can move a
	// version.
	settled(t, w, ids)

	// A person (here through bob's credential, the one the spreadsheet is
	// shared with) types into the second spreadsheet.
	row, sheetID := rowOfKey(t, w, "b", "B", 7)
	typed := []syncd.Op{syncd.WriteRows{SheetID: sheetID, Row: row, Col: 1, Rows: [][]syncd.Cell{{syncd.StringCell("typed in bob's")}}}}
	if _, err := w.checkers["b"].Apply(w.tw.Ctx, typed); err != nil {
		t.Fatal(err)
	}
	until(t, w, 15*time.Second, "the edit in bob's spreadsheet reaches Postgres", `SELECT v = 'typed in bob''s' FROM public.b WHERE id = 7`)
	until(t, w, 5*time.Second, "a sheet pass of b is in sync_log", `SELECT count(*) > 0 FROM syncd.sync_log
		WHERE mirror = 'b' AND direction = 'sheet_to_pg' AND rows_written > 0`)
	until(t, w, 5*time.Second, "no full pass ran after start-up's", `SELECT count(*) = 1 FROM syncd.sync_log
		WHERE mirror = 'b' AND kind = 'reconcile' AND direction = 'pg_to_sheet'`)
	w.mirrored(t, 30*time.Second)

	// Idle: only Drive is asked, once per spreadsheet per period at most.
	settled(t, w, ids)
	before, from := w.tw.Emu.Stats(), time.Now()
	testworld.Eventually(t, 30*time.Second, "twenty polls of each spreadsheet", func() (bool, string) {
		cur := w.tw.Emu.Stats()
		for _, id := range ids {
			if d := cur[id].DriveReads - before[id].DriveReads; d < 20 {
				return false, fmt.Sprintf("%s: %d Drive reads", id, d)
			}
		}
		return true, ""
	})
	after, took := w.tw.Emu.Stats(), time.Since(from)
	// One Drive call per spreadsheet per period at most: the ticker may
	// have fired once at the window's start and once at its end.
	most := int64(took/pollPeriod) + 2
	for _, id := range ids {
		drive, reads := after[id].DriveReads-before[id].DriveReads, after[id].Reads-before[id].Reads
		if reads != 0 {
			t.Fatalf("idle, spreadsheet %s cost %d Sheets reads over %d Drive polls, want 0", id, reads, drive)
		}
		if drive > most {
			t.Fatalf("idle for %v, spreadsheet %s cost %d Drive reads, want at most one per %v (%d)", took, id, drive, pollPeriod, most)
		}
		t.Logf("idle %v: spreadsheet %s %d Drive reads (%.0f a minute, limit %.0f), 0 Sheets reads",
			took.Round(time.Millisecond), id, drive, float64(drive-1)/took.Minutes(), time.Minute.Seconds()/pollPeriod.Seconds())
	}
	if p.Exited() {
		t.Fatalf("syncd run exited: %v\n%s", p.Err(), p.Log.Tail(40))
	}
}

// settled waits until the daemon has read and written nothing in any of
// the spreadsheets ids over at least five Drive polls.
func settled(t *testing.T, w *spreadsheetsWorld, ids []string) {
	t.Helper()
	base := w.tw.Emu.Stats()
	testworld.Eventually(t, 30*time.Second, "the daemon settles", func() (bool, string) {
		cur := w.tw.Emu.Stats()
		var drive int64
		for _, id := range ids {
			if cur[id].Reads != base[id].Reads || cur[id].Writes != base[id].Writes {
				base = cur
				return false, "still reading or writing " + id
			}
			drive += cur[id].DriveReads - base[id].DriveReads
		}
		return drive >= 5, fmt.Sprintf("%d Drive polls", drive)
	})
}

// until waits for a boolean query to hold in the world's database.
func until(t *testing.T, w *spreadsheetsWorld, timeout time.Duration, what, sql string) {
	t.Helper()
	testworld.Eventually(t, timeout, what, func() (bool, string) {
		var ok bool
		if err := w.tw.Pool.QueryRow(w.tw.Ctx, sql).Scan(&ok); err != nil {
			return false, err.Error()
		}
		return ok, sql
	})
}

// TestRunBatchesReadNothingWhenNothingForeignHappened (issue 20): with
// nobody typing, a batch of the real `syncd run` makes no Sheets read in
// either spreadsheet once syncd's own last write is what Drive's version
// shows (the key cache, syncer/keycache.go), and the tabs still equal the
// tables; a person's edit makes the next batch read again.
func TestRunBatchesReadNothingWhenNothingForeignHappened(t *testing.T) {
	w := pollingSpreadsheetsWorld(t)
	pgtest.Exec(t, w.tw.URL, `INSERT INTO public.a SELECT g, 'a' || g FROM generate_series(1, 10) g;
		INSERT INTO public.b SELECT g, 'b' || g FROM generate_series(1, 10) g`)
	startSyncdProcess(t, w.cfgPath)
	w.mirrored(t, 60*time.Second)
	ids := []string{w.tw.ID, w.idB}
	settled(t, w, ids)
	// batch commits sql and waits until a batch carried it (each touches
	// mirror b) and the outbox is empty.
	batch := func(sql string) {
		t.Helper()
		var done int
		if err := w.tw.Pool.QueryRow(w.tw.Ctx, `SELECT count(*) FROM syncd.sync_log WHERE mirror = 'b' AND kind = 'change' AND status = 'ok'`).Scan(&done); err != nil {
			t.Fatal(err)
		}
		pgtest.Exec(t, w.tw.URL, sql)
		until(t, w, 15*time.Second, "the batch is written", fmt.Sprintf(`SELECT count(*) > %d FROM syncd.sync_log
			WHERE mirror = 'b' AND kind = 'change' AND status = 'ok'`, done))
		until(t, w, 5*time.Second, "the outbox is empty", `SELECT count(*) = 0 FROM syncd.changes`)
	}
	// The first batch after the start-up's full writes reads its keys.
	base := w.tw.Emu.Stats()
	batch(`BEGIN; UPDATE public.a SET v = 'w' WHERE id = 1; UPDATE public.b SET v = 'w' WHERE id = 1; COMMIT`)
	warm := w.tw.Emu.Stats()
	for _, id := range ids {
		if warm[id].Reads <= base[id].Reads {
			t.Fatalf("the first batch made no read of %s: %+v", id, warm[id])
		}
	}
	// Updates, a delete and an insert: nothing foreign happened since
	// syncd's own last write, so no batch reads.
	for _, sql := range []string{
		`BEGIN; UPDATE public.a SET v = 'x' WHERE id = 2; UPDATE public.b SET v = 'x' WHERE id = 2; COMMIT`,
		`BEGIN; DELETE FROM public.a WHERE id = 3; DELETE FROM public.b WHERE id = 3; COMMIT`,
		`BEGIN; UPDATE public.a SET v = 'y' WHERE id = 9; UPDATE public.b SET v = 'y' WHERE id = 9; COMMIT`,
		`BEGIN; INSERT INTO public.a VALUES (11, 'new'); INSERT INTO public.b VALUES (11, 'new'); COMMIT`,
	} {
		batch(sql)
	}
	quiet := w.tw.Emu.Stats()
	for _, id := range ids {
		if reads := quiet[id].Reads - warm[id].Reads; reads != 0 {
			t.Fatalf("four batches with nothing foreign made %d Sheets reads of %s, want 0", reads, id)
		}
		if writes := quiet[id].Writes - warm[id].Writes; writes < 4 {
			t.Fatalf("four batches made %d writes to %s", writes, id)
		}
		t.Logf("spreadsheet %s: four batches, 0 Sheets reads, %d writes, %d Drive reads", id,
			quiet[id].Writes-warm[id].Writes, quiet[id].DriveReads-warm[id].DriveReads)
	}
	// A person's edit in bob's spreadsheet: the next batch there reads.
	row, sheetID := rowOfKey(t, w, "b", "B", 5)
	typed := []syncd.Op{syncd.WriteRows{SheetID: sheetID, Row: row, Col: 1, Rows: [][]syncd.Cell{{syncd.StringCell("typed")}}}}
	if _, err := w.checkers["b"].Apply(w.tw.Ctx, typed); err != nil {
		t.Fatal(err)
	}
	until(t, w, 15*time.Second, "the edit reaches Postgres", `SELECT v = 'typed' FROM public.b WHERE id = 5`)
	before := w.tw.Emu.Stats()
	batch(`UPDATE public.b SET v = 'z' WHERE id = 4`)
	if reads := w.tw.Emu.Stats()[w.idB].Reads - before[w.idB].Reads; reads == 0 {
		t.Fatal("the batch after a person's edit made no read")
	}
	w.mirrored(t, 30*time.Second)
}
