package config

import (
	"context"
	"errors"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// ResolveEach is Resolve for the daemon's start-up, where one mirror's
// table being gone or changed (the application's DDL while nobody ran)
// must not keep the others from running. It returns every mirror in
// config order; a table mirror that cannot be resolved is a placeholder
// (its name, sheet, spreadsheet, flags and the table as the config names
// it; no columns) with its error, naming the config line, in failed. A
// query mirror that cannot be resolved fails the whole, as in Resolve:
// nothing would notice when its query runs again.
func (c *Config) ResolveEach(ctx context.Context, q catalog.Querier) (mirrors []syncd.Mirror, failed map[string]error, err error) {
	var errs []error
	for i, m := range c.Mirrors {
		r, err := c.resolveMirror(ctx, q, i, m)
		switch {
		case err == nil:
		case m.Table != "":
			if failed == nil {
				failed = map[string]error{}
			}
			failed[m.Name] = err
			r.Table, r.Columns, r.Key, r.Editable, r.OrderBy = m.Table, nil, nil, nil, nil
		default:
			errs = append(errs, err)
			continue
		}
		mirrors = append(mirrors, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	return mirrors, failed, nil
}
