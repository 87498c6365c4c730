package sheetsemu

import (
	"errors"
	"net/http/httptest"
	"testing"
	"time"

	"google.golang.org/api/drive/v3"
	"google.golang.org/api/option"
	"google.golang.org/api/sheets/v4"
)

func newDrive(t *testing.T, ts *httptest.Server) *drive.Service {
	t.Helper()
	dsvc, err := drive.NewService(t.Context(), option.WithEndpoint(ts.URL+"/drive/v3/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	return dsvc
}

// TestDriveVersionMovesWithEveryChange: files.get?fields=version answers
// the Drive File's version as a string, bumped by every kind of write
// (batchUpdate, values.update/append/clear/batchUpdate) and by no read.
func TestDriveVersionMovesWithEveryChange(t *testing.T) {
	emu, svc, ts := newClient(t, Options{})
	dsvc := newDrive(t, ts)
	ctx := t.Context()
	sp := newSpreadsheet(t, svc, "Versions")
	id := sp.SpreadsheetId

	version := func() int64 {
		t.Helper()
		f, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
		if err != nil {
			t.Fatalf("files.get: %v", err)
		}
		if f.Id != "" || f.Name != "" {
			t.Fatalf("fields=version answered more: %+v", f)
		}
		return f.Version
	}
	// The raw answer carries the version as a JSON string, as Google's does.
	if code, body := rawJSON(t, "GET", ts.URL+"/drive/v3/files/"+id+"?fields=version", ""); code != 200 {
		t.Fatalf("raw files.get = %d %v", code, body)
	} else if v, ok := body["version"].(string); !ok || v == "" || len(body) != 1 {
		t.Fatalf("raw files.get = %v, want {\"version\": \"<digits>\"}", body)
	}
	v := version()
	if v < 1 {
		t.Fatalf("new spreadsheet has version %d", v)
	}
	mustMove := func(what string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if nv := version(); nv <= v {
			t.Fatalf("%s: version %d → %d, want it to move", what, v, nv)
		} else {
			v = nv
		}
	}
	mustStay := func(what string, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if nv := version(); nv != v {
			t.Fatalf("%s: version %d → %d, want no change for a read", what, v, nv)
		}
	}
	vr := &sheets.ValueRange{Values: [][]any{{"a", "b"}}}
	mustMove("values.update", func() error {
		_, err := svc.Spreadsheets.Values.Update(id, "Sheet1!A1", vr).ValueInputOption("RAW").Context(ctx).Do()
		return err
	})
	mustMove("values.append", func() error {
		_, err := svc.Spreadsheets.Values.Append(id, "Sheet1!A1", vr).ValueInputOption("RAW").Context(ctx).Do()
		return err
	})
	mustMove("values.batchUpdate", func() error {
		_, err := svc.Spreadsheets.Values.BatchUpdate(id, &sheets.BatchUpdateValuesRequest{
			ValueInputOption: "RAW", Data: []*sheets.ValueRange{{Range: "Sheet1!C3", Values: [][]any{{1}}}}}).Context(ctx).Do()
		return err
	})
	mustMove("values.clear", func() error {
		_, err := svc.Spreadsheets.Values.Clear(id, "Sheet1!C3", &sheets.ClearValuesRequest{}).Context(ctx).Do()
		return err
	})
	mustMove("batchUpdate", func() error {
		_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
			{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Two"}}}}}).Context(ctx).Do()
		return err
	})
	mustStay("spreadsheets.get", func() error { _, err := svc.Spreadsheets.Get(id).Context(ctx).Do(); return err })
	mustStay("values.get", func() error { _, err := svc.Spreadsheets.Values.Get(id, "Sheet1").Context(ctx).Do(); return err })
	// A refused batchUpdate changes nothing, so neither does the version.
	mustStay("refused batchUpdate", func() error {
		_, err := svc.Spreadsheets.BatchUpdate(id, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
			{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Two"}}}}}).Context(ctx).Do()
		if err == nil {
			return errors.New("a duplicate tab was accepted")
		}
		return nil
	})
	if got := emu.FileVersion(id); got != v {
		t.Fatalf("FileVersion = %d, files.get = %d", got, v)
	}

	// Drive calls are counted apart, never as a spreadsheet's reads or writes.
	st := emu.Stats()[id]
	if st.DriveReads != 10 || st.DriveWrites != 0 || st.Reads != 2 || st.Writes != 7 {
		t.Fatalf("stats = %+v, want 10 Drive reads (files.get), 2 Sheets reads, 7 Sheets writes", st)
	}
	if code, body := rawJSON(t, "GET", ts.URL+"/_emulator/stats", ""); code != 200 {
		t.Fatalf("stats page = %d", code)
	} else if m, _ := body[id].(map[string]any); m["drive_reads"] != float64(10) || m["reads"] != float64(2) {
		t.Fatalf("/_emulator/stats[%s] = %v", id, m)
	}
}

// TestDriveCallsCountedApart: create, copy and delete are drive_writes,
// never writes.
func TestDriveCallsCountedApart(t *testing.T) {
	emu, _, ts := newClient(t, Options{})
	dsvc := newDrive(t, ts)
	ctx := t.Context()
	f, err := dsvc.Files.Create(&drive.File{Name: "D", MimeType: spreadsheetMime}).Fields("id,version").Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if f.Version != 1 {
		t.Fatalf("created with version %d, want 1", f.Version)
	}
	cp, err := dsvc.Files.Copy(f.Id, &drive.File{Name: "D2"}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if err := dsvc.Files.Delete(cp.Id).Context(ctx).Do(); err != nil {
		t.Fatal(err)
	}
	st := emu.Stats()
	if s := st[f.Id]; s.DriveWrites != 2 || s.Writes != 0 || s.Reads != 0 {
		t.Fatalf("stats of the original = %+v, want 2 Drive writes (create, copy)", s)
	}
	if s := st[cp.Id]; s.DriveWrites != 1 || s.Writes != 0 {
		t.Fatalf("stats of the copy = %+v, want 1 Drive write (delete)", s)
	}
}

// TestDriveVersionDelay: with DriveVersionDelay a change shows in
// files.get only that long after it was made; the version never goes down.
func TestDriveVersionDelay(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	emu, svc, ts := newClient(t, Options{Now: clock.Now, DriveVersionDelay: 5 * time.Second})
	dsvc := newDrive(t, ts)
	ctx := t.Context()
	id := newSpreadsheet(t, svc, "Lag").SpreadsheetId
	version := func() int64 {
		t.Helper()
		f, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
		if err != nil {
			t.Fatal(err)
		}
		return f.Version
	}
	write := func() {
		t.Helper()
		_, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: [][]any{{"x"}}}).ValueInputOption("RAW").Context(ctx).Do()
		if err != nil {
			t.Fatal(err)
		}
	}
	v0 := version()
	write()
	if v := version(); v != v0 {
		t.Fatalf("version moved at once (%d → %d) despite the delay", v0, v)
	}
	clock.Advance(3 * time.Second)
	write()
	clock.Advance(2 * time.Second) // the first write is 5 s old, the second 2 s
	v1 := version()
	if v1 != v0+1 {
		t.Fatalf("after 5 s: version %d, want %d (the first write only)", v1, v0+1)
	}
	clock.Advance(3 * time.Second)
	if v := version(); v != v0+2 {
		t.Fatalf("after 8 s: version %d, want %d", v, v0+2)
	}
	// Turned off, every change shows at once.
	emu.SetDriveVersionDelay(0)
	write()
	if v := version(); v != v0+3 {
		t.Fatalf("without delay: version %d, want %d", v, v0+3)
	}
}

// TestDriveQuotaIsItsOwn: Drive calls spend the Drive bucket, not the
// Sheets read bucket, and a spent Drive quota answers Drive's 403
// userRateLimitExceeded.
func TestDriveQuotaIsItsOwn(t *testing.T) {
	clock := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	emu, svc, ts := newClient(t, Options{Now: clock.Now, ReadQuota: 2, DriveQuota: 3})
	dsvc := newDrive(t, ts)
	ctx := t.Context()
	id := newSpreadsheet(t, svc, "Quota").SpreadsheetId
	for i := range 3 {
		if _, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do(); err != nil {
			t.Fatalf("Drive call %d: %v", i, err)
		}
	}
	_, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do()
	ge := apiErr(t, err, 403, "User Rate Limit Exceeded")
	if _, body := rawJSON(t, "GET", ts.URL+"/drive/v3/files/"+id+"?fields=version", ""); body["error"].(map[string]any)["status"] != nil {
		t.Fatalf("Drive's error envelope has no status: %v", body)
	} else if items := body["error"].(map[string]any)["errors"].([]any); items[0].(map[string]any)["domain"] != "usageLimits" {
		t.Fatalf("Drive quota error = %v", body)
	}
	if len(ge.Errors) != 1 || ge.Errors[0].Reason != "userRateLimitExceeded" {
		t.Fatalf("Drive quota error items = %+v", ge.Errors)
	}
	// The Sheets read quota is untouched by the Drive calls.
	for i := range 2 {
		if _, err := svc.Spreadsheets.Get(id).Context(ctx).Do(); err != nil {
			t.Fatalf("Sheets read %d after the Drive calls: %v", i, err)
		}
	}
	if st := emu.Stats()[id]; st.DriveReads != 3 || st.DriveRejected != 2 || st.Reads != 2 || st.Rejected != 0 {
		t.Fatalf("stats = %+v", st)
	}
	clock.Advance(time.Minute)
	if _, err := dsvc.Files.Get(id).Fields("version").Context(ctx).Do(); err != nil {
		t.Fatalf("Drive quota not refilled after a minute: %v", err)
	}
}

// TestDriveVersionSurvivesRestart: -state keeps the version monotonic.
func TestDriveVersionSurvivesRestart(t *testing.T) {
	path := t.TempDir() + "/state.json"
	emu := New(Options{StatePath: path})
	id := emu.CreateSpreadsheet("Kept")
	ts := httptest.NewServer(emu)
	svc, err := sheets.NewService(t.Context(), option.WithEndpoint(ts.URL+"/"), option.WithoutAuthentication())
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := svc.Spreadsheets.Values.Update(id, "A1", &sheets.ValueRange{Values: [][]any{{"x"}}}).ValueInputOption("RAW").Context(t.Context()).Do(); err != nil {
			t.Fatal(err)
		}
	}
	ts.Close()
	want := emu.FileVersion(id)
	if err := emu.Close(); err != nil {
		t.Fatal(err)
	}
	again := New(Options{StatePath: path})
	if got := again.FileVersion(id); got != want || got < 4 {
		t.Fatalf("version after restart = %d, want %d", got, want)
	}
}
