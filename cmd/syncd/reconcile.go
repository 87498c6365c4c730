package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/syncd/syncd/leader"
	"github.com/syncd/syncd/syncer"
)

func (m *Main) reconcile(ctx context.Context, args []string) int {
	fs := m.flags("reconcile", "", "One reconciliation pass, then exit (for a systemd timer): prove each tab equals its table,\n"+
		"repair what differs in one write, carry edits of editable cells back to Postgres, and record\n"+
		"everything it did not apply in syncd.conflicts. Exit 0 when the pass succeeded.")
	cfgPath := configFlag(fs)
	mirror := fs.String("mirror", "", "reconcile only this mirror")
	dryRun := fs.Bool("dry-run", false, "print what would change and change nothing anywhere")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	cfg, ok := m.loadConfig(*cfgPath)
	if !ok {
		return exitFailed
	}
	log, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(m.Stderr, "syncd reconcile: %v\n", err)
		return exitFailed
	}
	defer log.Sync()
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(m.Stderr, "syncd reconcile: %v\n", err)
		return exitFailed
	}
	defer d.close()
	if *mirror != "" {
		found := false
		for _, mm := range d.mirrors {
			found = found || mm.Name == *mirror
		}
		if !found {
			fmt.Fprintf(m.Stderr, "syncd reconcile: no mirror named %q in %s\n", *mirror, cfg.Path)
			return exitUsage
		}
	}
	s := syncer.New(d.syncerOptions(log))
	if !*dryRun {
		// A pass that writes must not race a running daemon's batches: hold
		// the leader lock for the pass, or leave the work to the leader.
		conn, err := d.connectFunc("reconcile")(ctx)
		if err != nil {
			fmt.Fprintf(m.Stderr, "syncd reconcile: %v\n", err)
			return exitFailed
		}
		defer conn.Close(context.WithoutCancel(ctx))
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", leader.LockKey).Scan(&got); err != nil {
			fmt.Fprintf(m.Stderr, "syncd reconcile: %v\n", err)
			return exitFailed
		}
		if !got {
			fmt.Fprintln(m.Stderr, "syncd reconcile: a syncd daemon leads this database and reconciles on its schedule;"+
				" run with -dry-run to inspect, or stop the daemon first")
			return exitFailed
		}
		for {
			n, err := s.Drain(ctx)
			if err != nil {
				fmt.Fprintf(m.Stderr, "syncd reconcile: mirror pending changes first: %v\n", err)
				return exitFailed
			}
			if n == 0 {
				break
			}
		}
	}
	rep, err := s.Reconcile(ctx, syncer.ReconcileOptions{Mirror: *mirror, DryRun: *dryRun})
	if err != nil {
		fmt.Fprintf(m.Stderr, "syncd reconcile: %v\n", err)
		return exitFailed
	}
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		enc.Encode(reportJSON(rep))
		return exitOK
	}
	printReconcile(m, rep)
	return exitOK
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
