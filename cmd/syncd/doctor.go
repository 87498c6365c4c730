package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/config"
	"github.com/syncd/syncd/migrations"
	"github.com/syncd/syncd/sheets"
	"github.com/syncd/syncd/store"
)

// sheetCheck opens spreadsheet id with the credentials file creds (one
// read call) and returns an error that says what the API refused. Tests
// replace it; nil would mean this build cannot check the spreadsheet, and
// doctor would say so instead of failing.
var sheetCheck = func(ctx context.Context, cfg *config.Config, id, creds string) error {
	opts := sheetsOptions(cfg, nil)
	opts.SpreadsheetID, opts.CredentialsFile = id, creds
	c, err := sheets.New(ctx, opts)
	if err != nil {
		return fmt.Errorf("sheets client: %w", err)
	}
	if _, err := c.Info(ctx); err != nil {
		return fmt.Errorf("open spreadsheet: %w", err)
	}
	return nil
}

// doctorTimeout bounds each check that talks to a server.
const doctorTimeout = 20 * time.Second

// result is one line of doctor's report.
type result struct {
	name   string
	state  string // "ok", "FAIL" or "skip"
	detail string
	fix    string
}

type doctor struct {
	m                *Main
	cfgFlag, cfgPath string // -config as given, and the file it resolves to
	results          []result
	badKey           bool // the credentials file exists but cannot be used
}

func (d *doctor) ok(name, detail string) {
	d.results = append(d.results, result{name, "ok", oneLine(detail), ""})
}

func (d *doctor) skip(name, why string) {
	d.results = append(d.results, result{name, "skip", oneLine(why), ""})
}

func (d *doctor) fail(name, detail, fix string) {
	d.results = append(d.results, result{name, "FAIL", oneLine(detail), fix})
}

// failLines is fail for a detail of several problems (joined errors), one
// line each.
func (d *doctor) failLines(name, detail, fix string) {
	var lines []string
	for _, l := range strings.Split(detail, "\n") {
		if l = oneLine(l); l != "" {
			lines = append(lines, l)
		}
	}
	d.results = append(d.results, result{name, "FAIL", strings.Join(lines, "\n"), fix})
}

// oneLine folds multi-line errors (pgx lists every address it tried) so
// that each check stays on one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func (m *Main) doctor(ctx context.Context, args []string) error {
	fs := m.flags("doctor", "", "Check everything syncd needs, one line per check, with a fix for each failure:\n"+
		"config valid; credentials file private; Postgres reachable with the privileges syncd needs;\n"+
		"schema migrated; capture triggers present and enabled on every mirrored table (and none left\n"+
		"on tables no longer mirrored); spreadsheet reachable and shared with the service account.\n"+
		"Exit 0 when every check passes, 1 otherwise.")
	cfgPath := configFlag(fs)
	if err := m.parse(fs, args); err != nil {
		return err
	}
	d := &doctor{m: m, cfgFlag: *cfgPath, cfgPath: config.ResolvePath(*cfgPath)}
	d.run(ctx)
	failed := 0
	for _, r := range d.results {
		line := fmt.Sprintf("%-4s  %s", r.state, r.name)
		detail := strings.Split(r.detail, "\n")
		switch {
		case len(detail) > 1:
			line += ":"
			for _, l := range detail {
				line += "\n      " + l
			}
		case r.detail != "":
			line += ": " + r.detail
		}
		fmt.Fprintln(m.Stdout, line)
		if r.fix != "" {
			for _, l := range strings.Split(r.fix, "\n") {
				fmt.Fprintf(m.Stdout, "      fix: %s\n", l)
			}
		}
		if r.state == "FAIL" {
			failed++
		}
	}
	if failed > 0 {
		fmt.Fprintf(m.Stdout, "\n%d of %d checks failed\n", failed, len(d.results))
		return exitCode(exitFailed)
	}
	fmt.Fprintf(m.Stdout, "\nall %d checks passed\n", len(d.results))
	return nil
}

