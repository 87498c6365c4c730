package catalog_test

import (
	"context"
	"testing"

	"github.com/syncd/syncd/catalog"
)

// TestAssignTypesDropTheModifiers: the types values are cast to before
// they are assigned carry no modifier, so the assignment itself checks
// length and precision; domains and enums keep their names.
func TestAssignTypesDropTheModifiers(t *testing.T) {
	conn := connect(t)
	types, err := catalog.AssignTypes(context.Background(), conn, "public.everything")
	if err != nil {
		t.Fatal(err)
	}
	for col, want := range map[string]string{"code": "character varying", "letter": "character", "price": "numeric",
		"at": "timestamp without time zone", "st": "status", "qty": "positive", "id": "bigint"} {
		if types[col] != want {
			t.Errorf("%s: %q, want %q", col, types[col], want)
		}
	}
	if _, err := catalog.AssignTypes(context.Background(), conn, "public.nosuch"); err == nil {
		t.Error("a missing table gave no error")
	}
}
