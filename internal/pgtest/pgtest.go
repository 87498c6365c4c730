// Package pgtest gives tests a real PostgreSQL: one throwaway cluster per
// test binary (or the server named by TEST_DATABASE_URL) and a fresh database
// per test. It never skips: when no server can be started, tests fail.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd/internal/pgcluster"
)

var (
	startOnce sync.Once
	startErr  error
	cluster   *pgcluster.Cluster
	adminURL  string
	dbSeq     atomic.Int64
)

// Main runs the package's tests around one shared server and stops it
// afterwards. Use it from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if cluster != nil {
		if err := cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
	return code
}

func start() error {
	startOnce.Do(func() {
		if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
			adminURL = u
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cluster, startErr = pgcluster.Start(ctx, pgcluster.Options{})
		if startErr == nil {
			adminURL = cluster.URL("postgres")
		}
	})
	return startErr
}

// Cluster returns the throwaway cluster, starting it if needed; tests that
// restart the server use it. It fails the test when TEST_DATABASE_URL is set
// (an external server cannot be restarted by us).
func Cluster(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	if err := start(); err != nil {
		t.Fatalf("pgtest: start PostgreSQL: %v", err)
	}
	if cluster == nil {
		t.Fatalf("pgtest: this test restarts the server and cannot run against TEST_DATABASE_URL")
	}
	return cluster
}

// NewDB creates an empty database for this test and returns its URL. The
// database is dropped when the test ends.
func NewDB(t testing.TB) string {
	t.Helper()
	if err := start(); err != nil {
		t.Fatalf("pgtest: start PostgreSQL: %v", err)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), dbSeq.Add(1))
	ctx := context.Background()
	admin, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		t.Fatalf("pgtest: connect %s: %v", adminURL, err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), adminURL)
		if err != nil {
			return // the server is gone; nothing left to drop
		}
		defer c.Close(context.Background())
		c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	return withDB(adminURL, name)
}

// NewPool creates a database (see NewDB) and a pool on it, closed at cleanup.
func NewPool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	u := NewDB(t)
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatalf("pgtest: pool: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, u
}

// Exec runs SQL on the database at dbURL and fails the test on error.
func Exec(t testing.TB, dbURL, sql string, args ...any) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatalf("pgtest: connect: %v", err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("pgtest: exec %q: %v", firstLine(sql), err)
	}
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// withDB replaces the database name in a libpq URL or key=value DSN.
func withDB(base, db string) string {
	if u, err := url.Parse(base); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		u.Path = "/" + db
		return u.String()
	}
	return base + " dbname=" + db
}
