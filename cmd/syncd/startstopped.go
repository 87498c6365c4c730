package main

import (
	"context"
	"sort"

	"go.uber.org/zap"

	"github.com/syncd/syncd/syncer"
)

// startStopped hands the syncer the table mirrors that did not resolve at
// start-up (their table dropped or changed while the daemon was down):
// they start stopped, named with the config line in `syncd status`,
// /readyz and /metrics, while the others run; the syncer resumes each
// once its table exists and matches the config, as it does for a table
// dropped and created again at run time. `syncd migrate` still refuses
// such a config: it installs capture triggers and cannot on a table that
// is not there.
func (d *daemon) startStopped(ctx context.Context, s *syncer.Syncer) {
	names := make([]string, 0, len(d.unresolved))
	for n := range d.unresolved {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		d.log.Warn("mirror starts stopped: the config does not match the database", zap.String("mirror", n), zap.Error(d.unresolved[n]))
		s.StartStopped(ctx, n, d.unresolved[n])
	}
}