// run performs the checks in dependency order: what cannot be checked
// because an earlier check failed is listed as skipped, so the operator
// sees the whole list and fixes the first failure first.
func (d *doctor) run(ctx context.Context) {
	const (
		cConfig   = "config valid"
		cCreds    = "credentials file not world-readable"
		cPostgres = "Postgres reachable"
		cResolve  = "mirrors match the database"
		cPrivs    = "privileges syncd needs"
		cSchema   = "schema migrated"
		cTriggers = "capture triggers"
		cWriters  = "writers can record changes"
		cSheet    = "spreadsheet reachable"
	)
	cfg, err := config.Open(d.cfgFlag)
	if err != nil {
		fix := "correct " + d.cfgPath + " at the lines shown (reference: docs/DEPLOYMENT.md, deploy/syncd.yml.example)"
		switch {
		case errors.Is(err, config.ErrEnvUnset):
			fix = config.EnvHint("doctor")
		case errors.Is(err, os.ErrNotExist):
			fix = "pass -config FILE or set SYNCD_CONFIG, or install one: sudo ./deploy/install.sh (docs/DEPLOYMENT.md)"
		}
		d.failLines(cConfig, err.Error(), fix)
		for _, c := range []string{cCreds, cPostgres, cResolve, cPrivs, cSchema, cTriggers, cWriters, cSheet} {
			d.skip(c, "needs a valid config")
		}
		return
	}
	d.ok(cConfig, fmt.Sprintf("%s (%d mirrors)", cfg.Path, len(cfg.Mirrors)))
	email := d.checkCredentials(cCreds, cfg)

	cctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	conn, err := connect(cctx, cfg.Postgres.URL)
	if err != nil {
		d.fail(cPostgres, err.Error(), "check postgres.url (DATABASE_URL in /etc/syncd/syncd.env) and that the server accepts\n"+
			"connections from this host: pg_isready -d \"$DATABASE_URL\"; psql \"$DATABASE_URL\" -c 'select 1'")
		for _, c := range []string{cResolve, cPrivs, cSchema, cTriggers, cWriters} {
			d.skip(c, "needs the database")
		}
	} else {
		defer conn.Close(context.WithoutCancel(ctx))
		if sess, err := catalog.ReadSession(cctx, conn); err != nil {
			d.fail(cPostgres, err.Error(), "check that the server is healthy: its log, pg_isready")
		} else {
			d.ok(cPostgres, fmt.Sprintf("as role %s, PostgreSQL %s", sess.User, sess.ServerVersion))
			d.checkDatabase(cctx, conn, cfg, sess.User, [...]string{cResolve, cPrivs, cSchema, cTriggers, cWriters})
		}
	}
	d.checkSheet(ctx, cSheet, cfg, email)
}

// checkCredentials checks the service-account key file and returns its
// client_email ("" when unknown).
func (d *doctor) checkCredentials(name string, cfg *config.Config) string {
	file := cfg.Sheets.CredentialsFile
	if file == "" {
		if cfg.Sheets.Endpoint != "" {
			d.ok(name, "no credentials file: the endpoint "+cfg.Sheets.Endpoint+" is used without authentication")
			return ""
		}
		d.fail(name, "sheets.credentials_file is not set", "create a service account key (JSON) in the Google Cloud console, save it as\n"+
			"/etc/syncd/service-account.json (chmod 0640, chown root:syncd) and set sheets.credentials_file to it")
		return ""
	}
	fi, err := os.Stat(file)
	if err != nil {
		d.badKey = true
		d.fail(name, err.Error(), "put the service account's JSON key at "+file+" (chmod 0640, chown root:syncd), or correct sheets.credentials_file")
		return ""
	}
	if perm := fi.Mode().Perm(); perm&0o004 != 0 {
		d.fail(name, fmt.Sprintf("%s is world-readable (mode %04o): anyone on this machine can act as the service account", file, perm),
			fmt.Sprintf("chmod 0640 %s && chown root:syncd %s", file, file))
	} else {
		d.ok(name, fmt.Sprintf("%s (mode %04o)", file, perm))
	}
	if _, err := os.ReadFile(file); err != nil {
		d.badKey = true
		d.fail("service account", err.Error(), "make "+file+" readable by the user syncd runs as: chown root:syncd "+file+" && chmod 0640 "+file)
		return ""
	}
	// Parsed as the client will use it, private key included: a truncated
	// key is a credentials problem, named here, not a network one.
	key, _, err := sheets.ReadServiceAccountKey(file)
	if err != nil {
		d.badKey = true
		msg, _, _ := strings.Cut(err.Error(), " (fix: ")
		d.fail("service account", msg, "create a new JSON key for the service account (Google Cloud console: IAM > Service accounts > Keys >\n"+
			"Add key > JSON) and install it as "+file+" (chmod 0640, chown root:syncd)")
		return ""
	}
	d.ok("service account", key.ClientEmail)
	return key.ClientEmail
}

