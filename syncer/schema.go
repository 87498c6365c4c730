package syncer

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/syncd/syncd"
	"github.com/syncd/syncd/catalog"
	"go.uber.org/zap"
)

// The application owns its schema. The syncer notices its DDL by itself:
// before every batch (so on the poll timer too) it compares each mirrored
// table's shape (catalog.Shapes: oid, name, columns by attnum) with the
// last one seen, and on a change resolves the mirror again (Resolver),
// brings the capture triggers in step, and rewrites the tab: a column
// added appears, a dropped one disappears (syncd's columns only), a
// renamed one keeps its cells under the new header, a retyped one is
// re-encoded. A renamed table is followed by its oid (with a warning: the
// config names the old name); a dropped one stops its mirror (a problem
// naming it) until a table of the configured name exists again; a mirror
// whose config no longer matches the table (a `columns:` entry that is
// gone) stops with the config's error, naming the line. Other mirrors go
// on.

// Resolver resolves mirrors again when their table changed. The daemon's
// is config.ResolveOne plus migrations.InstallCapture; nil in Options
// means the syncer does not follow schema changes.
type Resolver interface {
	// ResolveMirror resolves the named mirror of the config against the
	// catalog as it is now; table, when not empty, replaces the table the
	// config names.
	ResolveMirror(ctx context.Context, name, table string) (syncd.Mirror, error)
	// Recapture brings the capture triggers in step with mirrors (every
	// table mirror that runs). An error means the role may not; the
	// mirrors go on and the status says to run `syncd migrate`.
	Recapture(ctx context.Context, mirrors []syncd.Mirror) error
}

// layoutChange is what the next rewrite of a mirror's tab does to its
// columns besides the rows, after the table's shape changed.
type layoutChange struct {
	// gone names syncd's columns the mirror no longer has: deleted from
	// the tab, unlike a person's.
	gone map[string]bool
	// renamed maps an old header to its column's new name: the column
	// keeps its cells.
	renamed map[string]string
	// retyped names columns whose type changed: their cells are written
	// from Postgres in the new encoding, never read as a person's edits.
	retyped map[string]bool
	// fresh is set for a table dropped and created again: nothing in the
	// tab was typed against it, so every cell is written from Postgres
	// and rows the new table lacks are removed without a conflict.
	fresh bool
}

// schemaState is what the syncer knows of its tables' shapes.
type schemaState struct {
	mu sync.Mutex
	// cfgTable is each table mirror's table as the config names it.
	cfgTable map[string]string
	shapes   map[string]catalog.Shape
	// stopped and warnings hold, per mirror, the cause and the fix.
	stopped, warnings map[string]string
	layout            map[string]*layoutChange
	// renames maps, per mirror, a column's name as the config knows it to
	// its name now (schema_rename.go).
	renames map[string]map[string]string
	// unresolved holds the mirrors that started stopped because the
	// config did not match their table (schema_start.go).
	unresolved map[string]*unresolved
}

func newSchemaState(mirrors []syncd.Mirror) *schemaState {
	ss := &schemaState{cfgTable: map[string]string{}, shapes: map[string]catalog.Shape{},
		stopped: map[string]string{}, warnings: map[string]string{}, layout: map[string]*layoutChange{}}
	for _, m := range mirrors {
		if !m.IsQuery() {
			ss.cfgTable[m.Name] = m.Table
		}
	}
	return ss
}

// MirrorProblem is a mirror the syncer stopped, or warns about, with the
// cause and the fix.
type MirrorProblem struct {
	Mirror  string
	Stopped bool
	Message string
}

// Problems returns the mirrors stopped by a schema change and the warnings
// about the others, sorted by mirror. Safe to call concurrently with Run.
func (s *Syncer) Problems() []MirrorProblem {
	ss := s.schema
	ss.mu.Lock()
	defer ss.mu.Unlock()
	var out []MirrorProblem
	for m, msg := range ss.stopped {
		out = append(out, MirrorProblem{Mirror: m, Stopped: true, Message: msg})
	}
	for m, msg := range ss.warnings {
		out = append(out, MirrorProblem{Mirror: m, Message: msg})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Mirror < out[j].Mirror || out[i].Mirror == out[j].Mirror && out[i].Stopped
	})
	return out
}

// stopped reports whether a mirror is stopped.
func (s *Syncer) stopped(name string) bool {
	s.schema.mu.Lock()
	defer s.schema.mu.Unlock()
	return s.schema.stopped[name] != ""
}

// layoutOf returns the pending layout change of a mirror, nil if none.
func (s *Syncer) layoutOf(name string) *layoutChange {
	s.schema.mu.Lock()
	defer s.schema.mu.Unlock()
	return s.schema.layout[name]
}

