#!/bin/sh
# Fetch runit's and busybox-static's Debian packages and extract them (no
# install) under .cache/oracle: the reference binaries the tests and
# benchmarks compare against.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
dest="$top/.cache/oracle"
if [ -x "$dest/runit/usr/bin/runsv" ] && [ -x "$dest/busybox/bin/busybox" ]; then
	exit 0
fi
mkdir -p "$dest/debs"
cd "$dest/debs"
fetch() {
	apt-get download "$@" 2>/dev/null || { apt-get update -qq && apt-get download "$@"; }
}
ls runit_*.deb >/dev/null 2>&1 || fetch runit
ls busybox-static_*.deb >/dev/null 2>&1 || fetch busybox-static
rm -rf "$dest/runit" "$dest/busybox"
dpkg -x runit_*.deb "$dest/runit"
dpkg -x busybox-static_*.deb "$dest/busybox"
echo "oracle: $(ls runit_*.deb busybox-static_*.deb | tr '\n' ' ')"
