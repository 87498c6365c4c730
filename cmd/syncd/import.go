package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

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

func (m *Main) importCmd(ctx context.Context, args []string) error {
	f, err := m.parseImportFlags(args)
	if err != nil {
		return err
	}
	// Scripts read import's error as one line.
	if err := m.runImport(ctx, f); err != nil {
		return oneLineError{err}
	}
	return nil
}

// parseImportFlags parses and checks the flags of syncd import.
func (m *Main) parseImportFlags(args []string) (importFlags, error) {
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
	if err := m.parse(fs, args); err != nil {
		return f, err
	}
	if msg := f.usageError(); msg != "" {
		return f, &usageError{fs: fs, msg: msg}
	}
	return f, nil
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

// planName is how syncd.imports records the plan.
func (f *importFlags) planName() string {
	if f.fromMirrors {
		return "mirrors"
	}
	return f.plan
}

// runImport sets up the config, logger and connection and runs the mode.
func (m *Main) runImport(ctx context.Context, f importFlags) error {
	cfg, log, err := loadConfigAndLogger(f.config)
	if err != nil {
		return err
	}
	defer log.Sync()
	conn, err := connect(ctx, cfg.Postgres.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if f.rollbackSet {
		return m.importRollback(ctx, conn, f)
	}
	return m.importRun(ctx, conn, cfg, log, f)
}

// importRollback undoes import f.rollback and prints what it did, or why
// it refused.
func (m *Main) importRollback(ctx context.Context, conn *pgx.Conn, f importFlags) error {
	rep, err := importer.Rollback(ctx, conn, f.rollback)
	refused := errors.Is(err, importer.ErrRefused)
	if f.json {
		if jerr := writeJSON(m.Stdout, rep); jerr != nil && err == nil {
			return fmt.Errorf("write report: %w", jerr)
		}
	} else if err == nil || refused {
		fmt.Fprint(m.Stdout, rep.String())
	}
	switch {
	case refused:
		return fmt.Errorf("rollback of import %d refused: %s", f.rollback, rep.Refused)
	case err != nil:
		return fmt.Errorf("rollback: %w", err)
	}
	return nil
}

// importRun builds the plan, checks it against the database, reads the
// sheet once, runs the chosen mode and prints its report. A refused
// execute and a verify that finds differences are failures after the
// report.
func (m *Main) importRun(ctx context.Context, conn *pgx.Conn, cfg *config.Config, log *zap.Logger, f importFlags) error {
	plan, err := importPlan(ctx, conn, cfg, f)
	if err != nil {
		return err
	}
	res, err := validateSheet(ctx, conn, cfg, log, plan)
	if err != nil {
		return err
	}
	var rep *importer.Report
	switch {
	case f.dryRun:
		rep = res.Report("dry-run")
	case f.execute:
		rep, err = importer.Execute(ctx, conn, res, importer.ExecuteOptions{
			AllowRejects: f.allowRejects, PlanName: f.planName(), Log: log.Named("importer")})
	case f.verify:
		rep, err = importer.Verify(ctx, conn, res)
	}
	refused, differs := errors.Is(err, importer.ErrRefused), errors.Is(err, importer.ErrDifferences)
	if err != nil && !refused && !differs {
		return err
	}
	if err := m.writeImportReport(rep, f.json); err != nil {
		return err
	}
	switch {
	case refused:
		return fmt.Errorf("execute refused, nothing written: %s", rep.Refused)
	case differs:
		return fmt.Errorf("verify found %d difference(s)", len(rep.Differences))
	}
	return nil
}

// importPlan loads the -plan file or builds the plan from the config's
// mirrors, and checks it against the database.
func importPlan(ctx context.Context, conn *pgx.Conn, cfg *config.Config, f importFlags) (*importer.Plan, error) {
	var plan *importer.Plan
	if f.fromMirrors {
		mirrors, err := cfg.Resolve(ctx, conn)
		if err != nil {
			return nil, fmt.Errorf("config does not match the database: %w", err)
		}
		if plan, err = importer.MirrorPlan(ctx, conn, mirrors, sheets.Codec{}); err != nil {
			return nil, err
		}
	} else {
		var err error
		if plan, err = importer.LoadPlan(f.plan); err != nil {
			return nil, err
		}
	}
	if err := plan.Prepare(ctx, conn); err != nil {
		return nil, err
	}
	return plan, nil
}

// validateSheet reads the plan's tabs in one API call, from the plan's
// spreadsheet or else the config's, and validates every row.
func validateSheet(ctx context.Context, conn *pgx.Conn, cfg *config.Config, log *zap.Logger, plan *importer.Plan) (*importer.Result, error) {
	opts := sheetsOptions(cfg, log)
	if plan.SpreadsheetID != "" {
		opts.SpreadsheetID = plan.SpreadsheetID
	}
	client, err := sheets.New(ctx, opts)
	if err != nil {
		return nil, err
	}
	grid, err := client.ReadTabs(ctx, plan.Tabs(), plan.NeedsFormats())
	if err != nil {
		return nil, err
	}
	return plan.Validate(ctx, conn, grid)
}

// writeImportReport prints rep as text or JSON.
func (m *Main) writeImportReport(rep *importer.Report, asJSON bool) error {
	if asJSON {
		if err := rep.WriteJSON(m.Stdout); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		return nil
	}
	rep.WriteText(m.Stdout)
	return nil
}
