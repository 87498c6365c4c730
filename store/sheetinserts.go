package store

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/syncd/syncd/catalog"
)

// InsertRecord is one entry of syncd.sheet_inserts: a row a pass inserted
// from a tab, with the key Postgres gave it, until the tab shows that key.
type InsertRecord struct {
	ID          int64
	Fingerprint string
	Key         string
}

// RecordInsert notes, in the transaction of the INSERT itself, that the
// typed row with this fingerprint became the row with this key, so a pass
// after a crash that lost the key's write-back recognises the row.
func RecordInsert(ctx context.Context, q catalog.Querier, mirror, fingerprint, key string) error {
	_, err := q.Exec(ctx, `INSERT INTO syncd.sheet_inserts (mirror, fingerprint, row_key) VALUES ($1, $2, $3)`,
		mirror, fingerprint, key)
	if err != nil {
		return fmt.Errorf("record the insert of a typed row of %s: %w", mirror, err)
	}
	return nil
}

// ReadInserts returns a mirror's recorded inserts, oldest first.
func ReadInserts(ctx context.Context, q catalog.Querier, mirror string) ([]InsertRecord, error) {
	rows, err := q.Query(ctx, `SELECT id, fingerprint, row_key FROM syncd.sheet_inserts WHERE mirror = $1 ORDER BY id`, mirror)
	if err != nil {
		return nil, fmt.Errorf("read recorded inserts of %s: %w", mirror, err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (InsertRecord, error) {
		var rec InsertRecord
		err := r.Scan(&rec.ID, &rec.Fingerprint, &rec.Key)
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("read recorded inserts of %s: %w", mirror, err)
	}
	return out, nil
}

// DropInserts forgets recorded inserts by id: their key is in the tab, or
// their row is gone from the table.
func DropInserts(ctx context.Context, q catalog.Querier, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := q.Exec(ctx, `DELETE FROM syncd.sheet_inserts WHERE id = ANY($1)`, ids); err != nil {
		return fmt.Errorf("drop recorded inserts: %w", err)
	}
	return nil
}
