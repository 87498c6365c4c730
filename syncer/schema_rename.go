package syncer

import (
	"context"

	"github.com/syncd/syncd/catalog"
	"github.com/syncd/syncd/store"
)

// renamedColumns maps the old name of each column of a table that kept its
// attnum under a new name (the same table: same oid) to the new name.
func renamedColumns(old, cur catalog.Shape) map[string]string {
	if old.OID != cur.OID {
		return nil
	}
	byNum := map[int]string{}
	for _, c := range cur.Columns {
		byNum[c.Num] = c.Name
	}
	out := map[string]string{}
	for _, c := range old.Columns {
		if n, ok := byNum[c.Num]; ok && n != c.Name {
			out[c.Name] = n
		}
	}
	return out
}

// followRenames carries a mirror's stored bases (syncd.row_state) over to
// the columns' new names when the application renamed columns of its
// table, whether or not the mirror can be resolved again: the base of a
// column is that column's under any name, and an edit typed later in the
// renamed column must be merged against it, not filed as a conflict.
func (s *Syncer) followRenames(ctx context.Context, mirror string, old, cur catalog.Shape) error {
	return store.RenameRowStateColumns(ctx, s.opts.Pool, mirror, renamedColumns(old, cur))
}
