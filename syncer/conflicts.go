package syncer

import (
	"context"
	"errors"
	"time"

	"github.com/syncd/syncd"
	"github.com/syncd/syncd/conflicts"
)

// The conflicts tab and conflict resolution are their own room (package
// conflicts); the engine hands it its ports and calls it from the sheet
// pass and after a reconcile.

// ConflictResolver returns the resolver of this syncer's conflicts: its
// pool and codec, its mirrors as they are now, each spreadsheet's time
// zone from the syncer's cache, and its rule for a table's sole mirror.
func (s *Syncer) ConflictResolver() *conflicts.Resolver {
	return &conflicts.Resolver{
		Pool:  s.opts.Pool,
		Codec: s.opts.Codec,
		Mirror: func(name string) *syncd.Mirror {
			if m, ok := s.byName[name]; ok {
				return m.Mirror
			}
			return nil
		},
		TimeZone: func(ctx context.Context, m *syncd.Mirror) (*time.Location, error) {
			calls := 0
			info, err := s.spreadsheetInfo(ctx, s.sheetKey(&mirror{m}), &calls)
			if err != nil {
				return nil, err
			}
			return info.TimeZone, nil
		},
		SoleFollower: func(m *syncd.Mirror) bool {
			mm, ok := s.byName[m.Name]
			if !ok {
				return false
			}
			return s.soleMirrorOf(mm)
		},
	}
}

// ResolveConflict settles one open conflict (conflicts.Resolver.Resolve)
// with this syncer's ports.
func (s *Syncer) ResolveConflict(ctx context.Context, id int64, r conflicts.Resolution) error {
	return s.ConflictResolver().Resolve(ctx, id, r)
}

// syncConflictsTab applies the resolutions people typed into the
// conflicts tab of Options.Sheet and then makes the tab equal to the open
// conflicts (conflicts.Tab.Sync), keeping the spreadsheet cache in step.
func (s *Syncer) syncConflictsTab(ctx context.Context) error {
	if s.opts.ConflictsTab == "" {
		return nil
	}
	calls := 0
	info, err := s.spreadsheetInfo(ctx, "", &calls) // the conflicts tab is in Options.Sheet
	if err != nil {
		return err
	}
	tab := conflicts.Tab{Sheet: s.opts.Sheet, Title: s.opts.ConflictsTab, Pool: s.opts.Pool,
		Resolver: s.ConflictResolver(), Log: s.log}
	t, err := tab.Sync(ctx, info)
	if err != nil {
		if se := (*conflicts.SpreadsheetError)(nil); errors.As(err, &se) {
			s.forgetInfo()
		}
		return err // Sync names the operation
	}
	s.rememberTab("", t)
	return nil
}
