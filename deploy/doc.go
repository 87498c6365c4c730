// Package deploy holds what runs syncd on a host rather than Go code: the
// systemd units, the install script, the example config and environment
// files, the .deb's nfpm config and maintainer scripts (package/), the
// Prometheus alerts (prometheus/) and the Grafana dashboard (grafana/);
// docs/DEPLOYMENT.md explains them. Its tests check those files with the
// tools that will read them: systemd-analyze, sh, syncd's config loader, an
// arm64 build of syncd run under qemu-user, lintian and dpkg (in a throwaway
// root), promtool, and a running daemon's /metrics.
package deploy
