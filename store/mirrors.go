package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// SheetIDs returns the sheet id of the tab syncd owns for each mirror that
// has one, so a tab people renamed is found by id.
func SheetIDs(ctx context.Context, q catalog.Querier) (map[string]int64, error) {
	rows, err := q.Query(ctx, "SELECT name, sheet_id FROM syncd.mirrors WHERE sheet_id IS NOT NULL")
	if err != nil {
		return nil, fmt.Errorf("read mirror state: %w", err)
	}
	defer rows.Close()
	ids := map[string]int64{}
	for rows.Next() {
		var name string
		var id int64
		if err := rows.Scan(&name, &id); err != nil {
			return nil, fmt.Errorf("read mirror state: %w", err)
		}
		ids[name] = id
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read mirror state: %w", err)
	}
	return ids, nil
}

// SaveSheetID records the tab a mirror owns (writing only when it changed,
// so a steady batch does not churn the row).
func SaveSheetID(ctx context.Context, q catalog.Querier, mirror string, sheetID int64) error {
	if _, err := q.Exec(ctx, `INSERT INTO syncd.mirrors (name, sheet_id) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET sheet_id = EXCLUDED.sheet_id WHERE mirrors.sheet_id IS DISTINCT FROM EXCLUDED.sheet_id`,
		mirror, sheetID); err != nil {
		return fmt.Errorf("record tab of mirror %s: %w", mirror, err)
	}
	return nil
}

// ReconcileState is what the last reconcile pass found for a mirror, kept
// for `syncd status`; nil fields were never recorded.
type ReconcileState struct {
	At                     *time.Time
	RowsInTable, RowsInTab *int64
	Drift                  *int
	// InitialFill is set when that pass was the mirror's first successful
	// one and only added (the tab, its header, rows): its drift is the
	// first fill of the tab, not something that went wrong.
	InitialFill bool
}

// SaveReconcile records a pass's findings (finished at) and the mirror's
// tab.
func SaveReconcile(ctx context.Context, q catalog.Querier, mirror string, sheetID int64, at time.Time, rowsInTable, rowsInTab, drift int) error {
	_, err := q.Exec(ctx, `INSERT INTO syncd.mirrors (name, sheet_id, last_reconcile_at, rows_in_table, rows_in_tab, drift)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (name) DO UPDATE SET sheet_id = EXCLUDED.sheet_id, last_reconcile_at = EXCLUDED.last_reconcile_at,
			rows_in_table = EXCLUDED.rows_in_table, rows_in_tab = EXCLUDED.rows_in_tab, drift = EXCLUDED.drift`,
		mirror, sheetID, at, rowsInTable, rowsInTab, drift)
	if err != nil {
		return fmt.Errorf("record state of %s: %w", mirror, err)
	}
	return nil
}

// ReadReconcile returns the last pass's findings for a mirror; the zero
// state (nil fields) when none was recorded.
func ReadReconcile(ctx context.Context, q catalog.Querier, mirror string) (ReconcileState, error) {
	var st ReconcileState
	// The pass's sync_log row is the mirror's newest successful reconcile
	// towards the sheet (written in the transaction that updated
	// syncd.mirrors).
	err := q.QueryRow(ctx, `
		WITH last AS (
			SELECT id, details FROM syncd.sync_log
			WHERE mirror = $1 AND kind = 'reconcile' AND direction = 'pg_to_sheet' AND status = 'ok'
			ORDER BY id DESC LIMIT 1)
		SELECT m.last_reconcile_at, m.rows_in_table, m.rows_in_tab, m.drift,
			coalesce((SELECT coalesce((l.details->>'rewritten')::int, 0) = 0 AND coalesce((l.details->>'removed')::int, 0) = 0
				AND NOT EXISTS (SELECT 1 FROM syncd.sync_log o WHERE o.mirror = $1 AND o.kind = 'reconcile'
					AND o.direction = 'pg_to_sheet' AND o.status = 'ok' AND o.id < l.id)
				FROM last l), false)
		FROM syncd.mirrors m WHERE m.name = $1`, mirror).
		Scan(&st.At, &st.RowsInTable, &st.RowsInTab, &st.Drift, &st.InitialFill)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return ReconcileState{}, fmt.Errorf("read reconcile state of %s: %w", mirror, err)
	}
	return st, nil
}

