package config

import (
	"context"
	"fmt"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// ResolveOne resolves the named mirror against the catalog as it is now,
// as Resolve does for every mirror; table, when not empty, replaces the
// table the config names (the running daemon follows a renamed table by
// its oid). Errors name the config line, like Resolve's.
func (c *Config) ResolveOne(ctx context.Context, q catalog.Querier, name, table string) (syncd.Mirror, error) {
	for i, m := range c.Mirrors {
		if m.Name != name {
			continue
		}
		if table != "" {
			m.Table = table
		}
		return c.resolveMirror(ctx, q, i, m)
	}
	return syncd.Mirror{}, fmt.Errorf("mirror %q is not in %s", name, c.Path)
}
