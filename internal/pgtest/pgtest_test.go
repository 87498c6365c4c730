package pgtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestNewDBIsolatesTests(t *testing.T) {
	a, b := NewDB(t), NewDB(t)
	if a == b {
		t.Fatalf("NewDB returned the same database twice: %s", a)
	}
	Exec(t, a, "CREATE TABLE only_in_a (x int)")
	c, err := pgx.Connect(context.Background(), b)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	var n int
	if err := c.QueryRow(context.Background(), "SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("table created in database a is visible in database b")
	}
}

func TestWithDB(t *testing.T) {
	got := withDB("postgres://postgres@/postgres?host=/tmp/x&port=5432", "t1")
	if want := "postgres://postgres@/t1?host=/tmp/x&port=5432"; got != want {
		t.Fatalf("withDB() = %q, want %q", got, want)
	}
	if got := withDB("host=/tmp user=postgres", "t2"); got != "host=/tmp user=postgres dbname=t2" {
		t.Fatalf("withDB(dsn) = %q", got)
	}
}
