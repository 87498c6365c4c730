package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// SpreadsheetDetail and SpreadsheetCellsDetail are the sync_log.details
// members in which a write to the sheet records the mirror's spreadsheet
// and that spreadsheet's cells (every tab's rows × columns) as the syncer
// last knew them. Rows of one batch in one spreadsheet carry the same
// api_calls (that spreadsheet's), so QuotaUsed counts them once per
// spreadsheet.
const (
	SpreadsheetDetail      = "spreadsheet"
	SpreadsheetCellsDetail = "spreadsheet_cells"
)

// SpreadsheetCells returns the cells of a spreadsheet recorded by the
// newest write that recorded them, and when; ok is false when none did.
func SpreadsheetCells(ctx context.Context, q catalog.Querier, spreadsheet string) (cells int64, at time.Time, ok bool, err error) {
	err = q.QueryRow(ctx, `SELECT (details->>'`+SpreadsheetCellsDetail+`')::bigint, coalesce(finished_at, started_at) FROM syncd.sync_log
		WHERE details->>'`+SpreadsheetDetail+`' = $1 AND details ? '`+SpreadsheetCellsDetail+`' AND status = 'ok'
		ORDER BY id DESC LIMIT 1`, spreadsheet).Scan(&cells, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, time.Time{}, false, nil
	}
	if err != nil {
		return 0, time.Time{}, false, fmt.Errorf("read cells of spreadsheet %s: %w", spreadsheet, err)
	}
	return cells, at, true, nil
}