// sheetUse is a spreadsheet and the credentials file it is reached with.
type sheetUse struct{ id, creds string }

// sheetUses are the distinct (spreadsheet, credentials) of the config:
// the sheets: defaults first (the conflicts tab and the change poll use
// them), then those mirrors name (mirrors[].spreadsheet_id,
// credentials_file), in config order.
func sheetUses(cfg *config.Config) []sheetUse {
	out := []sheetUse{{cfg.Sheets.SpreadsheetID, cfg.Sheets.CredentialsFile}}
	for _, m := range cfg.Mirrors {
		u := out[0]
		if m.SpreadsheetID != "" {
			u.id = m.SpreadsheetID
		}
		if m.CredentialsFile != "" {
			u.creds = m.CredentialsFile
		}
		if !slices.Contains(out, u) {
			out = append(out, u)
		}
	}
	return out
}

// checkSheet checks that every spreadsheet of the config opens with the
// credentials it is used with, one line each (named after the spreadsheet
// when there are several): a spreadsheet not shared with its mirror's
// service account fails naming that account. email is the client_email of
// sheets.credentials_file ("" when unknown).
func (d *doctor) checkSheet(ctx context.Context, name string, cfg *config.Config, email string) {
	uses := sheetUses(cfg)
	for _, u := range uses {
		n := name
		if len(uses) > 1 {
			n = fmt.Sprintf("%s (%s)", name, u.id)
		}
		d.checkOneSheet(ctx, n, cfg, u, email)
	}
}

func (d *doctor) checkOneSheet(ctx context.Context, name string, cfg *config.Config, u sheetUse, email string) {
	if sheetCheck == nil {
		d.skip(name, "this build of syncd has no Sheets client to check with; `syncd run` will report it")
		return
	}
	if u.creds != cfg.Sheets.CredentialsFile {
		// A mirror's own key: its account is the one to share with.
		email = ""
		key, _, err := sheets.ReadServiceAccountKey(u.creds)
		if err != nil {
			msg, _, _ := strings.Cut(err.Error(), " (fix: ")
			d.fail(name, msg, "install the service account's JSON key as "+u.creds+
				" (chmod 0640, chown root:syncd), or correct mirrors[].credentials_file")
			return
		}
		email = key.ClientEmail
	} else if d.badKey {
		d.skip(name, "needs a usable service account key")
		return
	}
	sctx, cancel := context.WithTimeout(ctx, doctorTimeout)
	defer cancel()
	if err := sheetCheck(sctx, cfg, u.id, u.creds); err != nil {
		who := "the service account"
		if email != "" {
			who = email
		}
		d.fail(name, err.Error(), sheetFix(err, who, cfg, u))
		return
	}
	detail := u.id
	if email != "" {
		detail += ", shared with " + email
	}
	d.ok(name, detail)
}

