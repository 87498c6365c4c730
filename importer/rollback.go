package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// ErrNoImport means the import id names no executed import.
var ErrNoImport = errors.New("no such import")

// RollbackReport says what a rollback undid.
type RollbackReport struct {
	ImportID   int64 `json:"import_id"`
	RollbackID int64 `json:"rollback_id,omitempty"`
	// Tables lists, per table, the rows deleted and restored.
	Tables []RollbackTable `json:"tables"`
	// Changed names the rows that changed since the import (when refused).
	Changed []string `json:"changed,omitempty"`
	Refused string   `json:"refused,omitempty"`
}

// RollbackTable is one table's part of a rollback.
type RollbackTable struct {
	Table    string `json:"table"`
	Deleted  int    `json:"deleted"`
	Restored int    `json:"restored"`
}

// maxNamed bounds how many changed rows a refusal names.
const maxNamed = 20

// Rollback undoes import id in ONE transaction: it deletes the rows the
// import inserted and restores the before-images of the rows it updated,
// tables in reverse load order so foreign keys hold. It refuses (ErrRefused,
// nothing changed) when any of those rows no longer holds what the import
// wrote, and fails with ErrNoImport for an unknown or already rolled back
// id. The rollback is logged in sync_log (kind 'import', details
// rollback_of).
func Rollback(ctx context.Context, conn *pgx.Conn, id int64) (*RollbackReport, error) {
	rep := &RollbackReport{ImportID: id}
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if err := store.LockImports(ctx, tx); err != nil {
			return err
		}
		var tables []string
		var rolledBack *time.Time
		err := tx.QueryRow(ctx, `SELECT tables, rolled_back_at FROM syncd.imports WHERE id = $1`, id).Scan(&tables, &rolledBack)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("import %d: %w (see syncd.imports)", id, ErrNoImport)
		}
		if err != nil {
			return fmt.Errorf("read import %d: %w", id, err)
		}
		if rolledBack != nil {
			return fmt.Errorf("import %d was already rolled back at %s: %w", id, rolledBack.UTC().Format(time.RFC3339), ErrNoImport)
		}
		slices.Reverse(tables)
		for _, tbl := range tables {
			changed, err := changedRows(ctx, tx, id, tbl)
			if err != nil {
				return err
			}
			rep.Changed = append(rep.Changed, changed...)
		}
		if len(rep.Changed) > 0 {
			rep.Refused = fmt.Sprintf("%d row(s) changed since import %d; nothing was rolled back", len(rep.Changed), id)
			return ErrRefused
		}
		deleted, restored := 0, 0
		for _, tbl := range tables {
			rt, err := undoTable(ctx, tx, id, tbl)
			if err != nil {
				return err
			}
			deleted += rt.Deleted
			restored += rt.Restored
			rep.Tables = append(rep.Tables, rt)
		}
		details, err := json.Marshal(map[string]any{"mode": "rollback", "rollback_of": id})
		if err != nil {
			return fmt.Errorf("encode rollback details: %w", err)
		}
		rep.RollbackID, err = store.InsertLog(ctx, tx, store.LogEntry{Mirror: "import", Direction: store.FromSheet, Kind: store.KindImport,
			Status: store.StatusOK, RowsWritten: restored, RowsDeleted: deleted, Details: details})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE syncd.imports SET rolled_back_at = now(), rollback_id = $2 WHERE id = $1`, id, rep.RollbackID)
		if err != nil {
			return fmt.Errorf("mark import %d rolled back: %w", id, err)
		}
		return nil
	})
	if err != nil {
		rep.Tables, rep.RollbackID = nil, 0
		return rep, err
	}
	return rep, nil
}

// importedColumns lists the columns an import wrote into tbl (the keys of
// its after-images).
func importedColumns(ctx context.Context, tx pgx.Tx, id int64, tbl string) ([]string, []string, error) {
	var cols, keys []string
	err := tx.QueryRow(ctx, `
		SELECT coalesce((SELECT array_agg(DISTINCT k) FROM syncd.import_rows r, jsonb_object_keys(r.after) k
		                 WHERE r.import_id = $1 AND r.tbl = $2), '{}'),
		       coalesce((SELECT array_agg(DISTINCT k) FROM syncd.import_rows r, jsonb_object_keys(r.key) k
		                 WHERE r.import_id = $1 AND r.tbl = $2), '{}')`, id, tbl).Scan(&cols, &keys)
	if err != nil {
		return nil, nil, fmt.Errorf("read rows of import %d in %s: %w", id, tbl, err)
	}
	return cols, keys, nil
}

// changedRows names the rows of tbl the import touched that no longer hold
// the import's after-image (or are gone).
func changedRows(ctx context.Context, tx pgx.Tx, id int64, tbl string) ([]string, error) {
	cols, keys, err := importedColumns(ctx, tx, id, tbl)
	if err != nil || len(cols) == 0 {
		return nil, err
	}
	join := joinEach(keys, " AND ", func(c string) string { return "t." + c + " = k." + c })
	now := jsonObj(cols, "t.")
	rows, err := tx.Query(ctx, fmt.Sprintf(`
		SELECT r.key::text, t IS NULL
		FROM syncd.import_rows r
		CROSS JOIN LATERAL jsonb_populate_record(NULL::%s, r.key) AS k
		LEFT JOIN %[1]s t ON %s
		WHERE r.import_id = $1 AND r.tbl = $2 AND (t IS NULL OR %s <> r.after)
		ORDER BY r.key LIMIT %d`, tbl, join, now, maxNamed+1), id, tbl)
	if err != nil {
		return nil, fmt.Errorf("check rows of import %d in %s: %w", id, tbl, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var key string
		var gone bool
		if err := rows.Scan(&key, &gone); err != nil {
			return nil, fmt.Errorf("check rows of import %d in %s: %w", id, tbl, err)
		}
		what := "changed"
		if gone {
			what = "deleted"
		}
		if len(out) == maxNamed {
			out = append(out, tbl+": and more")
			break
		}
		out = append(out, fmt.Sprintf("%s %s %s since the import", tbl, key, what))
	}
	return out, rows.Err()
}

// undoTable deletes what the import inserted into tbl and restores what it
// updated.
func undoTable(ctx context.Context, tx pgx.Tx, id int64, tbl string) (RollbackTable, error) {
	rt := RollbackTable{Table: tbl}
	cols, keys, err := importedColumns(ctx, tx, id, tbl)
	if err != nil || len(cols) == 0 {
		return rt, err
	}
	join := joinEach(keys, " AND ", func(c string) string { return "t." + c + " = k." + c })
	tag, err := tx.Exec(ctx, fmt.Sprintf(`
		DELETE FROM %s t USING syncd.import_rows r
		CROSS JOIN LATERAL jsonb_populate_record(NULL::%[1]s, r.key) AS k
		WHERE r.import_id = $1 AND r.tbl = $2 AND r.action = 'inserted' AND %s`, tbl, join), id, tbl)
	if err != nil {
		return rt, fmt.Errorf("delete rows import %d inserted into %s: %w", id, tbl, err)
	}
	rt.Deleted = int(tag.RowsAffected())
	var set []string
	isKey := map[string]bool{}
	for _, k := range keys {
		isKey[k] = true
	}
	for _, c := range cols {
		if !isKey[c] {
			set = append(set, c)
		}
	}
	if len(set) == 0 {
		return rt, nil
	}
	tag, err = tx.Exec(ctx, fmt.Sprintf(`
		UPDATE %[1]s t SET (%[2]s) = ROW(%[3]s)
		FROM syncd.import_rows r
		CROSS JOIN LATERAL jsonb_populate_record(NULL::%[1]s, r.key) AS k
		CROSS JOIN LATERAL jsonb_populate_record(NULL::%[1]s, r.before) AS b
		WHERE r.import_id = $1 AND r.tbl = $2 AND r.action = 'updated' AND %[4]s`,
		tbl, catalog.QuoteIdents(set, ", "), joinEach(set, ", ", func(c string) string { return "b." + c }), join), id, tbl)
	if err != nil {
		return rt, fmt.Errorf("restore rows import %d updated in %s: %w", id, tbl, err)
	}
	rt.Restored = int(tag.RowsAffected())
	return rt, nil
}

// String summarises the rollback for a person.
func (r *RollbackReport) String() string {
	var b strings.Builder
	if r.Refused != "" {
		fmt.Fprintf(&b, "rollback of import %d refused: %s\n", r.ImportID, r.Refused)
		for _, c := range r.Changed {
			fmt.Fprintf(&b, "  %s\n", c)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "import %d rolled back (sync_log id %d)\n", r.ImportID, r.RollbackID)
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "  %s: %d deleted, %d restored\n", t.Table, t.Deleted, t.Restored)
	}
	return b.String()
}
