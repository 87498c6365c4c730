#!/bin/sh
# Installs syncd on a systemd host (Raspberry Pi OS 64-bit, Debian, Ubuntu):
# the binary, the user syncd, /etc/syncd with private modes, the units, and
# example config that is never overwritten. Safe to re-run: it is also how
# syncd is upgraded (the previous binary is kept for rollback).
#
#   sudo ./deploy/install.sh [path/to/syncd]
#
# The binary defaults to ./syncd, else bin/syncd-linux-<arch> (make arm64).
# DESTDIR=/some/dir installs into a staging tree instead (packaging, tests):
# no user is created, nothing is chowned, systemd is not told.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
DESTDIR=${DESTDIR:-}
PREFIX=${PREFIX:-/usr/local}
bindir="$DESTDIR$PREFIX/bin"
etc="$DESTDIR/etc/syncd"
units="$DESTDIR/etc/systemd/system"

die() { echo "install.sh: $*" >&2; exit 1; }

bin=${1:-}
if [ -z "$bin" ]; then
	case $(uname -m) in
	aarch64 | arm64) arch=arm64 ;;
	x86_64 | amd64) arch=amd64 ;;
	*) arch=$(uname -m) ;;
	esac
	for c in ./syncd "$here/../bin/syncd-linux-$arch" "$here/../bin/syncd"; do
		if [ -f "$c" ]; then bin=$c; break; fi
	done
fi
[ -n "$bin" ] && [ -f "$bin" ] || die "no syncd binary found; pass its path (build one with: make arm64)"
version=$("$bin" version) || die "$bin does not run on this machine (built for another architecture?): $bin version failed"

if [ -z "$DESTDIR" ]; then
	[ "$(id -u)" = 0 ] || die "run as root (sudo), or set DESTDIR"
	if ! getent passwd syncd >/dev/null; then
		# A system user with no home and no shell: it only runs the daemon.
		useradd --system --user-group --home-dir /nonexistent --no-create-home \
			--shell /usr/sbin/nologin --comment "syncd daemon" syncd
		echo "created user syncd"
	fi
	owner="-o root -g syncd"
else
	owner=""
fi

# /etc/syncd holds the database password and the service account key:
# readable by root and the syncd group only.
# shellcheck disable=SC2086 # $owner is two words or none
install -d -m 0750 $owner "$etc"
install -d -m 0755 "$bindir" "$units"

if [ -f "$bindir/syncd" ]; then
	cp -p "$bindir/syncd" "$bindir/syncd.previous"
	echo "kept the previous binary as $PREFIX/bin/syncd.previous ($("$bindir/syncd.previous" version 2>/dev/null || echo unknown))"
fi
# Install under a temporary name and rename: a running daemon keeps its
# (unlinked) old binary, and a crash halfway never leaves a truncated one.
install -m 0755 "$bin" "$bindir/syncd.new"
mv -f "$bindir/syncd.new" "$bindir/syncd"
echo "installed $PREFIX/bin/syncd: $version"

for u in syncd.service syncd-reconcile.service syncd-reconcile.timer; do
	sed "s|/usr/local/bin/syncd|$PREFIX/bin/syncd|g" "$here/$u" >"$units/$u.tmp"
	chmod 0644 "$units/$u.tmp"
	mv -f "$units/$u.tmp" "$units/$u"
done
echo "installed units: syncd.service syncd-reconcile.service syncd-reconcile.timer"

# Config is the operator's: install the examples only when absent.
for f in syncd.yml syncd.env; do
	if [ ! -e "$etc/$f" ]; then
		# shellcheck disable=SC2086
		install -m 0640 $owner "$here/$f.example" "$etc/$f"
		echo "installed example /etc/syncd/$f: edit it"
	fi
done

if [ -z "$DESTDIR" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
fi

cat <<NEXT

Next steps (docs/DEPLOYMENT.md):
  1. edit /etc/syncd/syncd.env and /etc/syncd/syncd.yml
  2. put the service account key at /etc/syncd/service-account.json:
       install -m 0640 -o root -g syncd key.json /etc/syncd/service-account.json
  3. check everything, as the daemon will run:
       sudo -u syncd sh -c 'set -a; . /etc/syncd/syncd.env; exec $PREFIX/bin/syncd doctor -config /etc/syncd/syncd.yml'
  4. the same with "migrate" instead of "doctor" (schema syncd and the capture triggers)
  5. systemctl enable --now syncd      (timer mode: systemctl enable --now syncd-reconcile.timer)
  6. the same with "status": syncd's view of itself
NEXT
