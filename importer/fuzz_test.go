package importer

import (
	"math/big"
	"strings"
	"testing"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/decimal"
)

// FuzzParseValue feeds arbitrary text (and the same text's number, when it
// has one) to every value parser. None may panic; every accepted value must
// be in the canonical form Postgres reads back (decimals exact, with the
// rule's scale; dates ISO; booleans true/false), and money must not change
// by more than half a cent when read from its own canonical text again.
// The seed corpus is in testdata/fuzz/FuzzParseValue.
func FuzzParseValue(f *testing.F) {
	for _, s := range []string{"1\u00a0234,50", "2 681,14", "#REF!", "12a", "31.02.2025", "2025-13-01",
		"вчера", "7%", "0,07", "∞", "да", "−1 000,00", "1,234.50", "", " ", "9:30", "1e309", "-0"} {
		f.Add(s, 0.0, "")
	}
	f.Add("", 45951.0, "DATE")
	f.Add("", 0.07, "PERCENT")
	f.Add("", 6895.664400000001, "NUMBER")
	rules := []*Rule{
		{Type: TypeDecimal, DecimalComma: true, Scale: 2, MaxIntDigits: 10},
		{Type: TypeDecimal, Scale: -1},
		{Type: TypePercent, Scale: 2},
		{Type: TypeInt, IntBits: 32},
		{Type: TypeDate, DateFormats: []string{"dd.mm.yyyy", "yyyy-mm-dd"}},
		{Type: TypeTime},
		{Type: TypeBool},
		{Type: TypeText, Lower: true, Map: map[string]*string{"закрыта": nil}},
	}
	f.Fuzz(func(t *testing.T, text string, number float64, format string) {
		cells := []syncd.GridCell{{Value: syncd.StringCell(text)}, {Value: syncd.NumberCell(number), Format: format}}
		for _, r := range rules {
			for _, c := range cells {
				v, err := r.Parse(c)
				if err != nil {
					if _, ok := err.(*ParseError); !ok {
						t.Fatalf("%s %+v: error %T is not a *ParseError", r.Type, c, err)
					}
					continue
				}
				if v.Valid {
					checkCanonical(t, r, c, v.Text)
				}
			}
		}
	})
}

func checkCanonical(t *testing.T, r *Rule, c syncd.GridCell, s string) {
	switch r.Type {
	case TypeDecimal, TypePercent:
		d, ok := decimal.Parse(s)
		if !ok || d.String() != s {
			t.Fatalf("%s from %+v: %q is not canonical", r.Type, c, s)
		}
		if r.Scale >= 0 && d.Scale() != r.Scale {
			t.Fatalf("%s from %+v: %q does not have scale %d", r.Type, c, s, r.Scale)
		}
		again, err := r.Parse(syncd.GridCell{Value: syncd.StringCell(strings.Replace(s, ".", decimalSep(r), 1))})
		if err != nil || again.Text != s {
			t.Fatalf("%s: %q read back as %q (%v)", r.Type, s, again.Text, err)
		}
		if c.Value.Type == syncd.CellNumber && r.Type == TypeDecimal && r.Scale >= 0 {
			diff := new(big.Rat).Sub(d.Rat(), new(big.Rat).SetFloat64(c.Value.Number))
			if diff.Abs(diff).Cmp(big.NewRat(1, 100)) > 0 {
				t.Fatalf("%v became %s", c.Value.Number, s)
			}
		}
	case TypeInt, TypeDate, TypeTime, TypeBool:
		if strings.TrimSpace(s) != s || s == "" {
			t.Fatalf("%s from %+v: %q is not canonical", r.Type, c, s)
		}
	}
}

func decimalSep(r *Rule) string {
	if r.DecimalComma {
		return ","
	}
	return "."
}

// FuzzParsePlan: no plan text makes ParsePlan panic, and every plan it
// accepts has a tab, a table and columns for each entry.
func FuzzParsePlan(f *testing.F) {
	f.Add("tables:\n  - tab: A\n    table: a\n    columns: [{column: x, type: int}]\n")
	f.Add("tables: [null]\n")
	f.Add("tables:\n  - {tab: A, table: a, columns: [null]}\n")
	f.Add("tables: 5\n")
	f.Add("locale: ${X:-ru}\ntables:\n  - {tab: A, table: a, columns: [{column: x, map: {a: ~}}]}\n")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePlan("plan.yml", []byte(text))
		if err != nil {
			return
		}
		for _, tp := range p.Tables {
			if tp == nil || tp.Tab == "" || tp.Table == "" || len(tp.Columns) == 0 {
				t.Fatalf("accepted an incomplete table entry: %q", text)
			}
			for _, c := range tp.Columns {
				if c == nil || c.Column == "" || c.From == "" {
					t.Fatalf("accepted an incomplete column entry: %q", text)
				}
			}
		}
	})
}
