// Package deploy holds what runs syncd on a host rather than Go code: the
// systemd units, the install script and the example config and environment
// files (docs/DEPLOYMENT.md explains them). Its tests check those files with
// the tools that will read them: systemd-analyze, sh, syncd's config loader,
// and an arm64 build of syncd run under qemu-user.
package deploy
