package main

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/sheetsemu"
)

// Issue 12 end to end: `syncd run` against the strict emulator, which
// refuses what Google refuses. Each step must converge to tab == table in
// at most two change batches, none of them failed.
func TestRunConvergesOnAStrictSheet(t *testing.T) {
	w := newWorld(t, sheetsemu.Options{})
	w.startDaemon()
	w.mirrored(30*time.Second, "employees")
	w.insertShifts(1, 30, nil)
	w.mirrored(30*time.Second, "shifts")
	steps := []struct {
		name string
		do   func()
	}{
		{"DELETE FROM shifts (every row)", func() { w.exec(`DELETE FROM shifts`) }},
		{"new inserts into the emptied tab", func() { w.insertShifts(100, 5, nil) }},
		{"TRUNCATE shifts", func() { w.exec(`TRUNCATE shifts`) }},
		{"inserts after the truncate", func() { w.insertShifts(200, 5, nil) }},
		{"a person deletes columns C onwards, then rows change", func() {
			w.personDo(&sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: &sheetsapi.DimensionRange{
				SheetId: w.tabID("Shifts"), Dimension: "COLUMNS", StartIndex: 2, ForceSendFields: []string{"SheetId"}}}})
			w.exec(`UPDATE shifts SET total_sales = total_sales + 1 WHERE shift_id % 2 = 0`)
		}},
		{"a person deletes the header row, then rows change", func() {
			w.personDo(&sheetsapi.Request{DeleteDimension: &sheetsapi.DeleteDimensionRequest{Range: &sheetsapi.DimensionRange{
				SheetId: w.tabID("Shifts"), Dimension: "ROWS", StartIndex: 0, EndIndex: 1, ForceSendFields: []string{"SheetId", "StartIndex"}}}})
			w.exec(`UPDATE shifts SET comment = 'after the header went' WHERE shift_id % 2 = 1`)
		}},
	}
	for _, s := range steps {
		mark := time.Now()
		s.do()
		w.mirrored(30*time.Second, "shifts")
		ok, failed := w.changeBatchesSince("shifts", mark)
		t.Logf("%s: %d batch(es), %d failed", s.name, ok, failed)
		if failed != 0 || ok > 2 {
			t.Errorf("%s: %d batches and %d failed ones to converge, want at most 2 and none failed", s.name, ok, failed)
		}
	}
}

func (w *world) exec(sql string, args ...any) {
	w.t.Helper()
	if _, err := w.pool.Exec(w.ctx, sql, args...); err != nil {
		w.t.Fatalf("%s: %v", sql, err)
	}
}

// personService is the plain client a person uses.
func (w *world) personService() *sheetsapi.Service {
	w.t.Helper()
	svc, err := sheetsapi.NewService(w.ctx, option.WithEndpoint(w.srv.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		w.t.Fatal(err)
	}
	return svc
}

type sheetsValueRange = sheetsapi.ValueRange

func newStrictEmu() sheetsemu.Options { return sheetsemu.Options{} }

// personDo sends requests as a person would, through the plain client.
func (w *world) personDo(reqs ...*sheetsapi.Request) {
	w.t.Helper()
	svc := w.personService()
	if _, err := svc.Spreadsheets.BatchUpdate(w.id, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: reqs}).Do(); err != nil {
		w.t.Fatalf("a person's request: %v", err)
	}
}

// tabID returns the sheet id of a tab.
func (w *world) tabID(title string) int64 {
	w.t.Helper()
	info, err := w.client().Info(w.ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	t, ok := info.Tab(title)
	if !ok {
		w.t.Fatalf("no tab %q", title)
	}
	return t.SheetID
}

// changeBatchesSince counts a mirror's change batches in sync_log since t.
func (w *world) changeBatchesSince(mirror string, t time.Time) (ok, failed int) {
	w.t.Helper()
	err := w.pool.QueryRow(w.ctx, `SELECT count(*) FILTER (WHERE status = 'ok'), count(*) FILTER (WHERE status = 'error')
		FROM syncd.sync_log WHERE mirror = $1 AND kind = 'change' AND started_at >= $2`, mirror, t).Scan(&ok, &failed)
	if err != nil {
		w.t.Fatal(fmt.Errorf("count batches: %w", err))
	}
	return ok, failed
}
