package importer_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"sort"
	"testing"
)

// TestDryRunMatchesExpectFile: the JSON report of a dry run over the shared
// fixture has exactly the expect file's valid counts and rejected rows
// (tab, row, kind, column), and the valid shifts' sales sum to sum_sales.
func TestDryRunMatchesExpectFile(t *testing.T) {
	e := newEnv(t)
	want := loadExpect(t)
	res := e.validate(t, examplePlan(t))
	var buf bytes.Buffer
	if err := res.Report("dry-run").WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tabs []struct {
			Tab      string            `json:"tab"`
			RowsRead int               `json:"rows_read"`
			Valid    int               `json:"valid"`
			Rejected int               `json:"rejected"`
			Sums     map[string]string `json:"sums"`
		} `json:"tabs"`
		Rejections []struct {
			Tab    string `json:"tab"`
			Row    int    `json:"row"`
			Column string `json:"column"`
			Kind   string `json:"kind"`
		} `json:"rejections"`
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, buf.String())
	}
	if len(got.Tabs) != len(want.Tabs) {
		t.Errorf("report has %d tabs, want %d", len(got.Tabs), len(want.Tabs))
	}
	for _, tab := range got.Tabs {
		w, ok := want.Tabs[tab.Tab]
		if !ok {
			t.Errorf("unexpected tab %q", tab.Tab)
			continue
		}
		if tab.Valid != w.ValidRows {
			t.Errorf("tab %s: valid %d, want %d", tab.Tab, tab.Valid, w.ValidRows)
		}
		if tab.RowsRead != tab.Valid+tab.Rejected {
			t.Errorf("tab %s: rows_read %d != valid %d + rejected %d", tab.Tab, tab.RowsRead, tab.Valid, tab.Rejected)
		}
		if tab.Tab == "Shifts" {
			wantSum := new(big.Rat).SetFloat64(w.SumSales).FloatString(2)
			if tab.Sums["total_sales"] != wantSum {
				t.Errorf("sum of total_sales %s, want %s", tab.Sums["total_sales"], wantSum)
			}
		}
	}
	key := func(tab string, row int, kind, col string) string {
		return fmt.Sprintf("%s!%d %s %s", tab, row, kind, col)
	}
	var gotKeys, wantKeys []string
	for _, r := range got.Rejections {
		gotKeys = append(gotKeys, key(r.Tab, r.Row, r.Kind, r.Column))
	}
	for _, r := range want.Errors {
		wantKeys = append(wantKeys, key(r.Tab, r.Row, r.Kind, r.Column))
	}
	sort.Strings(gotKeys)
	sort.Strings(wantKeys)
	if fmt.Sprint(gotKeys) != fmt.Sprint(wantKeys) {
		t.Errorf("rejections differ:\n got %v\nwant %v", gotKeys, wantKeys)
	}
}

// TestDryRunRejectsCheckViolations: a row breaking one of the table's CHECK
// constraints is a check_violation rejection in the dry run (so execute
// never fails half-way), naming the column the constraint is about.
func TestDryRunRejectsCheckViolations(t *testing.T) {
	e := newEnv(t)
	if _, err := e.conn.Exec(t.Context(), `ALTER TABLE ranks ADD CONSTRAINT bonus_below_5000 CHECK (monthly_bonus < 5000)`); err != nil {
		t.Fatal(err)
	}
	res := e.validate(t, examplePlan(t))
	var got []string
	for _, r := range res.Rejections {
		if r.Tab == "Ranks" {
			got = append(got, fmt.Sprintf("%d %s %s %s", r.Row, r.Kind, r.Column, r.Value))
		}
	}
	if want := "[5 check_violation MonthlyBonus 10\u00a0000,00]"; fmt.Sprint(got) != want {
		t.Errorf("Ranks rejections %q, want %q", got, want)
	}
	if n := res.Tables[2].Report.Valid; n != 3 {
		t.Errorf("Ranks valid %d, want 3", n)
	}
}
