package config

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
)

// Resolve checks every mirror against the database catalog (tables exist,
// keys, columns) and returns the resolved mirrors. All problems are reported
// together, each with the file and line it comes from. It only reads.
func (c *Config) Resolve(ctx context.Context, q catalog.Querier) ([]syncd.Mirror, error) {
	var out []syncd.Mirror
	var errs []error
	for i, m := range c.Mirrors {
		r, err := c.resolveMirror(ctx, q, i, m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return out, nil
}

func (c *Config) resolveMirror(ctx context.Context, q catalog.Querier, i int, m Mirror) (syncd.Mirror, error) {
	at := func(msg string, path ...any) error {
		return c.errAt(fmt.Sprintf("mirror %q: %s", m.Name, msg), append([]any{"mirrors", i}, path...)...)
	}
	r := syncd.Mirror{Name: m.Name, Sheet: m.Sheet, Query: m.Query,
		SpreadsheetID: c.spreadsheetOf(m), CredentialsFile: c.credentialsOf(m),
		SheetInserts: m.SheetInserts, SheetDeletes: m.SheetDeletes,
		MaxSheetDeletes: DefaultMaxSheetDeletes, Protect: syncd.Protect(m.Protect)}
	if m.MaxSheetDeletes != nil {
		r.MaxSheetDeletes = *m.MaxSheetDeletes
	}
	if r.Protect == "" {
		r.Protect = syncd.ProtectWarn
	}
	var all []syncd.Column
	keys := m.Key
	if m.Table != "" {
		info, err := catalog.LookupTable(ctx, q, m.Table)
		if errors.Is(err, catalog.ErrNoTable) {
			return r, at(fmt.Sprintf("table %s does not exist (or is not a table)", m.Table), "table")
		}
		if err != nil {
			return r, at(err.Error(), "table")
		}
		r.Table = info.Name
		all = info.Columns
		if len(keys) == 0 {
			if len(info.PrimaryKey) == 0 {
				return r, at(fmt.Sprintf("table %s has no primary key; name the identifying columns with key:", info.Name), "table")
			}
			keys = info.PrimaryKey
		}
	} else {
		cols, err := catalog.DescribeQuery(ctx, q, m.Query)
		if err != nil {
			return r, at(fmt.Sprintf("query does not run: %v", err), "query")
		}
		all = cols
		for j, d := range m.DependsOn {
			info, err := catalog.LookupTable(ctx, q, d)
			if err != nil {
				return r, at(fmt.Sprintf("depends_on: table %s does not exist", d), "depends_on", j)
			}
			r.DependsOn = append(r.DependsOn, info.Name)
		}
	}
	where := "table " + r.Table
	if r.Table == "" {
		where = "the query's result"
	}
	find := func(name string) (int, bool) {
		for j, col := range all {
			if col.Name == name {
				return j, true
			}
		}
		return 0, false
	}
	if len(m.Columns) == 0 {
		r.Columns = all
	} else {
		for j, name := range m.Columns {
			k, ok := find(name)
			if !ok {
				return r, at(fmt.Sprintf("columns: %s.%s is not a column of %s (columns: %s)", displayTable(r), name, where, names(all)), "columns", j)
			}
			r.Columns = append(r.Columns, all[k])
		}
	}
	index := func(list string, j int, name string) (int, error) {
		for k, col := range r.Columns {
			if col.Name == name {
				return k, nil
			}
		}
		if _, ok := find(name); ok {
			return 0, at(fmt.Sprintf("%s: %q is not among the mirrored columns; add it to columns:", list, name), list, j)
		}
		return 0, at(fmt.Sprintf("%s: %s.%s is not a column of %s (columns: %s)", list, displayTable(r), name, where, names(all)), list, j)
	}
	for j, k := range keys {
		idx, err := index("key", j, k)
		if err != nil {
			return r, err
		}
		if r.Columns[idx].Kind == syncd.KindJSON {
			return r, at(fmt.Sprintf("key: %q is json; a key column must be comparable", k), "key", j)
		}
		r.Key = append(r.Key, idx)
	}
	for j, e := range m.Editable {
		idx, err := index("editable", j, e)
		if err != nil {
			return r, err
		}
		r.Editable = append(r.Editable, idx)
	}
	for j, o := range m.OrderBy {
		idx, err := index("order_by", j, o)
		if err != nil {
			return r, err
		}
		r.OrderBy = append(r.OrderBy, idx)
	}
	return r, nil
}

func displayTable(r syncd.Mirror) string {
	if r.Table != "" {
		return r.Table
	}
	return r.Name
}

func names(cols []syncd.Column) string {
	n := make([]string, len(cols))
	for i, c := range cols {
		n[i] = c.Name
	}
	return strings.Join(n, ", ")
}
