#!/bin/sh
# usage: docker-test/image.sh [TAG]
#
# Builds the example image (docker-test/Dockerfile) as TAG (default
# gorunit-example) from ./bin (make build) and busybox-static from
# .cache/oracle/busybox (make oracle). The build context is put together
# in .cache/docker/ctx. DOCKER names the client (default /usr/bin/docker);
# DOCKER_HOST, if set, the engine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-gorunit-example}
docker=${DOCKER:-/usr/bin/docker}
bb=$top/.cache/oracle/busybox/bin/busybox
[ -x "$top/bin/gorunit" ] || { echo "image: bin/gorunit not built: run make build" >&2; exit 111; }
[ -x "$bb" ] || { echo "image: $bb missing: run make oracle" >&2; exit 111; }
ctx=$top/.cache/docker/ctx
rm -rf "$ctx"
mkdir -p "$ctx/busybox" "$ctx/root/lib/runit" "$ctx/root/sbin" "$ctx/root/usr/bin"
# The one binary, and its names as symbolic links (as make install lays them).
cp "$top/bin/gorunit" "$ctx/root/lib/runit/gorunit"
for f in runit runit-init; do ln -s /lib/runit/gorunit "$ctx/root/sbin/$f"; done
for f in runsvdir runsv sv svlogd chpst; do ln -s /lib/runit/gorunit "$ctx/root/usr/bin/$f"; done
cp "$bb" "$ctx/busybox/busybox"
# busybox's applets as symlinks, but for the names our binaries take.
for a in $("$bb" --list); do
	case " sv svlogd chpst runsv runsvdir " in *" $a "*) continue ;; esac
	[ "$a" = busybox ] || ln -s busybox "$ctx/busybox/$a"
done
cp -a "$top/docker-test/example/." "$ctx/root/"
mkdir -p "$ctx/root/run" "$ctx/root/tmp" "$ctx/root/var/log" "$ctx/root/proc" "$ctx/root/sys" "$ctx/root/dev"
chmod 1777 "$ctx/root/tmp"
cp "$top/docker-test/Dockerfile" "$ctx/Dockerfile"
exec "$docker" build -q -t "$tag" "$ctx"
