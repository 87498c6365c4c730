package migrations

import (
	"context"
	"fmt"
	"hash/fnv"
	"regexp"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// DoorbellLock is the advisory lock key of the NOTIFY doorbell; it is
// defined, with every other lock key of syncd, in package store.
const DoorbellLock = store.DoorbellLock

// NotifyChannel is the channel the capture triggers notify (see
// store.NotifyChannel).
const NotifyChannel = store.NotifyChannel

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

var triggerEvents = []struct{ name, event, refs string }{
	{"ins", "INSERT", "REFERENCING NEW TABLE AS new_rows"},
	{"upd", "UPDATE", "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"},
	{"del", "DELETE", "REFERENCING OLD TABLE AS old_rows"},
	{"trunc", "TRUNCATE", ""},
}

// CaptureResult counts what InstallCapture changed.
type CaptureResult struct {
	Installed, Updated, Unchanged, Removed []string
}

// InstallCapture makes the capture triggers in the database match tables:
// creates or updates the trigger function and the four statement-level
// triggers of each table, and drops syncd triggers from tables not listed.
// It runs in one transaction and changes nothing when everything matches.
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
	want := map[string]bool{}
	for _, t := range tables {
		want[t.Table] = true
		fn := FunctionName(t.Table)
		body := functionBody(t)
		var current *string
		if err := tx.QueryRow(ctx, `SELECT prosrc FROM pg_proc WHERE oid = to_regprocedure($1)`, fn+"()").Scan(&current); err != nil && err != pgx.ErrNoRows {
			return res, fmt.Errorf("read %s: %w", fn, err)
		}
		have := existing[t.Table]
		complete := len(have) == len(triggerEvents)
		if current != nil && *current == body && complete {
			res.Unchanged = append(res.Unchanged, t.Table)
			continue
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $syncd$%s$syncd$", fn, body)); err != nil {
			return res, fmt.Errorf("create capture function for %s: %w", t.Table, err)
		}
		for _, ev := range triggerEvents {
			name := triggerPrefix + ev.name
			if have[name] {
				continue
			}
			refs := ev.refs
			if len(t.Key) == 0 {
				refs = "" // statement markers need no transition tables
			}
			sql := fmt.Sprintf("CREATE TRIGGER %s AFTER %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s()",
				name, ev.event, t.Table, refs, fn)
			if _, err := tx.Exec(ctx, sql); err != nil {
				return res, fmt.Errorf("create %s trigger on %s: %w", strings.ToLower(ev.event), t.Table, err)
			}
		}
		if current == nil && len(have) == 0 {
			res.Installed = append(res.Installed, t.Table)
		} else {
			res.Updated = append(res.Updated, t.Table)
		}
	}
	var stale []string
	for tbl := range existing {
		if !want[tbl] {
			stale = append(stale, tbl)
		}
	}
	sort.Strings(stale)
	for _, tbl := range stale {
		for name := range existing[tbl] {
			if _, err := tx.Exec(ctx, fmt.Sprintf("DROP TRIGGER %s ON %s", name, tbl)); err != nil {
				return res, fmt.Errorf("drop %s on %s: %w", name, tbl, err)
			}
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf("DROP FUNCTION IF EXISTS %s()", FunctionName(tbl))); err != nil {
			return res, fmt.Errorf("drop capture function of %s: %w", tbl, err)
		}
		res.Removed = append(res.Removed, tbl)
	}
	if err := tx.Commit(ctx); err != nil {
		return res, fmt.Errorf("commit: %w", err)
	}
	return res, nil
}

