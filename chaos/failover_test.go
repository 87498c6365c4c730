package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"sync/atomic"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// requestCounter counts the Sheets API requests that reach the emulator
// through one endpoint. Each daemon gets its own endpoint (its own server
// in front of the same emulator), so the counts say, from the server side,
// which process sent what.
type requestCounter struct {
	reads, writes atomic.Int64
}

func (c *requestCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			c.reads.Add(1)
		} else {
			c.writes.Add(1)
		}
		h.ServeHTTP(w, r)
	})
}

// TestTwoDaemonsOneWritesKill9LeaderStandbyTakesOverWithin10s is issue 7's
// must-show: two `syncd run` processes (instances a and b) against one
// database. Only the leader sends Sheets requests; kill -9 of the leader
// during a steady stream of inserts makes the standby lead within 10 s;
// afterwards the tab equals the table with no duplicate rows.
func TestTwoDaemonsOneWritesKill9LeaderStandbyTakesOverWithin10s(t *testing.T) {
	w := newWorld(t)
	var viaA, viaB requestCounter
	cfgA := w.writeConfig("a", w.Serve(viaA.wrap(w.Emu)))
	endpointB := w.Serve(viaB.wrap(w.Emu))
	cfgB := w.writeConfig("b", endpointB)
	if code, out := testworld.RunSyncd(t, "migrate", "-config", cfgA); code != 0 {
		t.Fatalf("syncd migrate: exit %d\n%s", code, out)
	}

	a := w.start(cfgA, "a")
	testworld.Eventually(t, time.Minute, "a to lead", func() (bool, string) {
		role, err := w.role("a", a.Pid())
		return role == "leader", fmt.Sprintf("role %q %v\n%s", role, err, a.Log.Tail(2000))
	})
	b := w.start(cfgB, "b")
	testworld.Eventually(t, time.Minute, "b to stand by", func() (bool, string) {
		role, err := w.role("b", b.Pid())
		return role == "standby", fmt.Sprintf("role %q %v\n%s", role, err, b.Log.Tail(2000))
	})

	// A steady stream of inserts through the kill.
	wl := &workload{pool: w.Pool, writers: 1, target: 1 << 40, pace: 20 * time.Millisecond}
	ctx, cancel := context.WithCancel(w.Ctx)
	defer cancel()
	wlDone := make(chan error, 1)
	go func() { wlDone <- wl.run(ctx, 7) }()
	testworld.Eventually(t, time.Minute, "a to write batches", func() (bool, string) {
		return viaA.writes.Load() >= 3, fmt.Sprintf("%d writes through a's endpoint", viaA.writes.Load())
	})

	// Exactly one writes: b, the standby, has sent the emulator nothing at
	// all, and `syncd status -json` names a as the leader and b as standby.
	if n := viaB.reads.Load() + viaB.writes.Load(); n != 0 {
		t.Fatalf("standby b sent %d Sheets requests while a leads", n)
	}
	st := w.status(t, cfgA)
	if st.Daemon.LeaderPID == nil || *st.Daemon.LeaderPID != a.Pid() || st.roles["b"] != "standby" {
		t.Fatalf("syncd status -json while a leads: leader_pid %v (a is %d), roles %v", st.Daemon.LeaderPID, a.Pid(), st.roles)
	}

	a.Kill9()
	killed := time.Now()
	writesOfA := viaA.writes.Load()
	var tookLead, tookWrite time.Duration
	testworld.Eventually(t, 10*time.Second, "b to lead within 10 s of kill -9 of a", func() (bool, string) {
		if tookLead == 0 {
			if role, _ := w.role("b", b.Pid()); role == "leader" {
				tookLead = time.Since(killed)
			}
		}
		return tookLead != 0, b.Log.Tail(2000)
	})
	testworld.Eventually(t, 30*time.Second, "b to write to the sheet", func() (bool, string) {
		if viaB.writes.Load() > 0 {
			tookWrite = time.Since(killed)
			return true, ""
		}
		return false, b.Log.Tail(2000)
	})
	cancel()
	if err := <-wlDone; err != nil {
		t.Fatalf("workload: %v", err)
	}
	testworld.Eventually(t, time.Minute, "the outbox drained", func() (bool, string) {
		n, err := w.Pending()
		return err == nil && n == 0, fmt.Sprintf("%d pending (%v)", n, err)
	})
	if n := viaA.writes.Load(); n != writesOfA {
		t.Errorf("a, killed, wrote %d more times", n-writesOfA)
	}
	check := w.Checker()
	if diff, err := w.Diff(w.mirror(cfgB)); err != nil || diff != "" {
		t.Fatalf("after the takeover the tab differs from the table (no reconcile run): %s %v", diff, err)
	}
	rows, dups := w.duplicateKeys(t, check)
	if len(dups) > 0 {
		t.Errorf("keys repeated in the tab: %v", dups)
	}
	st = w.status(t, cfgB)
	if st.Daemon.LeaderPID == nil || *st.Daemon.LeaderPID != b.Pid() {
		t.Errorf("syncd status -json after the takeover: leader_pid %v, want b's %d", st.Daemon.LeaderPID, b.Pid())
	}
	t.Logf("kill -9 of leader a: b led after %v and wrote its first batch after %v; %d changes, %d rows, tab == table; a wrote %d times, b %d",
		tookLead.Round(time.Millisecond), tookWrite.Round(time.Millisecond), wl.made.Load(), rows, writesOfA, viaB.writes.Load())
	stop(t, b)
}

// statusJSON is the part of `syncd status -json` the tests read.
type statusJSON struct {
	Daemon struct {
		LeaderPID *int `json:"leader_pid"`
		Instances []struct {
			Instance string `json:"instance"`
			Role     string `json:"role"`
		} `json:"instances"`
	} `json:"daemon"`
	roles map[string]string
}

func (w *world) status(t *testing.T, cfg string) statusJSON {
	t.Helper()
	// The exit code says healthy, degraded or down; the JSON on stdout
	// holds the facts either way.
	out, _ := exec.Command(testworld.SyncdBinary(t), "status", "-json", "-config", cfg).Output()
	var st statusJSON
	if err := json.Unmarshal(out, &st); err != nil {
		t.Fatalf("syncd status -json: %v\n%s", err, out)
	}
	st.roles = map[string]string{}
	for _, in := range st.Daemon.Instances {
		st.roles[in.Instance] = in.Role
	}
	return st
}
