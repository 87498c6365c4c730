//go:build bench

package bench

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"google.golang.org/api/sheets/v4"

	"github.com/syncd/syncd/bench/internal/naive"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheetsemu"
	"github.com/syncd/syncd/store"
)

// wideColumns are wideTable's columns in order, the key first.
var wideColumns = []string{"id", "name", "amount", "qty", "ratio", "ok", "day", "at", "status", "note"}

// wideRow is wideRows' row for one key, for the one-row transactions.
const wideRow = `INSERT INTO wide
SELECT g, 'row ' || g, (g % 100000) / 100.0, g % 1000, g / 7.0, g % 2 = 0, DATE '2020-01-01' + g % 2000,
       TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * interval '1 minute', CASE WHEN g % 3 = 0 THEN 'open' ELSE 'closed' END,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'note ' || (g % 97) END
FROM (SELECT $1::int AS g) s`

// quotaEmulator is the emulator every scenario runs against (issue 8):
// 100 ms per request, 60 reads and 60 writes per minute per user.
func quotaEmulator() sheetsemu.Options {
	return sheetsemu.Options{Latency: 100 * time.Millisecond, ReadQuota: 60, WriteQuota: 60}
}

// binaries are the measured programs, built once per suite (syncd once
// per test binary, by testworld).
type binaries struct{ syncd, naive string }

func buildBinaries(t testing.TB) binaries {
	t.Helper()
	nv := filepath.Join(t.TempDir(), "naivemirror")
	if out, err := exec.Command("go", "build", "-o", nv, "./naivemirror").CombinedOutput(); err != nil {
		t.Fatalf("build naivemirror: %v\n%s", err, out)
	}
	return binaries{syncd: testworld.SyncdBinary(t), naive: nv}
}

// launch starts cmd as a measured process, named after its binary. It is
// stopped with SIGTERM at the latest when the test ends.
func launch(t testing.TB, cmd *exec.Cmd) *testworld.Proc {
	t.Helper()
	p := testworld.Start(t, filepath.Base(cmd.Path), cmd)
	t.Cleanup(func() { stop(t, p) })
	return p
}

// stop sends SIGTERM and waits for the exit.
func stop(t testing.TB, p *testworld.Proc) {
	t.Helper()
	if p.Exited() {
		return
	}
	err := p.Stop(30 * time.Second)
	switch {
	case errors.Is(err, testworld.ErrStopTimeout):
		t.Errorf("%s ignored SIGTERM for 30 s", p.Name)
	case err != nil:
		t.Logf("%s exited: %v\n%s", p.Name, err, p.Log.String())
	}
}

// startSyncd runs `syncd run` on w and returns once the daemon has made
// its start-up pass and armed the doorbell (it waits for changes).
func startSyncd(t testing.TB, bin string, w *world) *testworld.Proc {
	t.Helper()
	p := launch(t, exec.Command(bin, "run", "-config", w.cfgPath))
	testworld.Eventually(t, 2*time.Minute, "syncd armed its doorbell", func() (bool, string) {
		if p.Exited() {
			t.Fatalf("syncd run exited: %v\n%s", p.Err(), p.Log.String())
		}
		var free bool
		if err := w.Pool.QueryRow(w.Ctx, "SELECT pg_try_advisory_xact_lock_shared($1)", store.DoorbellLock).Scan(&free); err != nil {
			t.Fatal(err)
		}
		return !free, "the doorbell lock is free"
	})
	return p
}

// naiveWorld is a world whose spreadsheet has the naive mirror's tab with
// its header; trigger adds the naive trigger to the table.
func naiveWorld(t testing.TB, trigger bool) *world {
	t.Helper()
	w := newWorldCapture(t, quotaEmulator(), false)
	if trigger {
		if _, err := w.Pool.Exec(w.Ctx, naive.TriggerSQL("wide")); err != nil {
			t.Fatal(err)
		}
	}
	m := w.naiveSetup(t)
	if _, err := m.Svc.Spreadsheets.BatchUpdate(w.ID, &sheets.BatchUpdateSpreadsheetRequest{Requests: []*sheets.Request{
		{AddSheet: &sheets.AddSheetRequest{Properties: &sheets.SheetProperties{Title: "Wide"}}},
	}}).Do(); err != nil {
		t.Fatal(err)
	}
	w.naiveAppend(t, m, [][]any{toAny(wideColumns)})
	return w
}

// naiveSetup is a naive Mirror on w's tab whose calls count as set-up.
func (w *world) naiveSetup(t testing.TB) *naive.Mirror {
	t.Helper()
	svc, err := naive.NewService(w.Ctx, w.Endpoint, setupUser)
	if err != nil {
		t.Fatal(err)
	}
	return &naive.Mirror{Svc: svc, SpreadsheetID: w.ID, Tab: "Wide", Table: "wide", Columns: wideColumns}
}

func (w *world) naiveAppend(t testing.TB, m *naive.Mirror, rows [][]any) {
	t.Helper()
	for len(rows) > 0 {
		n := min(len(rows), 10000)
		if _, err := m.Svc.Spreadsheets.Values.Append(w.ID, "Wide!A1", &sheets.ValueRange{Values: rows[:n]}).
			ValueInputOption("RAW").InsertDataOption("INSERT_ROWS").Do(); err != nil {
			t.Fatal(err)
		}
		rows = rows[n:]
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// naiveArgs are the naivemirror flags for w.
func naiveArgs(w *world, mode string, extra ...string) []string {
	args := []string{"-db", w.URL, "-endpoint", w.Endpoint, "-spreadsheet", w.ID, "-tab", "Wide", "-table", "wide",
		"-columns", strings.Join(wideColumns, ",")}
	return append(append(args, extra...), mode)
}

// startNaive runs the naive mirror on w and returns once it LISTENs.
func startNaive(t testing.TB, bin string, w *world) *testworld.Proc {
	t.Helper()
	cmd := exec.Command(bin, naiveArgs(w, "run")...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := launch(t, cmd)
	rd := bufio.NewReader(out)
	line, err := rd.ReadString('\n')
	if strings.TrimSpace(line) != "listening" {
		t.Fatalf("naivemirror did not start: %q %v\n%s", line, err, p.Log.String())
	}
	go func() { _, _ = io.Copy(io.Discard, rd) }()
	return p
}

// procStatus reads a field (kB) of /proc/<pid>/status.
func procStatus(pid int, field string) (int64, error) {
	return procStatusFile(fmt.Sprintf("/proc/%d/status", pid), field)
}

// procStatusFile reads a "Field: N kB" line of a /proc file.
func procStatusFile(path, field string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, field+":"); ok {
			var kb int64
			_, err := fmt.Sscan(strings.TrimSuffix(strings.TrimSpace(v), " kB"), &kb)
			return kb, err
		}
	}
	return 0, fmt.Errorf("no %s in %s", field, path)
}

// cpuSeconds is the process's user + system CPU time from /proc/<pid>/stat.
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// Fields after the command name, which may contain spaces, close with ')'.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	var ut, st float64
	fmt.Sscan(f[11], &ut) // utime is field 14 of stat; f[0] is field 3
	fmt.Sscan(f[12], &st)
	// USER_HZ is 100 on every Linux architecture Go supports.
	return (ut + st) / 100, nil
}

// median of xs (NaN for none).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// percentile of ds (nearest rank); +Inf entries stand for never.
func percentile(ds []float64, p float64) float64 {
	if len(ds) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), ds...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(i, 0)]
}
