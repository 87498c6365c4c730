package importer

import (
	"strings"
	"testing"
)

// TestParsePlanErrorsNameFileAndLine: every static plan mistake is reported
// at its file and line.
func TestParsePlanErrorsNameFileAndLine(t *testing.T) {
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown key", "tables:\n  - tab: A\n    table: a\n    colums: []\n", `plan.yml:4: field colums not found`},
		{"unknown type", "tables:\n  - tab: A\n    table: a\n    columns:\n      - {column: x, type: money}\n", `plan.yml:5: column "x": unknown type "money"`},
		{"no tab", "tables:\n  - table: a\n    columns: [{column: x}]\n", `plan.yml:2: table entry has no tab`},
		{"no columns", "tables:\n  - tab: A\n    table: a\n", `plan.yml:2: tab "A" maps no columns`},
		{"column twice", "tables:\n  - tab: A\n    table: a\n    columns:\n      - {column: x}\n      - {column: x}\n", `plan.yml:6: column "x" is mapped twice`},
		{"bad on_formula_error", "tables:\n  - tab: A\n    table: a\n    columns:\n      - {column: x, on_formula_error: zero}\n", `plan.yml:5: column "x": on_formula_error`},
		{"reference loaded later", "tables:\n  - tab: S\n    table: shifts\n    columns:\n      - {column: e, references: employees.id}\n  - tab: E\n    table: employees\n    columns: [{column: id}]\n",
			`plan.yml:5: column "e" references employees, which the plan loads later`},
		{"empty", "", `plan.yml: plan is empty`},
	}
	for _, tc := range cases {
		_, err := ParsePlan("plan.yml", []byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// TestParsePlanDefaults: from defaults to the column name, list order is
// the load order, and value maps may map to NULL.
func TestParsePlanDefaults(t *testing.T) {
	p, err := ParsePlan("plan.yml", []byte(`
locale: ru_RU
tables:
  - tab: E
    table: employees
    columns:
      - {column: id}
  - tab: S
    table: shifts
    columns:
      - {column: e, references: employees.id}
      - {column: max, map: {"∞": ~}}
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.Tabs(), ","); got != "E,S" {
		t.Errorf("load order %s", got)
	}
	if c := p.Tables[0].Columns[0]; c.From != "id" || c.Line != 7 {
		t.Errorf("column id: from %q line %d", c.From, c.Line)
	}
	if m := p.Tables[1].Columns[1].Map; len(m) != 1 || m["∞"] != nil {
		t.Errorf("map %v", m)
	}
	if !decimalComma(p.Locale) || decimalComma("en_US") {
		t.Error("ru_RU must read a decimal comma and en_US not")
	}
}

// TestParsePlanExpandsEnv: ${ENV} with and without a default, and an unset
// variable without one is an error at its line.
func TestParsePlanExpandsEnv(t *testing.T) {
	t.Setenv("LEGACY_SHEET", "1AbC")
	p, err := ParsePlan("plan.yml", []byte("spreadsheet_id: ${LEGACY_SHEET}\nlocale: ${NO_SUCH_VAR_X:-ru_RU}\ntables:\n  - {tab: A, table: a, columns: [{column: x}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.SpreadsheetID != "1AbC" || p.Locale != "ru_RU" {
		t.Errorf("spreadsheet_id %q locale %q", p.SpreadsheetID, p.Locale)
	}
	_, err = ParsePlan("plan.yml", []byte("tables: []\nspreadsheet_id: ${NO_SUCH_VAR_X}\n"))
	if err == nil || !strings.Contains(err.Error(), "plan.yml:2: environment variable NO_SUCH_VAR_X is not set") {
		t.Errorf("unset variable: %v", err)
	}
}
