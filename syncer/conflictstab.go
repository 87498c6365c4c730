package syncer

import "context"

// syncConflictsTab keeps the conflicts tab equal to the open conflicts.
func (s *Syncer) syncConflictsTab(ctx context.Context) error { return nil }
