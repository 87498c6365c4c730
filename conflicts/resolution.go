package conflicts

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/store"
)

// Resolution is how a person settles a conflict.
type Resolution int

const (
	// UseSheet applies the sheet's value to Postgres (a cell's value, a
	// row typed into the tab, or a deletion held back).
	UseSheet Resolution = iota + 1
	// KeepDatabase dismisses the sheet's value: Postgres stays as it is.
	KeepDatabase
)

// String is the resolution as the tab and syncd.conflicts' message show
// it: "use sheet" or "keep database".
func (r Resolution) String() string {
	if r == UseSheet {
		return "use sheet"
	}
	return "keep database"
}

// ParseResolution reads a resolution as people type it ("use sheet",
// "keep database", or just "sheet" / "database"), in any case.
func ParseResolution(s string) (Resolution, bool) {
	switch strings.Join(strings.Fields(strings.ToLower(s)), " ") {
	case "use sheet", "sheet", "use the sheet":
		return UseSheet, true
	case "keep database", "database", "use database", "keep db", "db", "keep the database":
		return KeepDatabase, true
	}
	return 0, false
}

// Resolver settles conflicts. Its fields are the ports it needs of the
// daemon; all are required.
type Resolver struct {
	// Pool is the database of syncd.conflicts and of the mirrored tables.
	Pool *pgxpool.Pool
	// Codec decodes a conflict's sheet text as the cell it came from.
	Codec syncd.Codec
	// Mirror returns the resolved mirror of a name, nil when the config
	// has none. It is asked on every resolution, so a mirror that
	// followed the application's DDL is seen as it is now.
	Mirror func(name string) *syncd.Mirror
	// TimeZone is the time zone of m's spreadsheet (asked only for a
	// timestamp column).
	TimeZone func(ctx context.Context, m *syncd.Mirror) (*time.Location, error)
	// SoleFollower reports whether m is the only mirror that follows its
	// table (no other table mirror, no query depending on it): only then
	// may a typed row's insert drop its own outbox entries.
	SoleFollower func(m *syncd.Mirror) bool
}

// Resolve settles one open conflict: UseSheet applies the sheet's value
// to Postgres (the change stream then writes it to the tab) and
// KeepDatabase dismisses it. Either way the conflict is marked resolved,
// in the same transaction as the change; an error changes nothing. A
// conflict that is not open is store.ErrNoOpenConflict.
func (r *Resolver) Resolve(ctx context.Context, id int64, how Resolution) error {
	return store.InTx(ctx, r.Pool, func(tx pgx.Tx) error {
		c, err := store.ReadOpenConflict(ctx, tx, id)
		if err != nil {
			return err
		}
		if how == UseSheet {
			if err := r.useSheet(ctx, tx, c); err != nil {
				return fmt.Errorf("conflict %d: %w", id, err)
			}
		}
		return store.ResolveConflict(ctx, tx, id, how.String())
	})
}
