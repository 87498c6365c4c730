package migrations

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// The capture trigger functions, as regprocedure prints them. Each row
// operation has its own (007_capture_per_operation.sql), doing only what
// that operation needs; the statement markers (TRUNCATE, depends_on
// tables) call syncd.capture() with no arguments (003_capture.sql). None
// of them names a column of any table.
const (
	insertFunction = "syncd.record_insert()"
	updateFunction = "syncd.record_update()"
	deleteFunction = "syncd.record_delete()"
	markerFunction = "syncd.capture()"
)

// CaptureTable says how to capture one table's changes.
type CaptureTable struct {
	// Table is the qualified, quoted table name (as regclass prints it).
	Table string
	// Key lists the key columns recorded for each changed row. Empty means
	// the table is only a depends_on source: one marker per statement.
	Key []string
	// Columns, when non-empty, limits UPDATE capture to rows where one of
	// these columns changed; empty means any change counts.
	Columns []string
}

// Trigger names; every syncd trigger starts with triggerPrefix so stale ones
// can be found and removed.
const triggerPrefix = "syncd_capture_"

// triggerEvent is one of the four statement-level triggers on a table and
// the function it calls on a keyed table.
type triggerEvent struct{ name, event, function string }

var triggerEvents = []triggerEvent{
	{"ins", "INSERT", insertFunction},
	{"upd", "UPDATE", updateFunction},
	{"del", "DELETE", deleteFunction},
	{"trunc", "TRUNCATE", markerFunction},
}

// CaptureResult counts what InstallCapture changed.
type CaptureResult struct {
	Installed, Updated, Unchanged, Removed []string
}