// checkDatabase runs the checks that need the database.
func (d *doctor) checkDatabase(ctx context.Context, conn *pgx.Conn, cfg *config.Config, user string, names [5]string) {
	cResolve, cPrivs, cSchema, cTriggers, cWriters := names[0], names[1], names[2], names[3], names[4]
	mirrors, err := cfg.Resolve(ctx, conn)
	if err != nil {
		d.fail(cResolve, strings.ReplaceAll(err.Error(), "\n", "; "), "correct the mirrors at the lines shown, or create the missing tables/columns")
	} else {
		d.ok(cResolve, fmt.Sprintf("%d mirrors", len(mirrors)))
		d.checkKeys(ctx, conn, cfg, mirrors)
	}
	d.checkPrivileges(ctx, conn, cfg, user, cPrivs)

	latest := migrations.Latest()
	have, exists, err := store.SchemaVersion(ctx, conn)
	migrate := "syncd migrate -config " + d.cfgPath
	switch {
	case err != nil:
		d.fail(cSchema, err.Error(), migrate)
	case have < latest:
		d.fail(cSchema, fmt.Sprintf("schema syncd is at version %d, this syncd needs %d", have, latest), migrate)
	case have > latest:
		d.fail(cSchema, fmt.Sprintf("schema syncd is at version %d, newer than this syncd knows (%d)", have, latest),
			"install the syncd that migrated it (see Upgrade and Roll back in docs/DEPLOYMENT.md)")
	default:
		d.ok(cSchema, fmt.Sprintf("version %d", have))
	}

	if mirrors == nil {
		d.skip(cTriggers, "needs mirrors that match the database")
		d.skip(cWriters, "needs mirrors that match the database")
		return
	}
	tables := migrations.CaptureTables(mirrors)
	d.checkTriggers(ctx, conn, tables, cTriggers, migrate)
	if exists {
		d.checkWriters(ctx, conn, tables, cWriters)
	} else {
		d.skip(cWriters, "needs schema syncd")
	}
}

// checkKeys checks that every configured key: identifies one row (see
// config.CheckKeys); a key that is unique only by its data passes with a
// warning.
func (d *doctor) checkKeys(ctx context.Context, conn *pgx.Conn, cfg *config.Config, mirrors []syncd.Mirror) {
	const name = "keys identify one row"
	warnings, err := cfg.CheckKeys(ctx, conn, mirrors)
	if err != nil {
		d.fail(name, strings.ReplaceAll(err.Error(), "\n", "; "),
			"delete the duplicate rows and create the unique index named above, or name key columns that identify one row")
		return
	}
	if len(warnings) > 0 {
		d.ok(name, "warning: "+strings.Join(warnings, "; warning: "))
		return
	}
	d.ok(name, "every key: has a unique index")
}