// layoutDone forgets a layout change a reconcile pass has applied.
func (s *Syncer) layoutDone(name string, lc *layoutChange) {
	s.schema.mu.Lock()
	defer s.schema.mu.Unlock()
	if s.schema.layout[name] == lc {
		delete(s.schema.layout, name)
	}
}

// followSchema compares every table mirror's table with its last known
// shape and follows what changed. It fails only when the catalog cannot
// be read.
func (s *Syncer) followSchema(ctx context.Context) error {
	if s.opts.Resolver == nil {
		return nil
	}
	ss := s.schema
	var oids []uint32
	var names []string
	for _, m := range s.opts.Mirrors {
		if m.IsQuery() {
			continue
		}
		if sh, ok := ss.shapes[m.Name]; ok {
			oids = append(oids, sh.OID)
		}
		names = append(names, ss.cfgTable[m.Name])
	}
	if len(names) == 0 {
		return nil
	}
	shapes, err := catalog.Shapes(ctx, s.opts.Pool, oids, names)
	if err != nil {
		return fmt.Errorf("look for schema changes: %w", err)
	}
	byName := map[string]catalog.Shape{}
	for _, sh := range shapes {
		byName[sh.Name] = sh
	}
	var changed []*mirror
	for i := range s.opts.Mirrors {
		if m := s.mirrors[i]; !m.IsQuery() && s.followTable(ctx, i, shapes, byName) {
			changed = append(changed, m)
		}
	}
	if len(changed) == 0 {
		return nil
	}
	s.afterSchemaChange(ctx, changed, shapes)
	return nil
}

// followTable follows one table mirror's table; it reports whether the
// mirror was resolved again.
func (s *Syncer) followTable(ctx context.Context, i int, shapes map[uint32]catalog.Shape, byName map[string]catalog.Shape) bool {
	ss, m := s.schema, s.opts.Mirrors[i]
	if ss.unresolved[m.Name] != nil {
		return s.followUnresolved(ctx, i, shapes)
	}
	cfg := ss.cfgTable[m.Name]
	old, known := ss.shapes[m.Name]
	cur, found := shapes[old.OID]
	if !known || !found {
		cur, found = byName[cfg] // first look, or a table of that name created again
	}
	if !found {
		s.setProblem(ctx, m.Name, true, fmt.Sprintf("table %s was dropped: mirror %s is stopped until a table of that name exists again "+
			"(re-create it, or remove the mirror from the config)", cfg, m.Name))
		return false
	}
	if !known {
		ss.shapes[m.Name] = cur
		return false
	}
	if cur.Same(old) {
		return false
	}
	if err := s.followRenames(ctx, m.Name, old, cur); err != nil {
		// The shape stays the old one: the next look tries again.
		s.log.Warn("mirror's bases not renamed yet", zap.String("mirror", m.Name), zap.Error(err))
		return false
	}
	table, tableMsg := "", ""
	if cur.Name != cfg {
		table = cur.Name
		tableMsg = fmt.Sprintf("table %s was renamed to %s: mirror %s follows it, but the config still names %s; "+
			"change the mirror's table: to %s", cfg, cur.Name, m.Name, cfg, cur.Name)
	}
	ss.shapes[m.Name] = cur
	s.trackRenames(m.Name, old, cur)
	nm, colMsg, err := s.resolveFollowing(ctx, m.Name, table)
	s.setWarnings(ctx, m.Name, tableMsg, colMsg)
	if err != nil {
		s.setProblem(ctx, m.Name, true, fmt.Sprintf("mirror %s is stopped: its table changed and the config no longer matches it: %v", m.Name, err))
		return false
	}
	lc := layoutOf(old, cur, m, nm)
	s.log.Info("table changed; mirror follows", zap.String("mirror", m.Name), zap.String("table", cur.Name),
		zap.Strings("columns", nm.ColumnNames()))
	s.opts.Mirrors[i] = nm
	s.clearProblem(m.Name, true)
	ss.mu.Lock()
	ss.layout[m.Name] = mergeLayout(ss.layout[m.Name], lc)
	ss.mu.Unlock()
	return true
}

