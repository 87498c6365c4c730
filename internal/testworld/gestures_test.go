package testworld

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/option"
	sheetsapi "google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/internal/sheettest"
)

// apiAs is a Sheets service on w whose requests carry quotaUser user.
func apiAs(t *testing.T, w *World, user string) *sheetsapi.Service {
	t.Helper()
	hc := &http.Client{Transport: sheettest.QuotaUser(user, nil)}
	svc, err := sheetsapi.NewService(w.Ctx, option.WithHTTPClient(hc), option.WithEndpoint(w.Endpoint))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// addTab adds a tab titled title with rows (RAW) as the user of svc.
func addTab(t *testing.T, w *World, svc *sheetsapi.Service, title string, rows [][]any) {
	t.Helper()
	_, err := svc.Spreadsheets.BatchUpdate(w.ID, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
		{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{Title: title}}}}}).Do()
	if err != nil {
		t.Fatal(err)
	}
	if rows == nil {
		return
	}
	if _, err := svc.Spreadsheets.Values.Update(w.ID, quoteTab(title), &sheetsapi.ValueRange{Values: rows}).ValueInputOption("RAW").Do(); err != nil {
		t.Fatal(err)
	}
}

// firstColumn is column 0 of every row the person sees.
func firstColumn(t *testing.T, p *Person, tab string) []string {
	t.Helper()
	grid, err := p.Look(tab)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(grid))
	for i, row := range grid {
		if len(row) > 0 {
			out[i] = row[0]
		}
	}
	return out
}

func TestPersonGesturesDoWhatTheySay(t *testing.T) {
	w := New(t, Options{})
	p := w.Person()
	addTab(t, w, apiAs(t, w, "setup"), "T", [][]any{{"key", "n"}, {"a", 3}, {"b", 1}, {"c", 5}, {"d", 2}})
	steps := []struct {
		what string
		do   func() error
		want []string
	}{
		{"sort by n descending", func() error { return p.Sort("T", 1, false) }, []string{"key", "c", "a", "d", "b"}},
		{"sort by key ascending", func() error { return p.Sort("T", 0, true) }, []string{"key", "a", "b", "c", "d"}},
		{"insert a blank row before row 2", func() error { return p.InsertBlankRows("T", 2, 1) }, []string{"key", "a", "", "b", "c", "d"}},
		{"type a formula into it", func() error { return p.Type("T", 2, 0, "=1+1") }, []string{"key", "a", "2", "b", "c", "d"}},
		{"delete it", func() error { return p.DeleteRows("T", 2, 3) }, []string{"key", "a", "b", "c", "d"}},
		{"copy rows 1-2 over rows 3-4", func() error { return p.CopyPasteRows("T", 1, 3, 3) }, []string{"key", "a", "b", "a", "b"}},
		{"cut row 1 to row 5", func() error { return p.CutPasteRows("T", 1, 2, 5) }, []string{"key", "", "b", "a", "b", "a"}},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.what, err)
		}
		if got := firstColumn(t, p, "T"); !reflect.DeepEqual(got, s.want) {
			t.Fatalf("after %s the person sees %q, want %q", s.what, got, s.want)
		}
	}
	old, err := p.OvertypeKey("T", 2, 0, "zz")
	if err != nil || old != "b" {
		t.Fatalf("OvertypeKey = %q, %v; want the old key b", old, err)
	}
	if r, err := p.FindRow("T", 0, "zz"); r != 2 || err != nil {
		t.Fatalf("FindRow(zz) = %d, %v; want 2", r, err)
	}
	if got := A1("it's", 9, 27); got != "'it''s'!AB10" {
		t.Fatalf("A1 = %q", got)
	}
}

// addSheetAs sends one spreadsheets.batchUpdate (addSheet title) as the
// user of svc, on its own goroutine; the channel gets its error.
func addSheetAs(w *World, svc *sheetsapi.Service, title string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := svc.Spreadsheets.BatchUpdate(w.ID, &sheetsapi.BatchUpdateSpreadsheetRequest{Requests: []*sheetsapi.Request{
			{AddSheet: &sheetsapi.AddSheetRequest{Properties: &sheetsapi.SheetProperties{Title: title}}}}}).Do()
		done <- err
	}()
	return done
}

// hasTab reports whether the spreadsheet has a tab titled title.
func hasTab(t *testing.T, w *World, title string) bool {
	t.Helper()
	info, err := w.Checker().Info(w.Ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, ok := info.Tab(title)
	return ok
}

func TestWindowHoldsTheDaemonsWritesOnly(t *testing.T) {
	win := NewWindow()
	w := New(t, Options{Wrap: win.Wrap})
	t.Cleanup(win.Close)
	daemon := apiAs(t, w, "daemon")

	// Before forwarding: the person acts while the call waits; it lands
	// after the person's gesture.
	trap := win.Next(BeforeForward, func(b []byte) bool { return strings.Contains(string(b), "One") })
	done := addSheetAs(w, daemon, "One")
	stop := trap.Wait(t, 10*time.Second)
	if stop.N != 1 || hasTab(t, w, "One") {
		t.Fatalf("held call number %d; tab already there: %v", stop.N, hasTab(t, w, "One"))
	}
	if err := w.Person().InsertBlankRows("Sheet1", 1, 1); err != nil {
		t.Fatalf("the person's call was held or failed: %v", err)
	}
	stop.Resume()
	if err := <-done; err != nil || !hasTab(t, w, "One") {
		t.Fatalf("resumed call: %v, tab there: %v", err, hasTab(t, w, "One"))
	}

	// Dropped before forwarding: never applied.
	trap = win.At(2, BeforeForward)
	done = addSheetAs(w, daemon, "Two")
	trap.Wait(t, 10*time.Second).Drop()
	if err := <-done; err == nil || hasTab(t, w, "Two") {
		t.Fatalf("dropped call: error %v, tab there: %v", err, hasTab(t, w, "Two"))
	}

	// After the emulator applied it: the tab is there before the daemon
	// hears back, and a drop loses only the answer.
	trap = win.Next(AfterApply, nil)
	done = addSheetAs(w, daemon, "Three")
	stop = trap.Wait(t, 10*time.Second)
	if !hasTab(t, w, "Three") {
		t.Fatal("held after applying, the tab is not there")
	}
	select {
	case err := <-done:
		t.Fatalf("the daemon heard back while its call was held: %v", err)
	default:
	}
	stop.Drop()
	if err := <-done; err == nil {
		t.Fatal("a dropped answer reached the daemon")
	}
	if win.Count() < 3 {
		t.Fatalf("Count = %d, want at least 3", win.Count())
	}
}

func TestWindowIdleAfterTwoVersionReadsFollowTheLastWrite(t *testing.T) {
	win := NewWindow()
	w := New(t, Options{Wrap: win.Wrap})
	t.Cleanup(win.Close)
	daemon := apiAs(t, w, "daemon")
	if err := <-addSheetAs(w, daemon, "One"); err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: sheettest.QuotaUser("daemon", nil)}
	for i := 0; i < 2; i++ {
		if ok, _ := win.Idle(); ok {
			t.Fatalf("idle after %d version reads", i)
		}
		resp, err := hc.Get(w.Endpoint + "/drive/v3/files/" + w.ID + "?fields=version")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if ok, why := win.Idle(); !ok {
		t.Fatalf("not idle after two version reads: %s", why)
	}
}
