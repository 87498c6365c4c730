package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// Direction is sync_log.direction.
type Direction string

// The directions of a sync_log row.
const (
	ToSheet   Direction = "pg_to_sheet"
	FromSheet Direction = "sheet_to_pg"
)

// Kind is sync_log.kind.
type Kind string

// The kinds of a sync_log row.
const (
	KindChange    Kind = "change"    // a batch of the change stream
	KindReconcile Kind = "reconcile" // a reconcile pass
	KindImport    Kind = "import"    // an import or its rollback
)

// Status is sync_log.status.
type Status string

// The statuses of a sync_log row.
const (
	StatusOK    Status = "ok"
	StatusError Status = "error"
)

// LogEntry is one sync_log row: one mirror's share of a batch, a pass or
// an import.
type LogEntry struct {
	Mirror    string
	Direction Direction
	Kind      Kind
	Status    Status
	// StartedAt zero means the transaction's start (now()).
	StartedAt time.Time
	// FinishedAt zero means the statement's time (clock_timestamp()),
	// unless Open.
	FinishedAt time.Time
	// Open leaves finished_at NULL, for a row FinishLog completes later in
	// the same transaction.
	Open                               bool
	RowsWritten, RowsDeleted, APICalls int
	// Changes counts the outbox entries consumed; Warnings the cells
	// truncated (or an import's warnings).
	Changes, Warnings int
	// Drift is the repairs a reconcile pass needed; nil for other kinds.
	Drift *int
	// Error is the failure of a StatusError row; "" is NULL.
	Error string
	// Details is a JSON object for people; nil is NULL.
	Details []byte
}

// InsertLog records e and returns the row's id. Every sync_log row is
// written here, so the columns `syncd status` reads mean one thing.
func InsertLog(ctx context.Context, q catalog.Querier, e LogEntry) (int64, error) {
	var errText *string
	if e.Error != "" {
		errText = &e.Error
	}
	var id int64
	err := q.QueryRow(ctx, `INSERT INTO syncd.sync_log (mirror, direction, kind, started_at, finished_at, status,
			rows_written, rows_deleted, api_calls, changes, warnings, drift, error, details)
		VALUES ($1, $2, $3, coalesce($4::timestamptz, now()),
			CASE WHEN $5::bool THEN NULL ELSE coalesce($6::timestamptz, clock_timestamp()) END, $7,
			$8, $9, $10, $11, $12, $13, $14, $15::jsonb)
		RETURNING id`,
		e.Mirror, string(e.Direction), string(e.Kind), timeOrNull(e.StartedAt), e.Open, timeOrNull(e.FinishedAt), string(e.Status),
		e.RowsWritten, e.RowsDeleted, e.APICalls, e.Changes, e.Warnings, e.Drift, errText, jsonOrNull(e.Details)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("record %s of %s in sync_log: %w", e.Kind, e.Mirror, err)
	}
	return id, nil
}

// FinishLog completes the Open sync_log row id with its figures, finished
// now (clock_timestamp()).
func FinishLog(ctx context.Context, q catalog.Querier, id int64, written, deleted, warnings int, details []byte) error {
	_, err := q.Exec(ctx, `
		UPDATE syncd.sync_log SET finished_at = clock_timestamp(), rows_written = $2, rows_deleted = $3,
		       warnings = $4, details = $5::jsonb WHERE id = $1`, id, written, deleted, warnings, jsonOrNull(details))
	if err != nil {
		return fmt.Errorf("complete sync_log row %d: %w", id, err)
	}
	return nil
}

// jsonOrNull passes JSON as text (cast to jsonb in the statement); nil is
// NULL.
func jsonOrNull(b []byte) any {
	if b == nil {
		return nil
	}
	return string(b)
}

func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// QuotaUsed sums the API calls of batches that finished in (from, to]. The
// syncer writes one row per mirror of a batch, each carrying the calls
// of the mirror's spreadsheet in that batch, so rows of one batch (same
// start, finish and direction) in one spreadsheet count once.
func QuotaUsed(ctx context.Context, q catalog.Querier, from, to time.Time) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT coalesce(sum(api_calls), 0) FROM (
		SELECT DISTINCT ON (started_at, finished_at, direction, details->>'`+SpreadsheetDetail+`') api_calls FROM syncd.sync_log
		WHERE finished_at > $1 AND finished_at <= $2) b`, from, to).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("read quota use: %w", err)
	}
	return n, nil
}

// LastRun is the newest sync_log row of a mirror, imports excluded.
type LastRun struct {
	At                  *time.Time // finished_at, else started_at
	StartedAt, Finished *time.Time
	Kind, Status, Error *string
	Rows, APICalls      int
}

// ReadLastRun returns the mirror's newest batch or pass in either
// direction (a row for mirror '*', a failure before the mirrors were known,
// counts for every mirror); nil when there is none.
func ReadLastRun(ctx context.Context, q catalog.Querier, mirror string) (*LastRun, error) {
	var r LastRun
	err := q.QueryRow(ctx, `SELECT coalesce(finished_at, started_at), started_at, finished_at, kind, status, error,
			rows_written + rows_deleted, api_calls
		FROM syncd.sync_log WHERE mirror IN ($1, '*') AND kind <> 'import' ORDER BY id DESC LIMIT 1`, mirror).
		Scan(&r.At, &r.StartedAt, &r.Finished, &r.Kind, &r.Status, &r.Error, &r.Rows, &r.APICalls)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read last batch of %s: %w", mirror, err)
	}
	return &r, nil
}

// ReadMirrorLog returns when the mirror last succeeded and the API calls
// its rows record as finished in (from, to].
func ReadMirrorLog(ctx context.Context, q catalog.Querier, mirror string, from, to time.Time) (lastOK *time.Time, calls int, err error) {
	err = q.QueryRow(ctx, `SELECT max(finished_at) FILTER (WHERE status = 'ok'),
			coalesce(sum(api_calls) FILTER (WHERE finished_at > $2 AND finished_at <= $3), 0)
		FROM syncd.sync_log WHERE mirror = $1`, mirror, from, to).Scan(&lastOK, &calls)
	if err != nil {
		return nil, 0, fmt.Errorf("read sync_log of %s: %w", mirror, err)
	}
	return lastOK, calls, nil
}

// TitleClashDetail is the sync_log.details member in which a write to the
// sheet records that a person's tab holds the mirror's sheet title, so
// syncd's tab is kept under another (what status shows).
const TitleClashDetail = "title_clash"

// ReadTitleClash returns the title clash the mirror's newest successful
// write to the sheet recorded, or "" when it recorded none.
func ReadTitleClash(ctx context.Context, q catalog.Querier, mirror string) (string, error) {
	var clash *string
	err := q.QueryRow(ctx, `SELECT details->>'`+TitleClashDetail+`' FROM syncd.sync_log
		WHERE mirror = $1 AND direction = 'pg_to_sheet' AND status = 'ok' AND kind <> 'import' ORDER BY id DESC LIMIT 1`, mirror).Scan(&clash)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("read tab title of %s: %w", mirror, err)
	}
	if clash == nil {
		return "", nil
	}
	return *clash, nil
}
