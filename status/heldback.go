package status

import (
	"context"
	"fmt"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// heldBackProblem adds the problem of a mass deletion syncd held back
// (the engine's sheetrows.go): the rows were restored and wait as delete_held_back
// conflicts, which the generic "N conflicts open" line does not explain.
func heldBackProblem(ctx context.Context, q catalog.Querier, ms *MirrorStatus, m syncd.Mirror, now time.Time) error {
	h, err := store.ReadHeldBack(ctx, q, m.Name)
	if err != nil || h == nil {
		return err
	}
	limit := "max_sheet_deletes"
	if h.Max != nil {
		limit = fmt.Sprintf("max_sheet_deletes (%d)", *h.Max)
	}
	when := ""
	if !h.At.IsZero() {
		when = " " + Age(now.Sub(h.At)) + " ago"
	}
	rows := h.Rows
	if rows == 0 {
		rows = int(h.Open) // the pass's log is gone: the conflicts tell
	}
	ms.Problems = append(ms.Problems, fmt.Sprintf("mass deletion held back%s: %s deleted from tab %q in one pass, more than %s, "+
		"so none was deleted in Postgres and the rows were restored; %s open "+
		"(syncd conflicts lists them; to delete the rows, delete them in Postgres, or raise max_sheet_deletes and delete them from the tab again)",
		when, plural(int64(rows), "row"), m.Sheet, limit, plural(h.Open, "delete_held_back conflict")))
	return nil
}