// existingTriggers maps each table carrying syncd triggers to their names.
func existingTriggers(ctx context.Context, tx pgx.Tx) (map[string]map[string]bool, error) {
	rows, err := tx.Query(ctx, `
		SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), t.tgname
		FROM pg_trigger t
		JOIN pg_class c ON c.oid = t.tgrelid
		JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE NOT t.tgisinternal AND t.tgname LIKE $1`, triggerPrefix+"%")
	if err != nil {
		return nil, fmt.Errorf("list capture triggers: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]bool{}
	for rows.Next() {
		var tbl, name string
		if err := rows.Scan(&tbl, &name); err != nil {
			return nil, fmt.Errorf("list capture triggers: %w", err)
		}
		if out[tbl] == nil {
			out[tbl] = map[string]bool{}
		}
		out[tbl][name] = true
	}
	return out, rows.Err()
}

var unsafeChars = regexp.MustCompile(`[^a-z0-9_]+`)

// FunctionName returns the capture function of a table: readable, unique
// (hash of the qualified name) and within the 63-byte identifier limit.
func FunctionName(table string) string {
	h := fnv.New32a()
	h.Write([]byte(table))
	base := unsafeChars.ReplaceAllString(strings.ToLower(table), "_")
	if len(base) > 40 {
		base = base[:40]
	}
	return fmt.Sprintf("syncd.capture_%s_%08x", base, h.Sum32())
}

// opLit spells an outbox op code as an SQL literal: the triggers write the
// codes store defines, so the reader and the writer of the outbox share one
// definition.
func opLit(op store.Op) string { return "'" + string(rune(op)) + "'" }

// functionBody generates the trigger function for one table: static SQL, so
// its plans are cached, one INSERT ... SELECT per statement however many rows
// it touched (a 100,000-row COPY is one call). Its text must stay stable:
// InstallCapture compares it with the installed function to do nothing when
// nothing changed.
func functionBody(t CaptureTable) string {
	notify := fmt.Sprintf(`
  IF FOUND AND NOT pg_try_advisory_xact_lock_shared(%d) THEN
    PERFORM pg_notify('%s', '');
  END IF;
  RETURN NULL;
END`, store.DoorbellLock, store.NotifyChannel)
	if len(t.Key) == 0 {
		return fmt.Sprintf(`
BEGIN
  INSERT INTO syncd.changes (tbl, op) VALUES (TG_RELID::regclass, CASE WHEN TG_OP = 'TRUNCATE' THEN %s ELSE %s END);`,
			opLit(store.OpTruncate), opLit(store.OpStatement)) + notify
	}
	keyOf := func(alias string) string {
		parts := make([]string, 0, 2*len(t.Key))
		for _, k := range t.Key {
			parts = append(parts, quoteLiteral(k), alias+"."+quoteIdent(k))
		}
		return "jsonb_build_object(" + strings.Join(parts, ", ") + ")"
	}
	sameKey := make([]string, len(t.Key))
	for i, k := range t.Key {
		sameKey[i] = fmt.Sprintf("o.%s = n.%s", quoteIdent(k), quoteIdent(k))
	}
	match := strings.Join(sameKey, " AND ")
	unchanged := ""
	if len(t.Columns) > 0 {
		// Compare as text: json, point and xml have no equality operator.
		oc, nc := make([]string, len(t.Columns)), make([]string, len(t.Columns))
		for i, c := range t.Columns {
			oc[i] = "o." + quoteIdent(c) + "::text"
			nc[i] = "n." + quoteIdent(c) + "::text"
		}
		unchanged = fmt.Sprintf(" AND ROW(%s) IS NOT DISTINCT FROM ROW(%s)", strings.Join(oc, ", "), strings.Join(nc, ", "))
	} else {
		unchanged = " AND false"
	}
	return fmt.Sprintf(`
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, %[5]s, %[1]s FROM new_rows n;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, %[6]s, %[1]s FROM new_rows n
       WHERE NOT EXISTS (SELECT 1 FROM old_rows o WHERE %[3]s%[4]s)
      UNION ALL
      SELECT TG_RELID::regclass, %[7]s, %[2]s FROM old_rows o
       WHERE NOT EXISTS (SELECT 1 FROM new_rows n WHERE %[3]s);
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO syncd.changes (tbl, op, key)
      SELECT TG_RELID::regclass, %[7]s, %[2]s FROM old_rows o;
  ELSE
    INSERT INTO syncd.changes (tbl, op) VALUES (TG_RELID::regclass, %[8]s);
  END IF;`, keyOf("n"), keyOf("o"), match, unchanged,
		opLit(store.OpInsert), opLit(store.OpUpdate), opLit(store.OpDelete), opLit(store.OpTruncate)) + notify
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

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
