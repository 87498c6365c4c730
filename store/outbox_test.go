package store

import (
	"reflect"
	"testing"

	"github.com/syncd/syncd"
)

// TestOutboxMeaningOfEveryOp pins what each op code means to a table mirror
// and to a query mirror. Both the change stream and reconcile read the
// outbox through For, so this is the one definition: a statement marker
// (S, written for a depends_on-only table) refreshes the query mirrors
// depending on the table, and like a truncate it makes a table mirror of
// that table reread it whole, since it names no row.
func TestOutboxMeaningOfEveryOp(t *testing.T) {
	tables := map[uint32]string{1: "public.items", 2: "public.prices"}
	items := &syncd.Mirror{Name: "items", Table: "public.items"}
	prices := &syncd.Mirror{Name: "prices", Table: "public.prices"}
	report := &syncd.Mirror{Name: "report", Query: "SELECT 1", DependsOn: []string{"public.items", "public.prices"}}
	other := &syncd.Mirror{Name: "other", Query: "SELECT 1", DependsOn: []string{"public.other"}}
	cases := []struct {
		name    string
		changes []Change
		want    map[*syncd.Mirror]Queue
	}{
		{"rows", []Change{{1, 1, OpInsert, `{"id": 2}`}, {2, 1, OpUpdate, `{"id": 1}`}, {3, 1, OpDelete, `{"id": 2}`}},
			map[*syncd.Mirror]Queue{
				items:  {Changes: 3, Keys: []string{`{"id": 1}`, `{"id": 2}`}},
				prices: {},
				report: {Changes: 3, Full: true},
				other:  {},
			}},
		{"truncate", []Change{{1, 1, OpTruncate, ""}, {2, 1, OpInsert, `{"id": 1}`}},
			map[*syncd.Mirror]Queue{
				items:  {Changes: 2, Full: true, Keys: []string{`{"id": 1}`}},
				report: {Changes: 2, Full: true},
			}},
		{"statement", []Change{{1, 2, OpStatement, ""}},
			map[*syncd.Mirror]Queue{
				items:  {},
				prices: {Changes: 1, Full: true},
				report: {Changes: 1, Full: true},
				other:  {},
			}},
		{"unmirrored table", []Change{{1, 99, OpInsert, `{"id": 1}`}, {2, 99, OpStatement, ""}},
			map[*syncd.Mirror]Queue{items: {}, prices: {}, report: {}, other: {}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := NewOutbox(tc.changes, tables)
			if got := len(o.IDs()); got != len(tc.changes) {
				t.Errorf("IDs() has %d ids, want every entry (%d), mirrored or not", got, len(tc.changes))
			}
			for m, want := range tc.want {
				if got := o.For(m); !reflect.DeepEqual(got, want) {
					t.Errorf("For(%s) = %+v, want %+v", m.Name, got, want)
				}
			}
		})
	}
}

func TestOnlyTruncateAndStatementAreMarkers(t *testing.T) {
	for _, op := range []Op{OpInsert, OpUpdate, OpDelete, OpTruncate, OpStatement} {
		if want := op == OpTruncate || op == OpStatement; op.Marker() != want {
			t.Errorf("%c.Marker() = %v, want %v", op, op.Marker(), want)
		}
	}
}
