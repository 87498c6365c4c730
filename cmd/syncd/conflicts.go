package main

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/syncd/syncd/conflicts"
	"github.com/syncd/syncd/store"
	"github.com/syncd/syncd/syncer"
)

// conflicts is `syncd conflicts`: the open rows of syncd.conflicts, and
// settling one from the shell (the same as typing the resolution into the
// conflicts tab).
func (m *Main) conflicts(ctx context.Context, args []string) error {
	fs := m.flags("conflicts", "", "List the open conflicts: sheet values syncd did not apply to Postgres, and why.\n"+
		"With -resolve ID -use sheet, the sheet's value is applied to Postgres (the change stream then\n"+
		"shows it in the tab); with -use database, it is dismissed. Either way the conflict is closed.")
	cfgPath := configFlag(fs)
	resolve := fs.Int64("resolve", 0, "the id of the conflict to settle")
	use := fs.String("use", "", "with -resolve: sheet (apply the sheet's value) or database (keep Postgres)")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if err := m.parse(fs, args); err != nil {
		return err
	}
	var how conflicts.Resolution
	if *resolve != 0 || *use != "" {
		var ok bool
		if how, ok = conflicts.ParseResolution(*use); !ok || *resolve == 0 {
			return withCode(exitUsage, errors.New("settle a conflict with -resolve ID -use sheet|database"))
		}
	}
	cfg, log, err := loadConfigAndLogger(*cfgPath)
	if err != nil {
		return err
	}
	defer log.Sync()
	d, err := openDeps(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer d.close()
	if *resolve != 0 {
		// The engine only lends its ports (mirrors, codec, time zones);
		// the resolution is the conflicts room's.
		r := syncer.New(d.syncerOptions(log)).ConflictResolver()
		if err := r.Resolve(ctx, *resolve, how); err != nil {
			if errors.Is(err, store.ErrNoOpenConflict) {
				return withCode(exitUsage, err)
			}
			return err
		}
		fmt.Fprintf(m.Stdout, "conflict %d resolved: %s\n", *resolve, how)
		return nil
	}
	open, err := store.ListOpenConflicts(ctx, d.pool)
	if err != nil {
		return err
	}
	if *asJSON {
		if open == nil {
			open = []store.OpenConflict{}
		}
		return writeJSON(m.Stdout, open)
	}
	if len(open) == 0 {
		fmt.Fprintln(m.Stdout, "no open conflicts")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMIRROR\tKEY\tCOLUMN\tSHEET\tDATABASE\tREASON\tDETECTED")
	for _, c := range open {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", c.ID, c.Mirror, keyLabel(c.Key), c.Column, short(c.SheetValue), short(c.DBValue),
			c.Reason, c.DetectedAt.Local().Format("2006-01-02 15:04:05"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(m.Stdout, "\nsettle one: syncd conflicts -resolve ID -use sheet|database")
	return nil
}

func keyLabel(key map[string]*string) string {
	var parts []string
	for k, v := range key {
		t := "NULL"
		if v != nil {
			t = *v
		}
		parts = append(parts, k+"="+t)
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

func short(p *string) string {
	if p == nil {
		return "NULL"
	}
	s := strings.ReplaceAll(*p, "\n", " ")
	if len([]rune(s)) > 40 {
		return string([]rune(s)[:39]) + "…"
	}
	return s
}