// checkPrivileges lists every privilege syncd's role lacks, as the GRANT
// statements that add it.
func (d *doctor) checkPrivileges(ctx context.Context, conn *pgx.Conn, cfg *config.Config, user, name string) {
	var grants []string
	var missing []string
	role, err := catalog.CurrentRole(ctx, conn)
	var schemaExists bool
	if err == nil {
		schemaExists, err = catalog.SchemaExists(ctx, conn, "syncd")
	}
	if err != nil {
		d.fail(name, err.Error(), "")
		return
	}
	ident, super := role.Ident, role.Super
	// q is a check's answer; a check that failed counts as held, its
	// error listed among the missing.
	q := func(ok bool, err error) bool {
		if err != nil {
			missing = append(missing, err.Error())
			return true
		}
		return ok
	}
	if schemaExists {
		var lack []string
		for _, p := range []string{"USAGE", "CREATE"} {
			if !q(catalog.HasSchemaPrivilege(ctx, conn, "syncd", p)) {
				lack = append(lack, p)
			}
		}
		if len(lack) > 0 {
			missing = append(missing, strings.Join(lack, ", ")+" on schema syncd")
			grants = append(grants, fmt.Sprintf("GRANT %s ON SCHEMA syncd TO %s;", strings.Join(lack, ", "), ident))
		}
		if tbls, err := catalog.TablesNotWritable(ctx, conn, "syncd"); err != nil {
			missing = append(missing, err.Error())
		} else if len(tbls) > 0 {
			missing = append(missing, "SELECT/INSERT/UPDATE/DELETE on syncd."+strings.Join(tbls, ", syncd."))
			grants = append(grants, fmt.Sprintf("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA syncd TO %s;", ident))
		}
	}
	// syncd migrate runs CREATE SCHEMA IF NOT EXISTS, which Postgres checks
	// against the database's CREATE privilege even when the schema exists.
	if !q(catalog.HasDatabasePrivilege(ctx, conn, "CREATE")) {
		db, err := catalog.CurrentDatabase(ctx, conn)
		if err != nil {
			db = "<database>"
		}
		missing = append(missing, "CREATE on database "+db+" (syncd migrate creates schema syncd)")
		grants = append([]string{fmt.Sprintf("GRANT CREATE ON DATABASE %s TO %s;", db, ident)}, grants...)
	}
	for _, mc := range cfg.Mirrors {
		tables := mc.DependsOn
		if mc.Table != "" {
			tables = []string{mc.Table}
		}
		for _, t := range tables {
			if !q(catalog.TableExists(ctx, conn, t)) {
				continue // reported by "mirrors match the database"
			}
			var lack []string
			for _, p := range []string{"SELECT", "TRIGGER"} {
				if !q(catalog.HasTablePrivilege(ctx, conn, t, p)) {
					lack = append(lack, p)
				}
			}
			if len(lack) > 0 {
				missing = append(missing, strings.Join(lack, ", ")+" on "+t)
				grants = append(grants, fmt.Sprintf("GRANT %s ON %s TO %s;", strings.Join(lack, ", "), t, ident))
			}
		}
		if mc.Query != "" {
			if _, err := catalog.DescribeQuery(ctx, conn, mc.Query); err != nil {
				if rel, ok := catalog.DeniedRelation(err); ok {
					missing = append(missing, fmt.Sprintf("SELECT on %s (read by the query of mirror %s)", rel, mc.Name))
					grants = append(grants, fmt.Sprintf("GRANT SELECT ON %s TO %s;", rel, ident))
				}
			}
		}
		var lackCols []string
		for _, c := range mc.Editable {
			if mc.Table != "" && !q(catalog.HasColumnPrivilege(ctx, conn, mc.Table, c, "UPDATE")) {
				lackCols = append(lackCols, c)
			}
		}
		if len(lackCols) > 0 {
			missing = append(missing, fmt.Sprintf("UPDATE (%s) on %s (editable columns)", strings.Join(lackCols, ", "), mc.Table))
			grants = append(grants, fmt.Sprintf("GRANT UPDATE (%s) ON %s TO %s;", strings.Join(lackCols, ", "), mc.Table, ident))
		}
	}
	if len(missing) > 0 {
		d.fail(name, "role "+user+" lacks "+strings.Join(dedupe(missing), "; "), "as the owner of the tables, run:\n"+strings.Join(dedupe(grants), "\n"))
		return
	}
	detail := "schema syncd, SELECT and TRIGGER on mirrored tables, UPDATE on editable columns"
	if super {
		detail = "role " + user + " is a superuser (works; a least-privilege role is safer: docs/DEPLOYMENT.md)"
	}
	d.ok(name, detail)
}

