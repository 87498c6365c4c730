package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/syncd/syncd/migrations"
)

func (m *Main) migrate(ctx context.Context, args []string) error {
	fs := m.flags("migrate", "", "Apply syncd's schema and install capture triggers on every mirrored table.\n"+
		"Idempotent: a second run changes nothing. Triggers of tables no longer mirrored are removed.\n"+
		"Every mirror is checked against the catalog first; on any problem nothing is changed.")
	cfgPath := configFlag(fs)
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath)
	if err != nil {
		return err
	}
	conn, err := connect(ctx, cfg.Postgres.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// Resolve before touching anything: a typo in one mirror must not leave
	// a half-migrated database behind. Unlike `syncd run`, which starts
	// such a mirror stopped, migrate refuses: it installs every mirror's
	// capture triggers and cannot on a table that is not there.
	mirrors, err := cfg.Resolve(ctx, conn)
	if err != nil {
		return fmt.Errorf("config does not match the database, nothing changed:\n%w\n"+
			"(migrate needs every mirrored table as the config names it: create or fix the table, or remove the mirror from the config; "+
			"a running daemon keeps such a mirror stopped and resumes it by itself)", err)
	}
	// A key: without a unique index is refused when the data repeats it.
	warnings, err := cfg.CheckKeys(ctx, conn, mirrors)
	if err != nil {
		return fmt.Errorf("config does not match the database, nothing changed:\n%w", err)
	}
	for _, w := range warnings {
		fmt.Fprintf(m.Stderr, "warning: %s\n", w)
	}
	res, err := migrations.ApplySchema(ctx, conn)
	if err != nil {
		return err
	}
	if res.From == res.To {
		fmt.Fprintf(m.Stdout, "schema syncd: version %d, up to date\n", res.To)
	} else {
		fmt.Fprintf(m.Stdout, "schema syncd: migrated from version %d to %d\n", res.From, res.To)
	}
	cap, err := migrations.InstallCapture(ctx, conn, migrations.CaptureTables(mirrors))
	if err != nil {
		return fmt.Errorf("install capture triggers: %w", err)
	}
	m.printCapture(cap)
	return nil
}

// printCapture lists the tables whose capture triggers migrate installed,
// updated, left unchanged and removed.
func (m *Main) printCapture(cap migrations.CaptureResult) {
	report := func(what string, tables []string) {
		if len(tables) > 0 {
			fmt.Fprintf(m.Stdout, "capture triggers %s: %s\n", what, strings.Join(tables, ", "))
		}
	}
	report("installed", cap.Installed)
	report("updated", cap.Updated)
	report("unchanged", cap.Unchanged)
	report("removed", cap.Removed)
}
