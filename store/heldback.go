package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// HeldBack is a mass deletion syncd refused (more than max_sheet_deletes
// rows deleted from a tab in one pass), while its rows' delete_held_back
// conflicts are open.
type HeldBack struct {
	// Rows is how many deletions the last such pass held back, and Max the
	// max_sheet_deletes it held them back against (nil when not logged).
	Rows int
	Max  *int
	At   time.Time
	// Open counts the mirror's open delete_held_back conflicts.
	Open int64
}

// ReadHeldBack returns the mirror's held-back mass deletion, or nil when no
// delete_held_back conflict is open. The figures come from the details of
// the last pass that held rows back (sync_log.details held_back).
func ReadHeldBack(ctx context.Context, q catalog.Querier, mirror string) (*HeldBack, error) {
	var h HeldBack
	var rows *int
	var at *time.Time
	err := q.QueryRow(ctx, `
		WITH open AS (SELECT count(*) AS n FROM syncd.conflicts WHERE mirror = $1 AND resolved_at IS NULL AND reason = $2)
		SELECT open.n, l.held, l.max, l.at FROM open LEFT JOIN LATERAL (
			SELECT (details->>'held_back')::int AS held, (details->>'max_sheet_deletes')::int AS max, coalesce(finished_at, started_at) AS at
			FROM syncd.sync_log
			WHERE open.n > 0 AND mirror = $1 AND status = 'ok' AND kind = 'reconcile'
			  AND coalesce((details->>'held_back')::int, 0) > 0
			ORDER BY id DESC LIMIT 1) l ON true`, mirror, ReasonHeldBack).Scan(&h.Open, &rows, &h.Max, &at)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("read held-back deletions of %s: %w", mirror, err)
	}
	if h.Open == 0 {
		return nil, nil
	}
	if rows != nil {
		h.Rows = *rows
	}
	if at != nil {
		h.At = *at
	}
	return &h, nil
}