// MirrorGauge is a mirror's drift at its last reconcile and its open
// conflicts, for the metrics endpoint.
type MirrorGauge struct {
	Mirror              string
	Drift, OpenConflict int64
}

// MirrorGauges returns the gauges of every mirror syncd has recorded.
func MirrorGauges(ctx context.Context, q catalog.Querier) ([]MirrorGauge, error) {
	rows, err := q.Query(ctx, `SELECT m.name, coalesce(m.drift, 0),
		(SELECT count(*) FROM syncd.conflicts c WHERE c.mirror = m.name AND c.resolved_at IS NULL)
		FROM syncd.mirrors m`)
	if err != nil {
		return nil, fmt.Errorf("read mirror gauges: %w", err)
	}
	defer rows.Close()
	var out []MirrorGauge
	for rows.Next() {
		var g MirrorGauge
		if err := rows.Scan(&g.Mirror, &g.Drift, &g.OpenConflict); err != nil {
			return out, fmt.Errorf("read mirror gauges: %w", err)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

// Unverified is what positional writes of syncd's aimed at in a mirror's
// tab since it last knew they landed there
// (migrations/005_tab_verification.sql): the neighbours the rows have if
// they did. A key "" stands for "no keyed row" (the top, or the end).
type Unverified struct {
	// Rows maps the key of each row written by index to where it must
	// be, and what it must show, if the write landed where aimed.
	Rows map[string]Aim `json:"rows,omitempty"`
	// Removals are the keyed rows right above and below each run of rows
	// deleted by index: adjacent if the deletion hit what it aimed at.
	// Removed are the keys of those rows: still in the tab, they are rows
	// the deletion missed, never rows a person typed.
	Removals [][2]string `json:"removals,omitempty"`
	Removed  []string    `json:"removed,omitempty"`
	// Kept are the rows such writes were about to replace or delete, as
	// the batch kept them in the mirror's kept-rows tab (syncd.KeepRows);
	// KeptRows is how many rows of that tab are in use.
	Kept     []KeptRun `json:"kept,omitempty"`
	KeptRows int       `json:"kept_rows,omitempty"`
	// Unsure are keys whose rows a full read found holding what may be
	// another row's cells but left to the change stream (queued): no
	// value in them is an edit until a pass has rewritten them.
	Unsure []string `json:"unsure,omitempty"`
}

// KeptRun is a run of rows kept from row At of the kept-rows tab on: Keys
// are the keys syncd's read saw in those rows ("" for a row without one).
// A kept row showing another key is what a write replaced by mistake.
type KeptRun struct {
	At   int      `json:"at"`
	Keys []string `json:"keys"`
	// Token is written beside the kept rows, in column Cols, by the same
	// batchUpdate: rows without it were not kept by this write (it never
	// landed), whatever they hold.
	Token string `json:"token"`
	Cols  int    `json:"cols"`
	// Was and Now hold, per kept row and mirror column, the cell syncd
	// believed was there and the cell it wrote there (rendered; "" for a
	// column it did not write, "?" for one it cannot tell): a kept cell
	// showing neither was typed while the write was under way.
	Was [][]string `json:"was,omitempty"`
	Now [][]string `json:"now,omitempty"`
}

// Aim is what one row written by index must look like if the write hit
// the row it aimed at: the keys of the keyed rows right above and below it
// ("" for none), and the cells syncd did not write (columns Cols, by
// mirror column index) as it read them (Cells, a fingerprint).
type Aim struct {
	Above string `json:"above"`
	Below string `json:"below"`
	Cols  []int  `json:"cols,omitempty"`
	Cells string `json:"cells,omitempty"`
}

// Clean reports whether nothing is unverified.
func (u Unverified) Clean() bool {
	return len(u.Rows) == 0 && len(u.Removals) == 0 && len(u.Kept) == 0 && len(u.Unsure) == 0
}

// Add merges o into u.
func (u *Unverified) Add(o Unverified) {
	for k, a := range o.Rows {
		if u.Rows == nil {
			u.Rows = map[string]Aim{}
		}
		u.Rows[k] = a
	}
	u.Removals = append(u.Removals, o.Removals...)
	u.Removed = append(u.Removed, o.Removed...)
	u.Kept = append(u.Kept, o.Kept...)
	u.KeptRows = max(u.KeptRows, o.KeptRows)
	u.Unsure = append(u.Unsure, o.Unsure...)
}

// MarkUnverified records, before syncd sends a write that addresses a
// mirror's rows by index, what it aims at, adding to what is unverified
// already. Run it in a transaction that commits before the write. It
// returns what was unverified before.
func MarkUnverified(ctx context.Context, q catalog.Querier, mirror string, u Unverified) (Unverified, error) {
	before, err := ReadUnverified(ctx, q, mirror)
	if err != nil || u.Clean() {
		return before, err
	}
	all := Unverified{}
	all.Add(before)
	all.Add(u)
	doc, err := json.Marshal(all)
	if err != nil {
		return before, fmt.Errorf("mark unverified rows of %s: %w", mirror, err)
	}
	_, err = q.Exec(ctx, `INSERT INTO syncd.mirrors (name, unverified) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET unverified = EXCLUDED.unverified`, mirror, doc)
	if err != nil {
		return before, fmt.Errorf("mark unverified rows of %s: %w", mirror, err)
	}
	return before, nil
}

// ReadUnverified returns what is unverified in a mirror's tab.
func ReadUnverified(ctx context.Context, q catalog.Querier, mirror string) (Unverified, error) {
	var u Unverified
	var doc []byte
	err := q.QueryRow(ctx, `SELECT unverified FROM syncd.mirrors WHERE name = $1`, mirror).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && doc == nil) {
		return u, nil
	}
	if err == nil {
		err = json.Unmarshal(doc, &u)
	}
	if err != nil {
		return u, fmt.Errorf("read unverified rows of %s: %w", mirror, err)
	}
	return u, nil
}

// ClearUnverified records that nothing is unverified in a mirror's tab:
// syncd's writes landed where they were aimed, or a full read checked and
// repaired what they may have touched.
func ClearUnverified(ctx context.Context, q catalog.Querier, mirror string) error {
	if _, err := q.Exec(ctx, `UPDATE syncd.mirrors SET unverified = NULL WHERE name = $1 AND unverified IS NOT NULL`, mirror); err != nil {
		return fmt.Errorf("clear unverified rows of %s: %w", mirror, err)
	}
	return nil
}

// SaveTabRows records the row count syncd left a mirror's tab with (a
// lower bound of it; migrations/005_tab_verification.sql).
func SaveTabRows(ctx context.Context, q catalog.Querier, mirror string, rows int) error {
	if rows <= 0 {
		return nil
	}
	_, err := q.Exec(ctx, `INSERT INTO syncd.mirrors (name, tab_rows) VALUES ($1, $2)
		ON CONFLICT (name) DO UPDATE SET tab_rows = EXCLUDED.tab_rows WHERE mirrors.tab_rows IS DISTINCT FROM EXCLUDED.tab_rows`, mirror, rows)
	if err != nil {
		return fmt.Errorf("record the rows of %s's tab: %w", mirror, err)
	}
	return nil
}

// TabRows returns the row count SaveTabRows recorded; ok is false when
// none was.
func TabRows(ctx context.Context, q catalog.Querier, mirror string) (rows int, ok bool, err error) {
	var n *int
	err = q.QueryRow(ctx, "SELECT tab_rows FROM syncd.mirrors WHERE name = $1", mirror).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && n == nil) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read the rows of %s's tab: %w", mirror, err)
	}
	return *n, true, nil
}
