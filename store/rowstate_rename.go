package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/syncd/syncd/catalog"
)

// RenameRowStateColumns renames members of a mirror's stored row states
// (old column name → new) after the application renamed columns of its
// table: the base of a column stays the base of the same column under its
// new name, so an edit typed later in it is merged, not taken for a
// conflict. One UPDATE; renames are applied together, so a swap (a→b,
// b→a) is a swap.
func RenameRowStateColumns(ctx context.Context, q catalog.Querier, mirror string, renamed map[string]string) error {
	if len(renamed) == 0 {
		return nil
	}
	olds := make([]string, 0, len(renamed))
	for o := range renamed {
		olds = append(olds, o)
	}
	sort.Strings(olds)
	news := make([]string, len(olds))
	for i, o := range olds {
		news[i] = renamed[o]
	}
	_, err := q.Exec(ctx, `UPDATE syncd.row_state r
		SET cells = (r.cells - $2::text[]) || COALESCE((SELECT jsonb_object_agg(u.n, r.cells -> u.o)
			FROM unnest($2::text[], $3::text[]) AS u(o, n) WHERE r.cells ? u.o), '{}'::jsonb)
		WHERE r.mirror = $1 AND r.cells ?| $2::text[]`, mirror, olds, news)
	if err != nil {
		return fmt.Errorf("rename columns in row state of %s: %w", mirror, err)
	}
	return nil
}