// checkTriggers checks that every captured table has its four enabled
// syncd_capture_* triggers and that no other table has any.
func (d *doctor) checkTriggers(ctx context.Context, conn *pgx.Conn, tables []migrations.CaptureTable, name, migrate string) {
	have, err := migrations.CaptureTriggers(ctx, conn)
	if err != nil {
		d.fail(name, err.Error(), "")
		return
	}
	var problems, fixes []string
	needMigrate := false
	want := map[string]bool{}
	for _, t := range tables {
		want[t.Table] = true
		var absent, disabled []string
		for _, n := range migrations.CaptureTriggerNames() {
			enabled, ok := have[t.Table][n]
			switch {
			case !ok:
				absent = append(absent, n)
			case !enabled:
				disabled = append(disabled, n)
				fixes = append(fixes, fmt.Sprintf("ALTER TABLE %s ENABLE TRIGGER %s;", t.Table, n))
			}
		}
		if len(absent) > 0 {
			problems = append(problems, fmt.Sprintf("%s lacks %s", t.Table, strings.Join(absent, ", ")))
			needMigrate = true
		}
		if len(disabled) > 0 {
			problems = append(problems, fmt.Sprintf("%s has %s disabled (its changes are not mirrored)", t.Table, strings.Join(disabled, ", ")))
		}
	}
	var stale []string
	for t := range have {
		if !want[t] {
			stale = append(stale, t)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		problems = append(problems, "left on tables no longer mirrored: "+strings.Join(stale, ", "))
		needMigrate = true
	}
	// Triggers installed before the application changed a mirrored
	// column keep working but no longer match the table.
	outOfStep, err := migrations.CaptureOutOfStep(ctx, conn, tables)
	if err != nil {
		d.fail(name, err.Error(), "")
		return
	}
	if len(outOfStep) > 0 {
		problems = append(problems, "out of step with the table: "+strings.Join(outOfStep, "; "))
		needMigrate = true
	}
	if len(problems) > 0 {
		if needMigrate {
			fixes = append([]string{migrate + "  (installs missing triggers, refreshes outdated ones, removes stale ones)"}, fixes...)
		}
		d.fail(name, strings.Join(problems, "; "), strings.Join(fixes, "\n"))
		return
	}
	if len(tables) == 0 {
		d.ok(name, "no mirrors configured, so none needed, and none installed")
		return
	}
	d.ok(name, fmt.Sprintf("4 enabled on each of %d tables, none elsewhere", len(tables)))
}

// checkWriters finds login roles that can change a captured table but not
// record the change: the capture triggers run as the writing role, so its
// INSERT, UPDATE or DELETE would fail with "permission denied for schema
// syncd" and break the application, not just the mirror.
func (d *doctor) checkWriters(ctx context.Context, conn *pgx.Conn, tables []migrations.CaptureTable, name string) {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.Table
	}
	writers, err := migrations.UnrecordedWriters(ctx, conn, names)
	if err != nil {
		d.fail(name, err.Error(), "")
		return
	}
	if len(writers) == 0 {
		d.ok(name, "every role that writes mirrored tables may insert into syncd.changes")
		return
	}
	var problems, fixes []string
	for _, w := range writers {
		problems = append(problems, fmt.Sprintf("role %s writes %s but cannot insert into syncd.changes (its writes will fail)", w.Role, strings.Join(w.Tables, ", ")))
		fixes = append(fixes, fmt.Sprintf("GRANT USAGE ON SCHEMA syncd TO %s; GRANT INSERT ON syncd.changes TO %s;", w.Role, w.Role))
	}
	d.fail(name, strings.Join(problems, "; "), strings.Join(fixes, "\n"))
}

func dedupe(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// sheetFix says what to do about a failed spreadsheet check, by its cause.
func sheetFix(err error, who string, cfg *config.Config, u sheetUse) string {
	switch {
	case errors.Is(err, sheets.ErrBadCredentials):
		return fmt.Sprintf("create a new JSON key for %s and install it whole as %s", who, u.creds)
	case errors.Is(err, sheets.ErrUnauthenticated):
		return fmt.Sprintf("the key in %s was refused (deleted, revoked or from another project):\n"+
			"create a new JSON key for %s and install it there", u.creds, who)
	case errors.Is(err, sheets.ErrNotFound):
		return fmt.Sprintf("check that the spreadsheet id %s (sheets.spreadsheet_id or mirrors[].spreadsheet_id) is the id\n"+
			"between /d/ and /edit in the sheet's URL", u.id)
	case errors.Is(err, sheets.ErrNotShared):
		return fmt.Sprintf("open spreadsheet %s and Share it with %s as Editor", u.id, who)
	}
	return fmt.Sprintf("check the network path to the Sheets API (sheets.endpoint %q), then that the spreadsheet id %s\n"+
		"is right and shared with %s as Editor", cfg.Sheets.Endpoint, u.id, who)
}
