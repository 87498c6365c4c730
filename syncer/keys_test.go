package syncer

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/internal/pgtest"
)

// TestKeyEncodingIsPostgres: encodeKey escapes as Postgres's array_to_json
// does, so migrations/004 converts round 1's U+001F-joined keys into the
// very strings syncd now looks up; and decodeKey reverses encodeKey.
func TestKeyEncodingIsPostgres(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	texts := []string{"", "x", "#N/A", "=x", "'x", `a"b\c`, "tab\there\nnl\r\b\f", "\x01\x1f\x7f", "é ü 日本 \u2028 <&>", "[\"x\"]"}
	for _, s := range texts {
		for _, parts := range [][]string{{s}, {s, "2024-01-02"}, {"p", s}} {
			vals := make([]syncd.Value, len(parts))
			for i, p := range parts {
				vals[i] = syncd.Text(p)
			}
			got := encodeKey(vals)
			var want string
			if err := conn.QueryRow(ctx, "SELECT array_to_json($1::text[])::text", parts).Scan(&want); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("encodeKey(%q) = %s, Postgres says %s", parts, got, want)
			}
			back, err := decodeKey(got, len(parts))
			if err != nil || encodeKey(back) != got {
				t.Errorf("decodeKey(%s) = %v, %v", got, back, err)
			}
		}
	}
	if got := encodeKey([]syncd.Value{syncd.Null, syncd.Text("")}); got != `[null,""]` {
		t.Errorf("NULL and '' encode as %s", got)
	}
}