// layoutOf compares a mirror before and after its table changed: columns
// whose attnum kept its place under another name were renamed; syncd's
// columns the new mirror lacks are gone.
func layoutOf(old, cur catalog.Shape, om, nm syncd.Mirror) *layoutChange {
	lc := &layoutChange{gone: map[string]bool{}, renamed: map[string]string{}, retyped: map[string]bool{}, fresh: old.OID != cur.OID}
	now := map[string]bool{}
	for _, n := range nm.ColumnNames() {
		now[n] = true
	}
	if !lc.fresh {
		byNum := map[int]catalog.ShapeColumn{}
		for _, c := range cur.Columns {
			byNum[c.Num] = c
		}
		for _, c := range old.Columns {
			n, ok := byNum[c.Num]
			if ok && n.Name != c.Name && now[n.Name] {
				lc.renamed[c.Name] = n.Name
			}
			if ok && n.Type != c.Type {
				lc.retyped[n.Name] = true
			}
		}
	}
	for _, n := range om.ColumnNames() {
		if !now[n] && lc.renamed[n] == "" {
			lc.gone[n] = true
		}
	}
	return lc
}

// mergeLayout adds a newer change to one not yet applied.
func mergeLayout(a, b *layoutChange) *layoutChange {
	if a == nil {
		return b
	}
	out := &layoutChange{gone: map[string]bool{}, renamed: map[string]string{}, retyped: map[string]bool{}, fresh: a.fresh || b.fresh}
	for _, m := range []map[string]bool{a.retyped, b.retyped} {
		for k := range m {
			out.retyped[k] = true
		}
	}
	for k := range a.gone {
		out.gone[k] = true
	}
	for k := range b.gone {
		out.gone[k] = true
	}
	for k, v := range a.renamed {
		if w, ok := b.renamed[v]; ok {
			v = w
		}
		out.renamed[k] = v
	}
	for k, v := range b.renamed {
		if _, ok := out.renamed[k]; !ok {
			out.renamed[k] = v
		}
	}
	return out
}

// afterSchemaChange maps the outbox's table oids to the mirrors as they
// now are, refreshes the capture triggers, and has the changed mirrors'
// tabs rewritten.
func (s *Syncer) afterSchemaChange(ctx context.Context, changed []*mirror, shapes map[uint32]catalog.Shape) {
	s.mu.Lock()
	oids := make(map[uint32]string, len(s.tableOID))
	mirrored := map[string]bool{}
	for _, m := range s.opts.Mirrors {
		mirrored[m.Table] = true
	}
	for oid, t := range s.tableOID {
		if mirrored[t] || s.dependedOn(t) {
			oids[oid] = t
		}
	}
	for _, m := range s.opts.Mirrors {
		if sh, ok := s.schema.shapes[m.Name]; ok && !m.IsQuery() {
			oids[sh.OID] = m.Table
		}
	}
	s.tableOID = oids
	s.mu.Unlock()
	var running []syncd.Mirror
	for _, m := range s.opts.Mirrors {
		if !s.stopped(m.Name) {
			running = append(running, m)
		}
	}
	if err := s.opts.Resolver.Recapture(ctx, running); err != nil {
		for _, m := range changed {
			s.setProblem(ctx, m.Name, false, fmt.Sprintf("the capture triggers of %s could not be brought in step with the table (%v): "+
				"run `syncd migrate` with a role that may", m.Table, err))
		}
	}
	s.setFull(changed, true)
	s.RequestReconcile()
}

// dependedOn reports whether a query mirror depends on table t.
func (s *Syncer) dependedOn(t string) bool {
	for _, m := range s.opts.Mirrors {
		for _, d := range m.DependsOn {
			if d == t {
				return true
			}
		}
	}
	return false
}

// setProblem records a mirror's problem (stopped) or warning. A new
// problem is also written to sync_log as a failed batch of the mirror, so
// `syncd status`, which reads the database alone, shows it.
func (s *Syncer) setProblem(ctx context.Context, name string, stopped bool, msg string) {
	ss := s.schema
	ss.mu.Lock()
	set := ss.warnings
	if stopped {
		set = ss.stopped
	}
	same := set[name] == msg
	set[name] = msg
	ss.mu.Unlock()
	if same {
		return
	}
	s.log.Warn("mirror problem", zap.String("mirror", name), zap.Bool("stopped", stopped), zap.String("problem", msg))
	if stopped {
		s.recordFailure(ctx, []*mirror{s.byName[name]}, s.opts.Now(), 0, 0, errors.New(msg))
	}
}

func (s *Syncer) clearProblem(name string, stopped bool) {
	ss := s.schema
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if stopped {
		delete(ss.stopped, name)
	} else {
		delete(ss.warnings, name)
	}
}

// schemaError marks a batch that failed because a table changed under it
// (a column or table gone, a type changed): the batch is replanned at
// once, after followSchema has looked at the catalog again.
func schemaError(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "42703" || pe.Code == "42P01" || strings.HasPrefix(pe.Code, "42804") || pe.Code == "22003" || pe.Code == "22P02") {
		return fmt.Errorf("%w (%w)", err, errReplan)
	}
	return err
}
