package config

import (
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the config loader: it must never
// panic, and every line of every error must start with the file's name, so
// an operator always knows which file to open (and, when known, which line).
// A config it accepts must be usable: defaults applied, a positive poll
// interval, a mirrors: key (mirrors: [] is valid), every mirror with a sheet.
func FuzzParse(f *testing.F) {
	f.Setenv("SYNCD_FUZZ_SET", "postgres://fuzz@localhost/db")
	for _, seed := range fuzzSeeds {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const path = "/etc/syncd/fuzz.yml"
		cfg, err := Parse(path, data)
		if err != nil {
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, path+":") {
					t.Fatalf("error line %q does not name the file; whole error:\n%v", line, err)
				}
			}
			return
		}
		if cfg.Path != path || cfg.Reconcile.Schedule == "" || cfg.HTTP.Listen == "" || cfg.Sheets.WriteRequestsPerMinute <= 0 {
			t.Fatalf("accepted config without its defaults: %+v", cfg)
		}
		if cfg.PollEvery() <= 0 {
			t.Fatalf("accepted poll_interval %q", cfg.Reconcile.PollInterval)
		}
		if len(cfg.Mirrors) == 0 && !cfg.hasKey("mirrors") {
			t.Fatalf("accepted a config without a mirrors: key")
		}
		for i, m := range cfg.Mirrors {
			if m.Sheet == "" || m.Name == "" || (m.Table == "") == (m.Query == "") {
				t.Fatalf("accepted mirror %d: %+v", i, m)
			}
			cfg.Line("mirrors", i, "columns", 0) // must not panic
		}
	})
}

// fuzzSeeds are one valid config and the bad inputs docs/RELIABILITY.md
// lists; testdata/fuzz/FuzzParse holds more, found by the fuzzer.
var fuzzSeeds = []string{
	`postgres:
  url: ${SYNCD_FUZZ_SET}
sheets:
  spreadsheet_id: 1AbC
  endpoint: ${SYNCD_FUZZ_ENDPOINT:-}
reconcile:
  schedule: "@every 5m"
  poll_interval: 10s
mirrors:
  - name: shifts
    table: public.shifts
    sheet: Shifts
    key: [shift_id]
    columns: [shift_id, total, comment]
    editable: [comment]
  - name: monthly
    query: SELECT employee_id, month, total FROM monthly
    sheet: Monthly
    key: [employee_id, month]
    depends_on: [public.shifts]
`,
	"postgres:\n  url: x\n\tsheets: {}\n",
	"postgres:\n  url: x\n  ur1: y\nsheets:\n  spreadsheet_id: s\nmirrors:\n  - {name: a, table: t, sheet: A}\n",
	"postgres:\n  url: ${SYNCD_FUZZ_UNSET}\n",
	"",
	"# only a comment\n",
	"mirrors: [{name: a, table: t, query: q, sheet: A, key: [id], editable: [id, id]}]\n",
	"postgres: {url: x}\nsheets: {spreadsheet_id: s, write_requests_per_minute: -1}\nreconcile: {schedule: every day, poll_interval: 0s}\nhttp: {listen: 9187}\nlog: {format: xml}\nmirrors: [{name: 'a b', sheet: A}, {name: a, sheet: A, table: t}]\n",
	"a: &a [*a, *a]\n",
	"postgres: [1, 2]\nmirrors: 3\n",
	"\xff\xfe\x00postgres",
}
