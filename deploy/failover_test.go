package deploy_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/testworld"
	"github.com/syncd/syncd/sheets"
)

// daemon is one `syncd run` process.
type daemon struct {
	*testworld.Proc
	addr string // its http.listen address
}

var httpAddr = regexp.MustCompile(`"http": "([^"]+)"`)

func (w *world) startDaemon(t *testing.T, instance string) *daemon {
	t.Helper()
	cmd := exec.Command(w.syncd, "run", "-instance", instance)
	cmd.Env = w.env
	d := &daemon{Proc: testworld.Start(t, instance, cmd)}
	testworld.Eventually(t, 60*time.Second, instance+" serving", func() (bool, string) {
		m := httpAddr.FindStringSubmatch(d.Log.String())
		if m != nil {
			d.addr = m[1]
		}
		return m != nil, d.Log.String()
	})
	return d
}

// metric reads one unlabelled sample from the daemon's /metrics.
func (d *daemon) metric(name string) (float64, error) {
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			return strconv.ParseFloat(v, 64)
		}
	}
	io.Copy(io.Discard, resp.Body)
	return 0, fmt.Errorf("no %s in /metrics", name)
}

// TestTwoDaemonsOneWritesAndTheStandbyTakesOverAfterKill9 is issue 7's
// failover check with the real binary: two `syncd run` against one
// database; only the leader sends Sheets writes; kill -9 of the leader, in
// the middle of a steady stream of inserts, lets the standby lead within
// 10 s, and the sheet ends equal to the table with no duplicate rows.
func TestTwoDaemonsOneWritesAndTheStandbyTakesOverAfterKill9(t *testing.T) {
	w := newWorld(t)
	pgtest := func(sql string, args ...any) {
		t.Helper()
		conn, err := pgx.Connect(context.Background(), w.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	pgtest("INSERT INTO employee_settings (employee_id, name) VALUES (1, 'Ann')")

	a := w.startDaemon(t, "a")
	testworld.Eventually(t, 30*time.Second, "a to lead", func() (bool, string) {
		v, err := a.metric("syncd_leader")
		return err == nil && v == 1, fmt.Sprint(v, err)
	})
	b := w.startDaemon(t, "b")

	// A steady workload: one shift every 20 ms, through the kill.
	ctx, stop := context.WithCancel(context.Background())
	var inserted atomic.Int64
	done := make(chan error, 1)
	go func() {
		conn, err := pgx.Connect(ctx, w.URL)
		if err != nil {
			done <- err
			return
		}
		defer conn.Close(context.Background())
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for id := 1; ; id++ {
			select {
			case <-ctx.Done():
				done <- nil
				return
			case <-tick.C:
			}
			if _, err := conn.Exec(ctx, "INSERT INTO shifts (shift_id, shift_date, employee_id, total_sales) VALUES ($1, '2026-11-22', 1, $2)", id, id*10); err != nil {
				if ctx.Err() != nil {
					done <- nil
					return
				}
				done <- err
				return
			}
			inserted.Store(int64(id))
		}
	}()
	defer stop()

	testworld.Eventually(t, 30*time.Second, "a to mirror some shifts", func() (bool, string) {
		select {
		case err := <-done:
			t.Fatalf("workload: %v", err)
		default:
		}
		v, err := a.metric("syncd_changes_total")
		return err == nil && v >= 20, fmt.Sprintf("changes_total %v (%v), %d inserted\n%s", v, err, inserted.Load(), a.Log.String())
	})
	// Exactly one writes: the standby has sent no Sheets write at all.
	if v, err := b.metric("syncd_sheets_write_requests_total"); err != nil || v != 0 {
		t.Fatalf("standby b sent %v Sheets writes (%v) while a leads", v, err)
	}
	if v, err := b.metric("syncd_leader"); err != nil || v != 0 {
		t.Fatalf("standby b reports syncd_leader %v (%v) while a leads", v, err)
	}

	killed := time.Now()
	if err := a.Cmd.Process.Kill(); err != nil { // SIGKILL: no clean-up at all
		t.Fatal(err)
	}
	testworld.Eventually(t, 10*time.Second, "b to lead after kill -9 of a", func() (bool, string) {
		v, err := b.metric("syncd_leader")
		return err == nil && v == 1, b.Log.String()
	})
	took := time.Since(killed)
	testworld.Eventually(t, 30*time.Second, "b to mirror shifts", func() (bool, string) {
		v, err := b.metric("syncd_changes_total")
		return err == nil && v >= 20, fmt.Sprint(v, err)
	})
	stop()
	if err := <-done; err != nil {
		t.Fatalf("workload: %v", err)
	}
	t.Logf("kill -9 of the leader: the standby led after %v; %d shifts inserted", took.Round(time.Millisecond), inserted.Load())

	client, err := sheets.New(context.Background(), sheets.Options{SpreadsheetID: w.ID, Endpoint: w.Endpoint})
	if err != nil {
		t.Fatal(err)
	}
	var sheetIDs []int
	testworld.Eventually(t, 60*time.Second, "the sheet to equal the table", func() (bool, string) {
		cells, err := client.Read(context.Background(), []syncd.Range{{Tab: "Shifts", EndCol: 1}})
		if err != nil {
			return false, err.Error()
		}
		sheetIDs = sheetIDs[:0]
		for i, row := range cells[0] {
			if i == 0 || len(row) == 0 {
				continue // the header
			}
			sheetIDs = append(sheetIDs, int(row[0].Number))
		}
		sort.Ints(sheetIDs)
		// The table, not the workload's counter, is the truth: the insert
		// interrupted by stop() may have committed on the server after its
		// client gave up.
		var tableIDs []int
		conn, err := pgx.Connect(context.Background(), w.URL)
		if err != nil {
			return false, err.Error()
		}
		err = conn.QueryRow(context.Background(), "SELECT coalesce(array_agg(shift_id ORDER BY shift_id), '{}') FROM shifts").Scan(&tableIDs)
		conn.Close(context.Background())
		if err != nil {
			return false, err.Error()
		}
		if len(sheetIDs) != len(tableIDs) {
			return false, fmt.Sprintf("%d rows in the tab, %d in the table", len(sheetIDs), len(tableIDs))
		}
		for i, id := range sheetIDs {
			if id != tableIDs[i] {
				return false, fmt.Sprintf("tab row %d holds shift %d, want %d (duplicate or missing)", i+1, id, tableIDs[i])
			}
		}
		return true, ""
	})
}
