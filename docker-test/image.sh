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
for f in runit runit-init runsvdir runsv sv svlogd chpst; do
	[ -x "$top/bin/$f" ] || { echo "image: bin/$f not built: run make build" >&2; exit 111; }
done
[ -x "$bb" ] || { echo "image: $bb missing: run make oracle" >&2; exit 111; }
ctx=$top/.cache/docker/ctx
rm -rf "$ctx"
mkdir -p "$ctx/bin" "$ctx/busybox" "$ctx/root"
for f in runit runit-init runsvdir runsv sv svlogd chpst; do
	cp "$top/bin/$f" "$ctx/bin/$f"
done
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
