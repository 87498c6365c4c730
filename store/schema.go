package store

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd/catalog"
)

// VersionTable is where tern records the schema version of schema syncd.
const VersionTable = "syncd.schema_version"

// SchemaVersion returns the version tern recorded; exists is false (and
// version 0) when schema syncd has never been migrated.
func SchemaVersion(ctx context.Context, q catalog.Querier) (version int32, exists bool, err error) {
	if err := q.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", VersionTable).Scan(&exists); err != nil {
		return 0, false, fmt.Errorf("look for %s: %w", VersionTable, err)
	}
	if !exists {
		return 0, false, nil
	}
	if err := q.QueryRow(ctx, "SELECT version FROM "+VersionTable).Scan(&version); err != nil {
		return 0, true, fmt.Errorf("read schema version: %w", err)
	}
	return version, true, nil
}

// StatusReadable reports whether the tables `syncd status` reads exist,
// and returns the database's clock, the reference of every age it shows.
func StatusReadable(ctx context.Context, q catalog.Querier) (ok bool, now time.Time, err error) {
	err = q.QueryRow(ctx, `SELECT to_regclass('syncd.daemons') IS NOT NULL AND to_regclass('syncd.mirrors') IS NOT NULL, now()`).Scan(&ok, &now)
	if err != nil {
		return false, now, fmt.Errorf("read status: %w", err)
	}
	return ok, now, nil
}
