package main

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/migrations"
)

// follower lets the daemon's syncer follow the application's DDL
// (syncer.Resolver): a mirror is resolved again from its own config entry,
// and the capture triggers are refreshed as `syncd migrate` would.
type follower struct {
	cfg  *config.Config
	pool *pgxpool.Pool
}

// ResolveMirror implements syncer.Resolver.
func (f follower) ResolveMirror(ctx context.Context, name, table string) (syncd.Mirror, error) {
	return f.cfg.ResolveOne(ctx, f.pool, name, table)
}

// Recapture implements syncer.Resolver.
func (f follower) Recapture(ctx context.Context, mirrors []syncd.Mirror) error {
	conn, err := f.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("refresh capture triggers: %w", err)
	}
	defer conn.Release()
	if _, err := migrations.InstallCapture(ctx, conn.Conn(), migrations.CaptureTables(mirrors)); err != nil {
		return fmt.Errorf("refresh capture triggers: %w", err)
	}
	return nil
}

// ResolveMirrorRenamed implements syncer.RenameResolver: the config's
// column names are read through the application's renames.
func (f follower) ResolveMirrorRenamed(ctx context.Context, name, table string, renamed map[string]string) (syncd.Mirror, []string, error) {
	return f.cfg.ResolveOneRenamed(ctx, f.pool, name, table, renamed)
}
