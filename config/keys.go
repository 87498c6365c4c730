package config

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// CheckKeys checks that the key: of each table mirror identifies one row.
// A key backed by a unique index (the primary key included) is fine. A key
// without one is refused when the table holds a duplicate of it, naming
// the config line, the mirror, the key and an example: two rows syncd
// cannot tell apart would be written over each other (issue 14). When the
// data is unique now, it is accepted with a warning advising the index.
// mirrors are Resolve's result; the check reads whole tables only for keys
// without an index. It only reads.
func (c *Config) CheckKeys(ctx context.Context, q catalog.Querier, mirrors []syncd.Mirror) (warnings []string, err error) {
	var errs []error
	for i, cm := range c.Mirrors {
		if cm.Table == "" || len(cm.Key) == 0 {
			continue // a query's key cannot be indexed; the primary key is unique
		}
		var m *syncd.Mirror
		for j := range mirrors {
			if mirrors[j].Name == cm.Name {
				m = &mirrors[j]
			}
		}
		if m == nil {
			continue
		}
		keys := m.KeyNames()
		index, err := catalog.UniqueIndexOn(ctx, q, m.Table, keys)
		if err != nil {
			return warnings, err
		}
		if index != "" {
			continue
		}
		cols := strings.Join(keys, ", ")
		dup, found, err := catalog.FindDuplicate(ctx, q, m.Table, keys)
		if err != nil {
			return warnings, err
		}
		if found {
			errs = append(errs, c.errAt(fmt.Sprintf(
				"mirror %q: key: [%s] is not unique in %s and no unique index makes it so: %s is on %d rows; "+
					"syncd cannot tell such rows apart. Remove the duplicates and CREATE UNIQUE INDEX ON %s (%s), or name columns that identify one row",
				cm.Name, cols, m.Table, dup.String(keys), dup.Rows, m.Table, cols), "mirrors", i, "key"))
			continue
		}
		warnings = append(warnings, c.errAt(fmt.Sprintf(
			"mirror %q: no unique index guarantees key: [%s] of %s; its rows are unique now, but a duplicate would stop this mirror: "+
				"CREATE UNIQUE INDEX ON %s (%s) (key columns NOT NULL) is advised",
			cm.Name, cols, m.Table, m.Table, cols), "mirrors", i, "key").Error())
	}
	return warnings, errors.Join(errs...)
}
