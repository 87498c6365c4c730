package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// OpenConflict is an unresolved row of syncd.conflicts, as the conflicts
// tab and `syncd conflicts` show it.
type OpenConflict struct {
	ID         int64
	Mirror     string
	Key        map[string]*string // nil for a row without a key
	Column     string             // "" for a whole row
	SheetValue *string
	DBValue    *string
	Reason     string
	Message    string
	DetectedAt time.Time
}

// ListOpenConflicts returns the open conflicts, oldest first.
func ListOpenConflicts(ctx context.Context, q catalog.Querier) ([]OpenConflict, error) {
	rows, err := q.Query(ctx, `SELECT id, mirror, row_key, coalesce(column_name, ''), sheet_value, db_value,
			coalesce(reason, ''), coalesce(message, ''), detected_at
		FROM syncd.conflicts WHERE resolved_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("read open conflicts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (OpenConflict, error) {
		var c OpenConflict
		err := r.Scan(&c.ID, &c.Mirror, &c.Key, &c.Column, &c.SheetValue, &c.DBValue, &c.Reason, &c.Message, &c.DetectedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("read open conflicts: %w", err)
	}
	return out, nil
}

// ErrNoOpenConflict is returned for an id that names no open conflict.
var ErrNoOpenConflict = errors.New("no open conflict with that id")

// ReadOpenConflict returns one open conflict (ErrNoOpenConflict if it is
// resolved or unknown), locking it for the caller's transaction.
func ReadOpenConflict(ctx context.Context, q catalog.Querier, id int64) (OpenConflict, error) {
	var c OpenConflict
	err := q.QueryRow(ctx, `SELECT id, mirror, row_key, coalesce(column_name, ''), sheet_value, db_value,
			coalesce(reason, ''), coalesce(message, ''), detected_at
		FROM syncd.conflicts WHERE id = $1 AND resolved_at IS NULL FOR UPDATE`, id).
		Scan(&c.ID, &c.Mirror, &c.Key, &c.Column, &c.SheetValue, &c.DBValue, &c.Reason, &c.Message, &c.DetectedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("conflict %d: %w", id, ErrNoOpenConflict)
	}
	if err != nil {
		return c, fmt.Errorf("read conflict %d: %w", id, err)
	}
	return c, nil
}

// ResolveConflict marks a conflict resolved, noting how in its message.
func ResolveConflict(ctx context.Context, q catalog.Querier, id int64, how string) error {
	_, err := q.Exec(ctx, `UPDATE syncd.conflicts SET resolved_at = now(),
			message = concat_ws(' — ', message, 'resolved: ' || $2) WHERE id = $1 AND resolved_at IS NULL`, id, how)
	if err != nil {
		return fmt.Errorf("resolve conflict %d: %w", id, err)
	}
	return nil
}
