#!/bin/sh
# Build an initramfs (newc cpio, uncompressed) that boots gorunit as
# process 1: busybox-static for /bin/sh and the usual tools, our commands
# from ./bin at Debian's paths (/sbin/runit, /lib/runit/runit-init,
# /sbin/init -> runit-init, /usr/bin/{runsv,sv,...}), and the example
# tree (etc-examples) on top. Boot it with rdinit=/sbin/init.
#
# usage: mkinitramfs.sh [-B] [-D] [-b bindir] [-t tree] [-z busybox] [-a overlay]... out.cpio
#   -B          the built-in stages variant: no /etc/runit/1, 2, 3, ctrlaltdel
#   -D          runit's Debian binaries (.cache/oracle, plus the glibc
#               libraries they need) instead of ours
#   -b bindir   our commands (default: ./bin)
#   -t tree     the example tree (default: ./etc-examples)
#   -z busybox  a static busybox (default: .cache/oracle/busybox/bin/busybox,
#               else /bin/busybox from busybox-static)
#   -a overlay  a directory copied on top of the tree (repeatable)
# Needs no root: cpio -R 0:0 makes every file root's.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
bindir=$top/bin
tree=$top/etc-examples
busybox=
builtin=
debian=
overlays=
while getopts BDb:t:z:a: o; do
	case $o in
	B) builtin=1 ;;
	D) debian=1 ;;
	b) bindir=$OPTARG ;;
	t) tree=$OPTARG ;;
	z) busybox=$OPTARG ;;
	a) overlays="$overlays
$OPTARG" ;;
	*) sed -n '/^# usage/,/^# Needs/p' "$0" >&2; exit 100 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { sed -n '/^# usage/,/^# Needs/p' "$0" >&2; exit 100; }
case $1 in /*) out=$1 ;; *) out=$(pwd)/$1 ;; esac
if [ -z "$busybox" ]; then
	for b in "$top/.cache/oracle/busybox/bin/busybox" /bin/busybox /usr/bin/busybox; do
		# A dynamically linked program names its loader (PT_INTERP):
		# no need for file(1), which minimal systems lack.
		if [ -x "$b" ] && ! grep -qa -e '/ld-linux' -e '/ld-musl' "$b"; then
			busybox=$b
			break
		fi
	done
fi
[ -n "$busybox" ] || { echo "mkinitramfs: no static busybox: run make oracle or apt-get install busybox-static" >&2; exit 1; }

stage=$(mktemp -d "${TMPDIR:-/tmp}/initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
cd "$stage"
mkdir -p bin sbin usr/bin usr/sbin lib/runit etc proc sys dev run tmp root var/log
chmod 1777 tmp
chmod 700 root

# busybox and its applets (never its init: /sbin/init is runit-init).
cp "$busybox" bin/busybox
for a in $("$busybox" --list-full); do
	case $a in sbin/init|linuxrc|bin/busybox) continue ;; esac
	ln -s /bin/busybox "$a"
done

# runit's commands at Debian's paths.
install_cmd() { # name source
	case $1 in
	runit) d=sbin ;;
	runit-init|gorunit) d=lib/runit ;;
	runsvchdir|utmpset) d=usr/sbin ;;
	*) d=usr/bin ;;
	esac
	rm -f "$d/$1"
	cp "$2" "$d/$1"
	chmod 755 "$d/$1"
}
if [ -n "$debian" ]; then
	o=$top/.cache/oracle/runit
	[ -x "$o/sbin/runit" ] || { echo "mkinitramfs: no $o: run make oracle" >&2; exit 1; }
	for f in sbin/runit lib/runit/runit-init usr/bin/runsv usr/bin/runsvdir usr/bin/sv \
		usr/bin/svlogd usr/bin/chpst usr/sbin/runsvchdir usr/sbin/utmpset; do
		install_cmd "$(basename "$f")" "$o/$f"
		# The shared libraries they need, at the same paths.
		for l in $(ldd "$o/$f" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
			mkdir -p ".$(dirname "$l")"
			[ -e ".$l" ] || cp -L "$l" ".$l"
		done
	done
	for p in envdir envuidgid setuidgid softlimit setlock pgrphack; do ln -sf chpst "usr/bin/$p"; done
else
	[ -x "$bindir/runit" ] && [ -x "$bindir/runit-init" ] || { echo "mkinitramfs: no $bindir/runit: run make build" >&2; exit 1; }
	# The multi-call binary as /lib/runit/gorunit, every other name
	# (a symlink to it in ./bin) as a symlink to it at its Debian path,
	# as make install does.
	[ -x "$bindir/gorunit" ] || { echo "mkinitramfs: no $bindir/gorunit: run make build" >&2; exit 1; }
	install_cmd gorunit "$bindir/gorunit"
	for f in "$bindir"/*; do
		n=$(basename "$f")
		[ -L "$f" ] || continue
		case $n in
		runit) d=sbin ;;
		runit-init) d=lib/runit ;;
		runsvchdir|utmpset) d=usr/sbin ;;
		*) d=usr/bin ;;
		esac
		rm -f "$d/$n"
		ln -s /lib/runit/gorunit "$d/$n"
	done
fi
# As Debian's runit-init package: /sbin/init is runit-init; also on PATH
# as runit-init (runit-init 0: power off, runit-init 6: reboot).
rm -f sbin/init sbin/runit-init
ln -s /lib/runit/runit-init sbin/init
ln -s /lib/runit/runit-init sbin/runit-init

# The example tree, then the overlays.
cp -a "$tree/." .
rm -f ./README.md
if [ -n "$builtin" ]; then
	rm -f etc/runit/1 etc/runit/2 etc/runit/3 etc/runit/ctrlaltdel
fi
echo "$overlays" | while IFS= read -r ov; do
	[ -n "$ov" ] || continue
	cp -a "$ov/." .
done

find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet >"$out"
