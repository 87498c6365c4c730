package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// promtool runs Debian's promtool (package prometheus) with args and
// returns its output and error.
func promtool(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(need(t, "prometheus", "promtool"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// ruleFile is the part of a Prometheus rule file the tests read.
type ruleFile struct {
	Groups []struct {
		Rules []struct {
			Alert  string `yaml:"alert"`
			Record string `yaml:"record"`
			Expr   string `yaml:"expr"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertRules returns the alerts of deploy/prometheus/alerts.yml, name ->
// expression.
func alertRules(t *testing.T) map[string]string {
	t.Helper()
	var f ruleFile
	if err := yaml.Unmarshal([]byte(readFile(t, "prometheus/alerts.yml")), &f); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out[r.Alert] = r.Expr
		}
	}
	return out
}

// TestAlertRulesPassPromtool runs `promtool check rules` and `promtool test
// rules` on deploy/prometheus, and checks that every alert has a case in
// which it fires.
func TestAlertRulesPassPromtool(t *testing.T) {
	if out, err := promtool(t, "prometheus", "check", "rules", "alerts.yml"); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}
	out, err := promtool(t, "prometheus", "test", "rules", "alerts_test.yml")
	if err != nil || !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
	// The checks can fail: a broken expression is refused.
	bad := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(bad, []byte("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: rate(syncd_batches_total) > 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := promtool(t, ".", "check", "rules", bad); err == nil {
		t.Fatalf("promtool check rules accepted rate() without a range:\n%s", out)
	}

	var cases struct {
		Tests []struct {
			AlertRuleTest []struct {
				Alertname string `yaml:"alertname"`
				ExpAlerts []any  `yaml:"exp_alerts"`
			} `yaml:"alert_rule_test"`
		} `yaml:"tests"`
	}
	if err := yaml.Unmarshal([]byte(readFile(t, "prometheus/alerts_test.yml")), &cases); err != nil {
		t.Fatal(err)
	}
	fires := map[string]bool{}
	for _, tc := range cases.Tests {
		for _, a := range tc.AlertRuleTest {
			fires[a.Alertname] = fires[a.Alertname] || len(a.ExpAlerts) > 0
		}
	}
	alerts := alertRules(t)
	for _, want := range []string{"SyncdNoLeader", "SyncdLagging", "SyncdBatchesFailing", "SyncdMirrorParked",
		"SyncdMirrorStopped", "SyncdOpenConflicts", "SyncdSheetsRateLimited"} {
		if alerts[want] == "" {
			t.Errorf("alerts.yml has no %s (issue 22: lag, failed batches, parked or stopped mirrors, conflicts, no leader, 429s)", want)
		}
	}
	for name := range alerts {
		if !fires[name] {
			t.Errorf("alerts_test.yml has no case in which %s fires", name)
		}
	}
}

// dashboardQueries returns every PromQL query of deploy/grafana/syncd.json
// (panel targets and template variables), with the $job variable set to
// match everything.
func dashboardQueries(t *testing.T) []string {
	t.Helper()
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal([]byte(readFile(t, "grafana/syncd.json")), &d); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range d.Panels {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				t.Errorf("dashboard panel %q has a target without expr", p.Title)
			}
			out = append(out, strings.ReplaceAll(tg.Expr, "$job", ".*"))
		}
	}
	for _, v := range d.Templating.List {
		out = append(out, v.Definition)
	}
	return out
}

// TestDashboardQueriesParse has promtool parse every query of the
// dashboard, as recording rules (label_values() is Grafana's, not PromQL:
// its metric is checked by the metric-name test instead).
func TestDashboardQueriesParse(t *testing.T) {
	var b strings.Builder
	b.WriteString("groups:\n  - name: dashboard\n    rules:\n")
	n := 0
	for _, q := range dashboardQueries(t) {
		if strings.HasPrefix(q, "label_values(") {
			continue
		}
		n++
		fmt.Fprintf(&b, "      - record: syncd:dashboard_query_%d\n        expr: %q\n", n, q)
	}
	if n < 10 {
		t.Fatalf("only %d queries in the dashboard", n)
	}
	f := filepath.Join(t.TempDir(), "dashboard-rules.yml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := promtool(t, ".", "check", "rules", f); err != nil {
		t.Fatalf("promtool check rules on the dashboard's queries: %v\n%s", err, out)
	}
}

// metricName matches the names of the series a query selects: syncd's own
// and those of the Go and process collectors it registers.
var metricName = regexp.MustCompile(`\b(?:syncd|go|process)_[a-z0-9_]+\b`)

// usedMetricNames returns the metric names the alerts and the dashboard
// query, sorted.
func usedMetricNames(t *testing.T) []string {
	t.Helper()
	queries := dashboardQueries(t)
	for _, expr := range alertRules(t) {
		queries = append(queries, expr)
	}
	var names []string
	for _, q := range queries {
		for _, n := range metricName.FindAllString(q, -1) {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return names
}
