#!/bin/sh
# usage: scripts/container.sh SERVICEDIR
#
# Runs this checkout's bin/runit as process 1 of a container made with
# unshare(1), without Docker: new PID and mount namespaces, a private /run,
# SERVICEDIR as /etc/service, the built-in stages (an empty directory over
# /etc/runit), /proc of the new PID namespace, and this terminal as
# /dev/console (or the file named by $CONSOLE; /dev/null without either).
# Nothing of the host's /run, /etc/service or console is touched.
# SIGTERM or SIGINT to this script is passed to runit, which stops every
# service and exits; the script exits with runit's exit code.
#
# Needs root, unshare from util-linux, and `make build`. Creates the mount
# points /etc/service and /etc/runit if the host has none.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -ne 1 ] || [ ! -d "$1" ]; then
	sed -n '2p' "$0" | sed 's/^# //' >&2
	exit 100
fi
svdir=$(cd "$1" && pwd)
[ -x "$top/bin/runit" ] || { echo "container: $top/bin/runit not built: run make build" >&2; exit 111; }
console=${CONSOLE:-$(tty 2>/dev/null || echo /dev/null)}
empty=$(mktemp -d "${TMPDIR:-/tmp}/container.XXXXXX") || exit 111
mkdir -p /etc/service /etc/runit
unshare --pid --fork --mount --propagation private --mount-proc sh -c '
	set -e
	mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
	mount --bind "$1" /etc/service
	mount --bind "$2" /etc/runit
	[ "$3" = /dev/null ] || mount --bind "$3" /dev/console
	PATH=$4:/usr/sbin:/usr/bin:/sbin:/bin
	export PATH
	exec runit' sh "$svdir" "$empty" "$console" "$top/bin" &
pid=$!
# runit is the child of unshare (unshare itself ignores TERM).
stop() {
	kill -TERM "$(cat /proc/$pid/task/$pid/children 2>/dev/null)" 2>/dev/null
}
trap stop TERM INT
while :; do
	wait "$pid"
	code=$?
	kill -0 "$pid" 2>/dev/null || break
done
# If a signal interrupted the last wait, the status is still to collect.
wait "$pid" 2>/dev/null
c=$?
[ "$c" -eq 127 ] || code=$c
rmdir "$empty"
exit "$code"