// InstallCapture makes the capture triggers in the database match tables:
// creates or refreshes the four statement-level triggers of each table (each
// row operation calling its own function, the key columns and, for UPDATE,
// the mirrored columns passed as arguments), and drops syncd triggers from
// tables not listed. It runs in one transaction and changes nothing when
// everything matches.
//
// Every statement it runs is built by the server with format()'s %I, %L and
// regclass output, from OIDs and bound parameters: no identifier of a user
// table is spliced into SQL or into a function body by Go, whatever
// characters it holds.
func InstallCapture(ctx context.Context, conn *pgx.Conn, tables []CaptureTable) (CaptureResult, error) {
	var res CaptureResult
	tx, err := conn.Begin(ctx)
	if err != nil {
		return res, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	// Serialise concurrent `syncd migrate` runs.
	if err := store.LockTx(ctx, tx, store.MigrateLock); err != nil {
		return res, err
	}
	existing, err := existingTriggers(ctx, tx)
	if err != nil {
		return res, err
	}
	want := map[uint32]bool{}
	for _, t := range tables {
		var oid uint32
		if err := tx.QueryRow(ctx, "SELECT $1::regclass::oid", t.Table).Scan(&oid); err != nil {
			return res, fmt.Errorf("look up %s: %w", t.Table, err)
		}
		want[oid] = true
		changed, err := installTriggers(ctx, tx, oid, t, existing[oid])
		if err != nil {
			return res, fmt.Errorf("install capture on %s: %w", t.Table, err)
		}
		switch {
		case !changed:
			res.Unchanged = append(res.Unchanged, t.Table)
		case len(existing[oid]) == 0:
			res.Installed = append(res.Installed, t.Table)
		default:
			res.Updated = append(res.Updated, t.Table)
		}
	}
	if res.Removed, err = dropStale(ctx, tx, existing, want); err != nil {
		return res, err
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// trigger is one syncd trigger as the catalog has it, or as it must be.
type trigger struct {
	function string   // the function it calls, as regprocedure prints it
	args     []string // its arguments
	oldTable string   // REFERENCING OLD TABLE name, "" when none
	newTable string   // REFERENCING NEW TABLE name, "" when none
	table    string   // the table, schema-qualified and quoted (catalog side only)
}

// wantTrigger is how trigger ev must look for a table captured as t, given
// its mirrored columns rendered as a text[] literal: INSERT and DELETE get
// the key columns, one an argument; UPDATE gets that literal and then the
// key columns (007_capture_per_operation.sql).
func wantTrigger(ev triggerEvent, t CaptureTable, cols string) trigger {
	if len(t.Key) == 0 || ev.event == "TRUNCATE" {
		// Statement markers need neither arguments nor transition tables,
		// and so never go out of step with the table's columns.
		return trigger{function: markerFunction}
	}
	w := trigger{function: ev.function, args: append([]string(nil), t.Key...)}
	if ev.event == "UPDATE" {
		w.args = append([]string{cols}, t.Key...)
	}
	if ev.event != "INSERT" {
		w.oldTable = "old_rows"
	}
	if ev.event != "DELETE" {
		w.newTable = "new_rows"
	}
	return w
}

// sql is the CREATE TRIGGER statement for w as a format() template whose
// arguments are the trigger name, the table OID and the function's
// arguments as a list of literals (see execFormat).
func (w trigger) sql(event string) string {
	refs := ""
	if w.oldTable != "" {
		refs += " OLD TABLE AS old_rows"
	}
	if w.newTable != "" {
		refs += " NEW TABLE AS new_rows"
	}
	if refs != "" {
		refs = " REFERENCING" + refs
	}
	fn := strings.TrimSuffix(w.function, "()") // one of syncd's own constants
	return "CREATE TRIGGER %1$I AFTER " + event + " ON %2$s" + refs + " FOR EACH STATEMENT EXECUTE FUNCTION " + fn + "(%3$s)"
}

// installTriggers creates or recreates the triggers of one table that are
// missing or differ from what t needs; it reports whether it changed any.
func installTriggers(ctx context.Context, tx pgx.Tx, oid uint32, t CaptureTable, have map[string]trigger) (bool, error) {
	cols, err := renderColumns(ctx, tx, t.Columns)
	if err != nil {
		return false, err
	}
	changed := false
	for _, ev := range triggerEvents {
		name := triggerPrefix + ev.name
		w := wantTrigger(ev, t, cols)
		if cur, ok := have[name]; ok {
			if sameTrigger(cur, w) {
				continue
			}
			if err := execFormat(ctx, tx, "DROP TRIGGER %1$I ON %2$s", name, oid); err != nil {
				return false, fmt.Errorf("drop outdated %s: %w", name, err)
			}
		}
		if err := execFormat(ctx, tx, w.sql(ev.event), name, oid, w.args...); err != nil {
			return false, fmt.Errorf("create %s trigger: %w", strings.ToLower(ev.event), err)
		}
		changed = true
	}
	return changed, nil
}

// execFormat has the server render template with format() — name as %1$I,
// the table OID as %2$s (regclass output, quoted and qualified as needed),
// args as %3$s, a comma-separated list of literals quoted by quote_literal —
// and runs the result.
func execFormat(ctx context.Context, tx pgx.Tx, template string, name string, oid uint32, args ...string) error {
	var stmt string
	err := tx.QueryRow(ctx, `SELECT format($1::text, $2::text, $3::oid::regclass,
		(SELECT coalesce(string_agg(quote_literal(a), ', ' ORDER BY i), '') FROM unnest($4::text[]) WITH ORDINALITY u(a, i)))`,
		template, name, oid, nonNil(args)).Scan(&stmt)
	if err != nil {
		return fmt.Errorf("render %q: %w", template, err)
	}
	if _, err := tx.Exec(ctx, stmt); err != nil {
		return err
	}
	return nil
}

// call is how w's function is called, e.g. syncd.record_insert(id).
func (w trigger) call() string {
	return strings.TrimSuffix(w.function, "()") + "(" + strings.Join(w.args, ", ") + ")"
}

func sameTrigger(a, b trigger) bool {
	if a.function != b.function || a.oldTable != b.oldTable || a.newTable != b.newTable || len(a.args) != len(b.args) {
		return false
	}
	for i := range a.args {
		if a.args[i] != b.args[i] {
			return false
		}
	}
	return true
}

// renderColumns is the text[] literal of cols, as the server writes it.
func renderColumns(ctx context.Context, q pgx.Tx, cols []string) (string, error) {
	var out string
	if err := q.QueryRow(ctx, "SELECT $1::text[]::text", nonNil(cols)).Scan(&out); err != nil {
		return "", fmt.Errorf("render trigger arguments: %w", err)
	}
	return out, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// dropStale drops the syncd triggers of tables no longer captured, and the
// per-table capture functions of earlier versions once no trigger calls
// them. It returns the tables it cleaned.
func dropStale(ctx context.Context, tx pgx.Tx, existing map[uint32]map[string]trigger, want map[uint32]bool) ([]string, error) {
	var stale []uint32
	for oid := range existing {
		if !want[oid] {
			stale = append(stale, oid)
		}
	}
	sort.Slice(stale, func(i, j int) bool { return stale[i] < stale[j] })
	var removed []string
	for _, oid := range stale {
		var table string
		for name, tr := range existing[oid] {
			table = tr.table
			if err := execFormat(ctx, tx, "DROP TRIGGER %1$I ON %2$s", name, oid); err != nil {
				return nil, fmt.Errorf("drop %s on %s: %w", name, table, err)
			}
		}
		removed = append(removed, table)
	}
	return removed, dropOldFunctions(ctx, tx)
}

// dropOldFunctions drops the per-table functions earlier versions generated
// (syncd.capture_<table>_<hash>) once no trigger calls them.
func dropOldFunctions(ctx context.Context, tx pgx.Tx) error {
	rows, err := tx.Query(ctx, `SELECT format('DROP FUNCTION %s', p.oid::regprocedure)
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = 'syncd' AND p.proname LIKE 'capture\_%'
		  AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgfoid = p.oid)`)
	if err != nil {
		return fmt.Errorf("list old capture functions: %w", err)
	}
	stmts, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list old capture functions: %w", err)
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s); err != nil {
			return fmt.Errorf("drop old capture function: %w", err)
		}
	}
	return nil
}

// existingTriggers maps each table (by OID) carrying syncd triggers to them.
func existingTriggers(ctx context.Context, tx pgx.Tx) (map[uint32]map[string]trigger, error) {
	rows, err := tx.Query(ctx, `
		SELECT t.tgrelid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), t.tgname,
		       t.tgfoid::regprocedure::text, t.tgargs, coalesce(t.tgoldtable, ''), coalesce(t.tgnewtable, '')
		FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND t.tgname LIKE $1`, triggerPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("list capture triggers: %w", err)
	}
	defer rows.Close()
	out := map[uint32]map[string]trigger{}
	for rows.Next() {
		var oid uint32
		var name string
		var args []byte
		var tr trigger
		if err := rows.Scan(&oid, &tr.table, &name, &tr.function, &args, &tr.oldTable, &tr.newTable); err != nil {
			return nil, fmt.Errorf("list capture triggers: %w", err)
		}
		tr.args = splitArgs(args)
		if out[oid] == nil {
			out[oid] = map[string]trigger{}
		}
		out[oid][name] = tr
	}
	return out, rows.Err()
}

// splitArgs splits pg_trigger.tgargs, where every argument ends with a NUL.
func splitArgs(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.IndexByte(b, 0)
		if i < 0 {
			return append(out, string(b))
		}
		out = append(out, string(b[:i]))
		b = b[i+1:]
	}
	return out
}

// CaptureTables derives what to capture from the resolved mirrors: each
// mirrored table's key and mirrored columns (merged when several mirrors
// share a table), and statement markers for depends_on tables. A table that
// some query depends on captures every update, since the query may read
// columns no mirror shows.
func CaptureTables(mirrors []syncd.Mirror) []CaptureTable {
	byTable := map[string]*CaptureTable{}
	var order []string
	get := func(name string) *CaptureTable {
		t, ok := byTable[name]
		if !ok {
			t = &CaptureTable{Table: name}
			byTable[name] = t
			order = append(order, name)
		}
		return t
	}
	anyColumn := map[string]bool{}
	for _, m := range mirrors {
		if m.Table == "" {
			for _, d := range m.DependsOn {
				get(d)
				anyColumn[d] = true
			}
			continue
		}
		t := get(m.Table)
		t.Key = appendNew(t.Key, m.KeyNames()...)
		t.Columns = appendNew(t.Columns, m.ColumnNames()...)
	}
	out := make([]CaptureTable, 0, len(order))
	for _, name := range order {
		t := *byTable[name]
		if anyColumn[name] {
			t.Columns = nil
		}
		out = append(out, t)
	}
	return out
}

func appendNew(list []string, names ...string) []string {
	for _, n := range names {
		found := false
		for _, l := range list {
			found = found || l == n
		}
		if !found {
			list = append(list, n)
		}
	}
	return list
}

// CaptureOutOfStep reports, changing nothing, each installed syncd trigger
// that differs from what tables need: its key or column arguments name
// columns the config no longer mirrors (the application renamed, dropped or
// added a column, or the config changed; a mirrored column that is not a
// key concerns only the UPDATE trigger), or it calls an older capture
// function. Missing triggers are not reported here. An empty result means
// InstallCapture would recreate no existing trigger.
func CaptureOutOfStep(ctx context.Context, conn *pgx.Conn, tables []CaptureTable) ([]string, error) {
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback(ctx)
	existing, err := existingTriggers(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tables {
		var oid *uint32
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1)::oid", t.Table).Scan(&oid); err != nil {
			return nil, fmt.Errorf("look up %s: %w", t.Table, err)
		}
		if oid == nil {
			continue // the config check reports a missing table
		}
		cols, err := renderColumns(ctx, tx, t.Columns)
		if err != nil {
			return nil, err
		}
		for _, ev := range triggerEvents {
			name := triggerPrefix + ev.name
			cur, ok := existing[*oid][name]
			if w := wantTrigger(ev, t, cols); ok && !sameTrigger(cur, w) {
				out = append(out, fmt.Sprintf("%s: %s calls %s, the config needs %s", t.Table, name, cur.call(), w.call()))
			}
		}
	}
	return out, nil
}
