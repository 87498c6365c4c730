// Package migrations holds syncd's schema as embedded, numbered SQL files
// applied with tern under its advisory lock, and the capture triggers that
// syncd installs on every mirrored table.
package migrations

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/tern/v2/migrate"

	"github.com/syncd/syncd/store"
)

//go:embed *.sql
var files embed.FS

// FS returns the numbered migration files (NNN_name.sql).
func FS() fs.FS { return files }

// Result says what ApplySchema did.
type Result struct {
	From, To int32
}

// ApplySchema brings schema syncd to the newest version. It is safe to run
// concurrently (tern serialises migrators with an advisory lock) and a no-op
// when the schema is current.
func ApplySchema(ctx context.Context, conn *pgx.Conn) (Result, error) {
	// tern creates its version table inside our schema, so the schema must
	// exist before the migrator looks for the table.
	// CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even when the
	// schema exists, so a least-privilege role that was given the schema
	// must not run it.
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'syncd')").Scan(&exists); err != nil {
		return Result{}, fmt.Errorf("look for schema syncd: %w", err)
	}
	if !exists {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA syncd"); err != nil {
			return Result{}, fmt.Errorf("create schema syncd: %w", err)
		}
	}
	m, err := migrate.NewMigrator(ctx, conn, store.VersionTable)
	if err != nil {
		return Result{}, fmt.Errorf("prepare migrator: %w", err)
	}
	if err := m.LoadMigrations(files); err != nil {
		return Result{}, fmt.Errorf("load migrations: %w", err)
	}
	from, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read schema version: %w", err)
	}
	if err := m.Migrate(ctx); err != nil {
		return Result{}, fmt.Errorf("migrate schema: %w", err)
	}
	to, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("read schema version: %w", err)
	}
	return Result{From: from, To: to}, nil
}

// Latest returns the newest schema version in the embedded files.
func Latest() int32 {
	entries, _ := fs.Glob(files, "*.sql")
	return int32(len(entries))
}
