package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/syncd/syncd/catalog"
)

// Reasons stored in syncd.conflicts.reason: why a sheet value was not
// applied to Postgres.
const (
	// ReasonBothChanged: the sheet and Postgres both changed an editable
	// cell since syncd last wrote it (or syncd has no record of what it
	// wrote); Postgres was kept.
	ReasonBothChanged = "both_changed"
	// ReasonNotEditable: people changed a cell of a column that is not
	// editable; syncd overwrote it.
	ReasonNotEditable = "not_editable"
	// ReasonSheetOnlyRow: a tab row has no valid key, or a key Postgres
	// lacks; it was removed from the tab.
	ReasonSheetOnlyRow = "sheet_only_row"
	// ReasonDuplicateRow: a tab row repeats a key; the copy was removed.
	ReasonDuplicateRow = "duplicate_row"
	// ReasonBadValue: the codec or Postgres rejected the sheet value.
	ReasonBadValue = "bad_value"
	// ReasonHeldBack: a row deleted from a tab in a pass that deleted more
	// than max_sheet_deletes rows; it was restored, not deleted.
	ReasonHeldBack = "delete_held_back"
	// ReasonDeleteUnclear: a row syncd showed is missing from its tab,
	// but the tab also shows what a sort, a paste, a moved or overtyped
	// row or a misplaced write of syncd's own leaves behind, so its
	// absence is not taken for a deletion: it was restored. "use sheet"
	// deletes it (guarded like every deletion).
	ReasonDeleteUnclear = "delete_unclear"
	// ReasonUnsureRow: a value was typed into a row syncd cannot tie to
	// one record (its key is in two rows, was typed over, or syncd wrote
	// the row by position while rows may have moved); Postgres was kept
	// and the cell rewritten.
	ReasonUnsureRow = "unsure_row"
	// ReasonOverwritten: a write of syncd's by row index replaced a row a
	// person had moved there; the value it replaced was kept (syncd's
	// kept-rows tab) and is recorded here.
	ReasonOverwritten = "overwritten"
	// ReasonRowDeleted: a row deleted from a tab whose cells Postgres
	// changed since syncd showed them; it was restored, not deleted
	// ("use sheet" deletes it, guarded like any deletion).
	ReasonRowDeleted = "deleted_in_sheet"
)

// Conflict is a sheet value syncd did not apply to Postgres: both sides
// changed, a non-editable cell was edited, a row exists only in the sheet,
// or the value does not parse. It is kept in syncd.conflicts.
type Conflict struct {
	Mirror     string
	Key        map[string]string // key column → text; nil for a row without a key
	Column     string            // empty for a whole row
	SheetValue string
	DBValue    *string
	Reason     string // one of the Reason constants
	Message    string
}

// InsertConflicts records conflicts, skipping any identical to one still
// open (a pass that is retried must not pile up duplicates).
func InsertConflicts(ctx context.Context, q catalog.Querier, cs []Conflict) error {
	for _, c := range cs {
		var key any
		if c.Key != nil {
			raw, _ := json.Marshal(c.Key)
			key = string(raw)
		}
		_, err := q.Exec(ctx, `INSERT INTO syncd.conflicts (mirror, row_key, column_name, sheet_value, db_value, reason, message)
			SELECT $1, $2::jsonb, nullif($3, ''), $4, $5, $6, $7
			WHERE NOT EXISTS (SELECT 1 FROM syncd.conflicts
				WHERE mirror = $1 AND row_key IS NOT DISTINCT FROM $2::jsonb AND column_name IS NOT DISTINCT FROM nullif($3, '')
				  AND sheet_value IS NOT DISTINCT FROM $4 AND resolved_at IS NULL)`,
			c.Mirror, key, c.Column, c.SheetValue, c.DBValue, c.Reason, c.Message)
		if err != nil {
			return fmt.Errorf("record conflict of %s: %w", c.Mirror, err)
		}
	}
	return nil
}

// OpenConflicts counts a mirror's unresolved conflicts and says when the
// oldest was detected (nil when none).
func OpenConflicts(ctx context.Context, q catalog.Querier, mirror string) (int64, *time.Time, error) {
	var n int64
	var oldest *time.Time
	err := q.QueryRow(ctx, `SELECT count(*), min(detected_at) FROM syncd.conflicts WHERE mirror = $1 AND resolved_at IS NULL`, mirror).
		Scan(&n, &oldest)
	if err != nil {
		return 0, nil, fmt.Errorf("read conflicts of %s: %w", mirror, err)
	}
	return n, oldest, nil
}
