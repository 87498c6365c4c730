package store_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/store"
)

// TestRenameRowStateColumns: members are renamed together (a swap stays a
// swap, a NULL base stays NULL), other members and mirrors are untouched.
func TestRenameRowStateColumns(t *testing.T) {
	ctx := context.Background()
	pool := migrated(t)
	a, b, c := "a", "b", "c"
	if err := store.WriteRowStates(ctx, pool, "items", []store.StateUpdate{
		{Key: "1", Cells: store.RowState{"x": &a, "y": &b, "n": nil, "k": &c}}, {Key: "2", Cells: store.RowState{"k": &c}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.WriteRowStates(ctx, pool, "other", []store.StateUpdate{{Key: "1", Cells: store.RowState{"x": &a}}}); err != nil {
		t.Fatal(err)
	}
	if err := store.RenameRowStateColumns(ctx, pool, "items", map[string]string{"x": "y", "y": "x", "n": "m"}); err != nil {
		t.Fatal(err)
	}
	got, err := store.ReadRowStates(ctx, pool, "items", nil)
	if err != nil {
		t.Fatal(err)
	}
	r1 := got["1"]
	if len(r1) != 4 || *r1["y"] != "a" || *r1["x"] != "b" || r1["m"] != nil || *r1["k"] != "c" {
		t.Fatalf("row 1 after the renames: %v", r1)
	}
	if _, ok := r1["m"]; !ok {
		t.Fatalf("NULL base of n lost: %v", r1)
	}
	if len(got["2"]) != 1 || *got["2"]["k"] != "c" {
		t.Fatalf("row 2 touched: %v", got["2"])
	}
	other, err := store.ReadRowStates(ctx, pool, "other", nil)
	if err != nil || *other["1"]["x"] != "a" {
		t.Fatalf("another mirror's state renamed: %v %v", other, err)
	}
}
