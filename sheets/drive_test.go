package sheets

import (
	"context"
	"testing"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/sheetsemu"
)

// TestVersionAgainstEmulator: Version is one Drive files.get, moves with
// every write (the Client's own included), and costs no Sheets read.
func TestVersionAgainstEmulator(t *testing.T) {
	emu, srv := startEmulator(t, sheetsemu.Options{})
	id := emu.CreateSpreadsheet("Versioned")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	var v syncd.Versioner = c // the engine sees it through the port
	ctx := context.Background()
	v0, err := v.Version(ctx)
	if err != nil || v0 < 1 {
		t.Fatalf("Version = %d, %v", v0, err)
	}
	if again, _ := v.Version(ctx); again != v0 {
		t.Fatalf("an idle spreadsheet's version moved: %d → %d", v0, again)
	}
	if _, err := c.Apply(ctx, []syncd.Op{syncd.WriteRows{SheetID: 0, Row: 0, Rows: [][]syncd.Cell{{syncd.StringCell("x")}}}}); err != nil {
		t.Fatal(err)
	}
	v1, err := v.Version(ctx)
	if err != nil || v1 <= v0 {
		t.Fatalf("after our own write: Version = %d, %v; want > %d", v1, err, v0)
	}
	if v1 != emu.FileVersion(id) {
		t.Fatalf("Version = %d, emulator says %d", v1, emu.FileVersion(id))
	}
	st := emu.Stats()[id]
	if st.DriveReads != 3 || st.Reads != 0 || st.Writes != 1 {
		t.Fatalf("emulator stats %+v: want 3 Drive reads, 0 Sheets reads, 1 write", st)
	}
	if cs := c.Stats(); cs.DriveCalls != 3 || cs.ReadCalls != 0 || cs.WriteCalls != 1 {
		t.Fatalf("client stats %+v", cs)
	}
}

// TestVersionHonoursDriveDelay: with -drive-version-delay the version the
// Client sees trails the change by that long, and then catches up.
func TestVersionHonoursDriveDelay(t *testing.T) {
	const delay = 300 * time.Millisecond
	emu, srv := startEmulator(t, sheetsemu.Options{DriveVersionDelay: delay})
	id := emu.CreateSpreadsheet("Lagging")
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: NewQuota(0, 0, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v0, err := c.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Apply(ctx, []syncd.Op{syncd.WriteRows{SheetID: 0, Row: 0, Rows: [][]syncd.Cell{{syncd.StringCell("x")}}}}); err != nil {
		t.Fatal(err)
	}
	written := time.Now()
	if v, _ := c.Version(ctx); v != v0 && time.Since(written) < delay {
		t.Fatalf("version moved to %d at once despite a %v delay", v, delay)
	}
	for {
		v, err := c.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if v > v0 {
			if el := time.Since(written); el < delay-50*time.Millisecond {
				t.Fatalf("version moved after %v, before the %v delay", el, delay)
			}
			break
		}
		if time.Since(written) > 10*delay {
			t.Fatalf("version still %d %v after the write", v, time.Since(written))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestVersionHasItsOwnBudget: Drive calls wait on the Drive budget only;
// a spent Sheets read budget does not hold them up, and a Drive rate limit
// (Drive's 403 userRateLimitExceeded) is retried like a 429.
func TestVersionHasItsOwnBudget(t *testing.T) {
	clock := newFakeClock()
	emu, srv := startEmulator(t, sheetsemu.Options{Now: clock.Now, DriveQuota: 2})
	id := emu.CreateSpreadsheet("Budget")
	q := NewQuota(1, 1, clock)
	q.Drive = NewLimiter(100, clock) // paced above the emulator's Drive quota
	c, err := New(context.Background(), Options{SpreadsheetID: id, Endpoint: srv.URL, Quota: q, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Read(ctx, []syncd.Range{{Tab: "Sheet1", EndRow: 1, EndCol: 1}}); err != nil {
		t.Fatal(err) // the only Sheets read of this minute
	}
	done := make(chan error, 1)
	go func() {
		for range 3 { // the third is refused by the emulator, then retried
			if _, err := c.Version(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	if err := clock.runUntil(t, done); err != nil {
		t.Fatal(err)
	}
	st := c.Stats()
	// The emulator refills 2 Drive calls a minute: the third call is
	// refused (403) until 30 s passed, through backoffs of 1, 2, 4, 8, 16 s.
	if st.RateLimited == 0 || st.DriveCalls != 3+st.Retries || st.RateLimited != st.Retries || st.ReadCalls != 1 || st.Failures != 0 {
		t.Fatalf("client stats %+v: want 3 Drive calls plus one per retry after Drive's 403, 1 read", st)
	}
	if es := emu.Stats()[id]; es.DriveReads != 3 || es.DriveRejected != int64(st.RateLimited) || es.Reads != 1 || es.Rejected != 0 {
		t.Fatalf("emulator stats %+v", es)
	}
}
