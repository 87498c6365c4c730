package config

import (
	"context"
	"fmt"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// ResolveOneRenamed is ResolveOne for a table whose columns the
// application renamed while the daemon ran: renamed maps a column's name
// as the config knows it to its name now, and the mirror's key:,
// columns:, editable: and order_by: entries naming an old name are read
// as the new one. followed lists the entries so read ("editable: note →
// memo"), for the warning that the config still names the old names.
func (c *Config) ResolveOneRenamed(ctx context.Context, q catalog.Querier, name, table string, renamed map[string]string) (m syncd.Mirror, followed []string, err error) {
	for i, cm := range c.Mirrors {
		if cm.Name != name {
			continue
		}
		if table != "" {
			cm.Table = table
		}
		sub := func(list string, names []string) []string {
			out := make([]string, len(names))
			for j, n := range names {
				out[j] = n
				if to, ok := renamed[n]; ok && to != n {
					out[j] = to
					followed = append(followed, fmt.Sprintf("%s: %s → %s", list, n, to))
				}
			}
			return out
		}
		cm.Key, cm.Columns = sub("key", cm.Key), sub("columns", cm.Columns)
		cm.Editable, cm.OrderBy = sub("editable", cm.Editable), sub("order_by", cm.OrderBy)
		m, err = c.resolveMirror(ctx, q, i, cm)
		return m, followed, err
	}
	return syncd.Mirror{}, nil, fmt.Errorf("mirror %q is not in %s", name, c.Path)
}
