package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.uber.org/zap"

	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/importer"
	"github.com/syncd/syncd/sheets"
)

const importSummary = `Move a spreadsheet's tabs into Postgres once: the legacy sheet by a plan
(-plan FILE), or a lost table back from its mirror tab (-from-mirrors).
Exactly one mode:
  -dry-run      read and validate everything, write nothing; report per tab
  -execute      import in one transaction (upsert by key; refuses if any row
                would be rejected, unless -allow-rejects); prints the import id
  -verify       compare the database with the sheet (counts, per-row checksums)
  -rollback ID  undo import ID in one transaction (refuses if its rows changed)
Exit 0 ok (a dry run that finds rejections is ok: they are its report),
1 failure, differences or refusal, 2 usage.`

// importFlags are the parsed flags of syncd import.
type importFlags struct {
	config, plan                  string
	fromMirrors                   bool
	dryRun, execute, verify, json bool
	allowRejects                  bool
	rollback                      int64
	rollbackSet                   bool
}

func (m *Main) importCmd(ctx context.Context, args []string) int {
	fs := m.flags("import", "", importSummary)
	var f importFlags
	fs.StringVar(&f.config, "config", "", "config file (default $SYNCD_CONFIG, else "+config.DefaultPath+")")
	fs.StringVar(&f.plan, "plan", "", "import plan `FILE` (YAML), e.g. deploy/examples/shiftbot/import.yml")
	fs.BoolVar(&f.fromMirrors, "from-mirrors", false, "build the plan from the config's table mirrors instead of -plan")
	fs.BoolVar(&f.dryRun, "dry-run", false, "validate and report; write nothing")
	fs.BoolVar(&f.execute, "execute", false, "import in one transaction")
	fs.BoolVar(&f.verify, "verify", false, "compare the database with the sheet")
	fs.Func("rollback", "undo the import with this `ID` (the import id execute printed)", func(s string) error {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return errors.New("want an import id (a positive number)")
		}
		f.rollback, f.rollbackSet = id, true
		return nil
	})
	fs.BoolVar(&f.json, "json", false, "print the report as JSON")
	fs.BoolVar(&f.allowRejects, "allow-rejects", false, "with -execute: import the valid rows and keep rejected ones in syncd.import_rejects")
	if code, ok := m.parse(fs, args); !ok {
		return code
	}
	if msg := f.usageError(); msg != "" {
		fmt.Fprintf(m.Stderr, "syncd import: %s\n", msg)
		fs.Usage()
		return exitUsage
	}
	cfg, ok := m.loadConfig(f.config)
	if !ok {
		return exitFailed
	}
	log, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintf(m.Stderr, "syncd import: %v\n", err)
		return exitFailed
	}
	defer log.Sync()
	conn, err := connect(ctx, cfg.Postgres.URL)
	if err != nil {
		fmt.Fprintf(m.Stderr, "syncd import: %v\n", err)
		return exitFailed
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if f.rollbackSet {
		return m.importRollback(ctx, conn, f)
	}
	return m.importRun(ctx, conn, cfg, log, f)
}

// usageError checks the flag combination.
func (f *importFlags) usageError() string {
	modes := 0
	for _, on := range []bool{f.dryRun, f.execute, f.verify, f.rollbackSet} {
		if on {
			modes++
		}
	}
	switch {
	case modes != 1:
		return "give exactly one of -dry-run, -execute, -verify, -rollback ID"
	case f.plan != "" && f.fromMirrors:
		return "give -plan FILE or -from-mirrors, not both"
	case f.plan == "" && !f.fromMirrors && !f.rollbackSet:
		return "give -plan FILE or -from-mirrors"
	case f.allowRejects && !f.execute:
		return "-allow-rejects goes with -execute"
	}
	return ""
}

func (m *Main) importRollback(ctx context.Context, conn *pgx.Conn, f importFlags) int {
	rep, err := importer.Rollback(ctx, conn, f.rollback)
	if f.json {
		if jerr := writeJSON(m.Stdout, rep); jerr != nil {
			fmt.Fprintf(m.Stderr, "syncd import: %v\n", jerr)
		}
	} else if err == nil || errors.Is(err, importer.ErrRefused) {
		fmt.Fprint(m.Stdout, rep.String())
	}
	if err != nil {
		if errors.Is(err, importer.ErrRefused) {
			fmt.Fprintf(m.Stderr, "syncd import: rollback of import %d refused: %s\n", f.rollback, rep.Refused)
		} else {
			fmt.Fprintf(m.Stderr, "syncd import: rollback: %v\n", err)
		}
		return exitFailed
	}
	return exitOK
}

// importRun builds the plan, checks it against the database, reads the
// sheet once and runs the chosen mode.
func (m *Main) importRun(ctx context.Context, conn *pgx.Conn, cfg *config.Config, log *zap.Logger, f importFlags) int {
	fail := func(err error) int {
		fmt.Fprintf(m.Stderr, "syncd import: %s\n", errLine(err))
		return exitFailed
	}
	var plan *importer.Plan
	var err error
	planName := f.plan
	if f.fromMirrors {
		planName = "mirrors"
		mirrors, rerr := cfg.Resolve(ctx, conn)
		if rerr != nil {
			return fail(fmt.Errorf("config does not match the database: %w", rerr))
		}
		plan, err = importer.MirrorPlan(ctx, conn, mirrors, sheets.Codec{})
	} else {
		plan, err = importer.LoadPlan(f.plan)
	}
	if err != nil {
		return fail(err)
	}
	if err := plan.Prepare(ctx, conn); err != nil {
		return fail(err)
	}
	id := plan.SpreadsheetID
	if id == "" {
		id = cfg.Sheets.SpreadsheetID
	}
	opts := sheetsOptions(cfg, log)
	opts.SpreadsheetID = id
	client, err := sheets.New(ctx, opts)
	if err != nil {
		return fail(err)
	}
	grid, err := client.ReadTabs(ctx, plan.Tabs(), plan.NeedsFormats())
	if err != nil {
		return fail(err)
	}
	res, err := plan.Validate(ctx, conn, grid)
	if err != nil {
		return fail(err)
	}
	var rep *importer.Report
	switch {
	case f.dryRun:
		rep = res.Report("dry-run")
	case f.execute:
		rep, err = importer.Execute(ctx, conn, res, importer.ExecuteOptions{
			AllowRejects: f.allowRejects, PlanName: planName, Log: log.Named("importer")})
	case f.verify:
		rep, err = importer.Verify(ctx, conn, res)
	}
	if err != nil && !errors.Is(err, importer.ErrRefused) && !errors.Is(err, importer.ErrDifferences) {
		return fail(err)
	}
	if f.json {
		if werr := rep.WriteJSON(m.Stdout); werr != nil {
			return fail(werr)
		}
	} else {
		rep.WriteText(m.Stdout)
	}
	switch {
	case errors.Is(err, importer.ErrRefused):
		fmt.Fprintf(m.Stderr, "syncd import: execute refused, nothing written: %s\n", rep.Refused)
		return exitFailed
	case errors.Is(err, importer.ErrDifferences):
		fmt.Fprintf(m.Stderr, "syncd import: verify found %d difference(s)\n", len(rep.Differences))
		return exitFailed
	}
	return exitOK
}

// errLine keeps an error on one line (joined errors become "; "-separated),
// so a script or a person sees exactly what is wrong.
func errLine(err error) string {
	return strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
