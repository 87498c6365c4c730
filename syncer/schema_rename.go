package syncer

import (
	"context"
	"fmt"
	"strings"

	"github.com/syncd/syncd"
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

// RenameResolver is a Resolver that also follows columns renamed under the
// names the config gives them (key:, columns:, editable:, order_by:), as
// a renamed table is followed: the mirror goes on, with a warning that the
// config names the old names. The daemon's resolver is one; a Resolver
// that is not makes such a mirror stop with the config's error.
type RenameResolver interface {
	// ResolveMirrorRenamed is ResolveMirror with renamed mapping a
	// column's config name to its name now; followed lists the config
	// entries read under a new name.
	ResolveMirrorRenamed(ctx context.Context, name, table string, renamed map[string]string) (m syncd.Mirror, followed []string, err error)
}

// trackRenames adds the renames between two shapes of a mirror's table to
// what the config's names now are; a table created again starts afresh.
func (s *Syncer) trackRenames(mirror string, old, cur catalog.Shape) {
	ss := s.schema
	if ss.renames == nil {
		ss.renames = map[string]map[string]string{}
	}
	if old.OID != cur.OID {
		delete(ss.renames, mirror)
		return
	}
	r := renamedColumns(old, cur)
	if len(r) == 0 {
		return
	}
	acc := ss.renames[mirror]
	if acc == nil {
		acc = map[string]string{}
		ss.renames[mirror] = acc
	}
	done := map[string]bool{}
	for cfg, now := range acc {
		if to, ok := r[now]; ok {
			acc[cfg], done[now] = to, true
		}
	}
	for o, n := range r {
		if _, known := acc[o]; !done[o] && !known {
			acc[o] = n
		}
	}
	for cfg, now := range acc {
		if cfg == now {
			delete(acc, cfg)
		}
	}
}

// resolveFollowing resolves a mirror again, its config's column names
// read through the renames when the Resolver can; warn says what the
// config still names by an old name.
func (s *Syncer) resolveFollowing(ctx context.Context, mirror, table string) (m syncd.Mirror, warn string, err error) {
	rr, ok := s.opts.Resolver.(RenameResolver)
	acc := s.schema.renames[mirror]
	if !ok || len(acc) == 0 {
		m, err = s.opts.Resolver.ResolveMirror(ctx, mirror, table)
		return m, "", err
	}
	m, followed, err := rr.ResolveMirrorRenamed(ctx, mirror, table, acc)
	if err != nil || len(followed) == 0 {
		return m, "", err
	}
	return m, fmt.Sprintf("columns of %s were renamed: mirror %s follows them, but the config still names the old names; change %s",
		m.Table, mirror, strings.Join(followed, ", ")), nil
}

// setWarnings sets a mirror's warning to the non-empty messages, or clears
// it when there are none.
func (s *Syncer) setWarnings(ctx context.Context, mirror string, msgs ...string) {
	var out []string
	for _, m := range msgs {
		if m != "" {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		s.clearProblem(mirror, false)
		return
	}
	s.setProblem(ctx, mirror, false, strings.Join(out, "; "))
}
