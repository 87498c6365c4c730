package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/syncer"
)

func (m *Main) reconcile(ctx context.Context, args []string) error {
	fs := m.flags("reconcile", "", "One reconciliation pass, then exit (for a systemd timer): prove each tab equals its table,\n"+
		"repair what differs in one write, carry edits of editable cells back to Postgres, and record\n"+
		"everything it did not apply in syncd.conflicts. Exit 0 when the pass succeeded.")
	cfgPath := configFlag(fs)
	mirror := fs.String("mirror", "", "reconcile only this mirror")
	dryRun := fs.Bool("dry-run", false, "print what would change and change nothing anywhere")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	cfg, log, err := loadConfigAndLogger(*cfgPath)
	if err != nil {
		return err
	}
	defer log.Sync()
	rep, err := reconcileOnce(ctx, cfg, log, syncer.ReconcileOptions{Mirror: *mirror, DryRun: *dryRun})
	if err != nil {
		return err
	}
	if *asJSON {
		if err := writeJSON(m.Stdout, reportJSON(rep)); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	printReconcile(m, rep)
	return nil
}

// reconcileOnce opens its own deps and runs one pass. A pass that writes
// must not race a running daemon's batches: it holds the leader lock for
// the pass (or leaves the work to the leader) and mirrors the pending
// changes first.
func reconcileOnce(ctx context.Context, cfg *config.Config, log *zap.Logger, opts syncer.ReconcileOptions) (syncer.ReconcileReport, error) {
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return syncer.ReconcileReport{}, err
	}
	defer d.close()
	if opts.Mirror != "" && !d.hasMirror(opts.Mirror) {
		return syncer.ReconcileReport{}, withCode(exitUsage, fmt.Errorf("no mirror named %q in %s", opts.Mirror, cfg.Path))
	}
	s := syncer.New(d.syncerOptions(log))
	if !opts.DryRun {
		lock, err := d.takeLeaderLock(ctx)
		if err != nil {
			return syncer.ReconcileReport{}, err
		}
		defer lock.Close(context.WithoutCancel(ctx))
		if err := drain(ctx, s); err != nil {
			return syncer.ReconcileReport{}, err
		}
	}
	return s.Reconcile(ctx, opts)
}

// hasMirror says whether the config has a mirror called name.
func (d *deps) hasMirror(name string) bool {
	for _, mm := range d.mirrors {
		if mm.Name == name {
			return true
		}
	}
	return false
}

// takeLeaderLock takes the daemons' leader lock on a dedicated connection,
// which holds it until closed; it refuses while a daemon leads.
func (d *deps) takeLeaderLock(ctx context.Context) (*pgx.Conn, error) {
	conn, err := d.connectFunc("reconcile")(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	got, err := store.TryLock(ctx, conn, store.LeaderLock)
	if err != nil {
		conn.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("take the leader lock: %w", err)
	}
	if !got {
		conn.Close(context.WithoutCancel(ctx))
		return nil, errors.New("a syncd daemon leads this database and reconciles on its schedule;" +
			" run with -dry-run to inspect, or stop the daemon first")
	}
	return conn, nil
}

// drain mirrors every pending change, so the pass starts from a sheet that
// has seen every committed change.
func drain(ctx context.Context, s *syncer.Syncer) error {
	for {
		n, err := s.Drain(ctx)
		if err != nil {
			return fmt.Errorf("mirror pending changes first: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}

func reportJSON(rep syncer.ReconcileReport) map[string]any {
	var ms []map[string]any
	for _, d := range rep.Mirrors {
		ms = append(ms, map[string]any{
			"mirror": d.Mirror, "drift": d.Drift(), "rows_in_table": d.RowsInTable, "rows_in_tab": d.RowsInTab,
			"appended": d.Appended, "rewritten": d.Rewritten, "cells": d.Cells, "removed": d.Removed,
			"edits_imported": d.EditsImported, "conflicts": len(d.Conflicts), "tab_created": d.TabCreated,
			"tab_renamed": d.TabRenamed, "header_fixed": d.HeaderFixed, "sorted": d.Sorted, "pending": d.Pending, "changes": d.Lines,
		})
	}
	return map[string]any{"dry_run": rep.DryRun, "drift": rep.Drift(), "api_calls": rep.APICalls, "mirrors": ms}
}

func printReconcile(m *Main, rep syncer.ReconcileReport) {
	verb := "repaired"
	if rep.DryRun {
		verb = "would repair"
	}
	for _, d := range rep.Mirrors {
		edits := "import"
		if !rep.DryRun {
			edits = "imported"
		}
		fmt.Fprintf(m.Stdout, "%s: %d rows in table, %d in tab; %s: %d to add, %d to rewrite (%d cells), %d to remove; %s %d edits; %d conflicts\n",
			d.Mirror, d.RowsInTable, d.RowsInTab, verb, d.Appended, d.Rewritten, d.Cells, d.Removed, edits, d.EditsImported, len(d.Conflicts))
		for _, l := range d.Lines {
			fmt.Fprintln(m.Stdout, "  "+l)
		}
		for _, c := range d.Conflicts {
			fmt.Fprintf(m.Stdout, "  conflict (%s): %s\n", c.Reason, strings.TrimSpace(c.Message))
		}
	}
	fmt.Fprintf(m.Stdout, "drift %d, %d API calls\n", rep.Drift(), rep.APICalls)
}
