package syncer

import (
	"context"
	"fmt"

	"github.com/syncd/syncd/catalog"
	"go.uber.org/zap"
)

// A mirror the daemon could not resolve at start-up (its table dropped,
// or changed so the config no longer matches it, while nobody ran) starts
// stopped instead of keeping the daemon, and so the other mirrors, from
// starting. It is followed as a stopped mirror is at run time: before
// every batch and pass the syncer looks for its table by the config's
// name, and once the table exists (or changed) and the mirror resolves,
// the capture triggers are installed, the tab is rewritten and the mirror
// runs.

// unresolved is what the syncer knows of a mirror that started stopped.
type unresolved struct {
	// absent is set once the table was seen missing: a table that appears
	// later is a new one, so its tab is rewritten fresh (rows it lacks go
	// without conflicts), as for a table created again at run time.
	absent bool
}

// StartStopped marks a mirror of Options.Mirrors (a placeholder: name,
// sheet and the table as the config names it) as stopped from the start
// because it could not be resolved; cause names the config line. Call it
// after New and before Run. The stop is written to sync_log, so `syncd
// status` names it, and Problems returns it.
func (s *Syncer) StartStopped(ctx context.Context, mirror string, cause error) {
	if s.byName[mirror] == nil {
		return
	}
	if s.schema.unresolved == nil {
		s.schema.unresolved = map[string]*unresolved{}
	}
	s.schema.unresolved[mirror] = &unresolved{}
	s.setProblem(ctx, mirror, true, fmt.Sprintf("mirror %s is stopped: at start-up the config did not match the database: %v; "+
		"it resumes by itself once the table exists and matches the config (create or fix it, or change the config and restart)", mirror, cause))
}

// followUnresolved looks for the table of a mirror that started stopped
// and resolves the mirror once the table exists and has changed since
// last seen; it reports whether the mirror now runs.
func (s *Syncer) followUnresolved(ctx context.Context, i int, shapes map[uint32]catalog.Shape) bool {
	ss, m := s.schema, s.opts.Mirrors[i]
	st := ss.unresolved[m.Name]
	var oid *uint32
	if err := s.opts.Pool.QueryRow(ctx, "SELECT to_regclass($1)::oid", ss.cfgTable[m.Name]).Scan(&oid); err != nil {
		s.log.Warn("could not look for a stopped mirror's table", zap.String("mirror", m.Name), zap.Error(err))
		return false
	}
	if oid == nil {
		st.absent = true
		delete(ss.shapes, m.Name)
		return false
	}
	cur, ok := shapes[*oid]
	if !ok {
		return false // created after the catalog was read: the next look
	}
	old, known := ss.shapes[m.Name]
	if known && cur.Same(old) {
		return false // nothing changed since the last try
	}
	lc := &layoutChange{gone: map[string]bool{}, renamed: map[string]string{}, retyped: map[string]bool{},
		fresh: st.absent || known && old.OID != cur.OID}
	if known && !lc.fresh {
		if err := s.followRenames(ctx, m.Name, old, cur); err != nil {
			s.log.Warn("mirror's bases not renamed yet", zap.String("mirror", m.Name), zap.Error(err))
			return false
		}
		s.trackRenames(m.Name, old, cur)
	}
	ss.shapes[m.Name] = cur
	nm, colMsg, err := s.resolveFollowing(ctx, m.Name, "")
	if err != nil {
		s.setProblem(ctx, m.Name, true, fmt.Sprintf("mirror %s is stopped: the config does not match its table: %v", m.Name, err))
		return false
	}
	if known && !lc.fresh {
		lc = layoutOf(old, cur, m, nm)
	}
	s.log.Info("stopped mirror's table matches the config; mirror resumes", zap.String("mirror", m.Name),
		zap.String("table", cur.Name), zap.Strings("columns", nm.ColumnNames()))
	s.opts.Mirrors[i] = nm
	ss.cfgTable[m.Name] = nm.Table
	delete(ss.unresolved, m.Name)
	s.setWarnings(ctx, m.Name, colMsg)
	s.clearProblem(m.Name, true)
	ss.mu.Lock()
	ss.layout[m.Name] = mergeLayout(ss.layout[m.Name], lc)
	ss.mu.Unlock()
	return true
}
