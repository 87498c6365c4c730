package deploy_test

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/syncd/syncd/internal/testworld"
)

// A schema whose mirrors end up in each state the alerts watch: kept runs,
// dups gets a duplicate key (parked), gone is dropped (stopped), moved is
// renamed (a warning).
const metricsSchema = `
CREATE TABLE kept (id int PRIMARY KEY, v text);
CREATE TABLE dups (k text NOT NULL, v text);
CREATE TABLE gone (id int PRIMARY KEY, v text);
CREATE TABLE moved (id int PRIMARY KEY, v text);
INSERT INTO kept VALUES (1, 'a');
INSERT INTO dups VALUES ('a', 'first'), ('b', 'b');
INSERT INTO gone VALUES (1, 'a');
INSERT INTO moved VALUES (1, 'a');`

const metricsMirrors = `reconcile:
  schedule: "@every 1h"
  poll_interval: 1s
http:
  listen: 127.0.0.1:0
mirrors:
  - name: kept
    table: public.kept
    sheet: Kept
  - name: dups
    table: public.dups
    sheet: Dups
    key: [k]
  - name: gone
    table: public.gone
    sheet: Gone
  - name: moved
    table: public.moved
    sheet: Moved
`

// scrape returns the daemon's /metrics as sample name -> the sample lines
// of that name.
func (d *daemon) scrape() (map[string][]string, error) {
	resp, err := http.Get("http://" + d.addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("/metrics: %s", resp.Status)
	}
	out := map[string][]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name := line[:strings.IndexAny(line, "{ ")]
		out[name] = append(out[name], line)
	}
	return out, sc.Err()
}

// TestEveryMetricOfAlertsAndDashboardIsExported runs the real `syncd run`,
// brings one mirror to each state the alerts watch (parked, stopped,
// warned), and checks that every metric name alerts.yml and syncd.json
// query is in the daemon's /metrics.
func TestEveryMetricOfAlertsAndDashboardIsExported(t *testing.T) {
	used := usedMetricNames(t)
	w := &world{World: testworld.New(t, testworld.Options{Schema: metricsSchema, Title: "metrics"}), syncd: testworld.SyncdBinary(t)}
	cfg := w.WriteConfig("syncd", testworld.Config{Body: metricsMirrors})
	w.env = append(os.Environ(), "SYNCD_CONFIG="+cfg, "SYNCD_LOG_FORMAT=console")
	migrate := exec.Command(w.syncd, "migrate")
	migrate.Env = w.env
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("syncd migrate: %v\n%s", err, out)
	}
	d := w.startDaemon(t, "a")
	testworld.Eventually(t, 60*time.Second, "the daemon to lead", func() (bool, string) {
		m, err := d.scrape()
		if err != nil {
			return false, err.Error()
		}
		return has(m["syncd_leader"], "syncd_leader 1") && len(m["syncd_open_conflicts"]) == 4, d.Log.Tail(20)
	})
	// The first fill done, so that the duplicate below meets a batch, not
	// the fill.
	w.Mirrored(60*time.Second, w.Mirrors(cfg)...)

	// One batch for two mirrors, one of which cannot be written: dups is
	// parked, kept goes on. Then a table dropped and one renamed.
	if _, err := w.Pool.Exec(w.Ctx, `INSERT INTO dups VALUES ('a', 'second'); INSERT INTO kept VALUES (2, 'b')`); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Pool.Exec(w.Ctx, `DROP TABLE gone; ALTER TABLE moved RENAME TO moved_now`); err != nil {
		t.Fatal(err)
	}
	var m map[string][]string
	testworld.Eventually(t, 90*time.Second, "dups parked, gone stopped, moved warned", func() (bool, string) {
		var err error
		if m, err = d.scrape(); err != nil {
			return false, err.Error()
		}
		ok := has(m["syncd_mirror_parked"], `mirror="dups"`) && has(m["syncd_mirror_stopped"], `mirror="gone"`) &&
			has(m["syncd_mirror_warning"], `mirror="moved"`)
		return ok, fmt.Sprintf("parked %q stopped %q warning %q\n%s", m["syncd_mirror_parked"], m["syncd_mirror_stopped"],
			m["syncd_mirror_warning"], d.Log.Tail(20))
	})
	for _, name := range used {
		if len(m[name]) == 0 {
			t.Errorf("alerts.yml or syncd.json uses %s, which the daemon does not export", name)
		}
	}
	t.Logf("%d metric names used, all exported: %s", len(used), strings.Join(used, " "))
}

// has reports whether one of lines contains s.
func has(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
