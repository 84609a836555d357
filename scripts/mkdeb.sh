#!/bin/sh
# Builds the Debian package gorunit_VERSION_ARCH.deb from ./bin (make
# build) and ./man, with dpkg-deb, offline. Layout (see README, "Debian
# package"):
#   runit's commands at Debian runit's paths: /sbin/runit,
#     /lib/runit/runit-init, /usr/bin/{chpst,runsv,runsvdir,sv,svlogd},
#     /usr/sbin/{runsvchdir,utmpset}; Debian's are diverted to NAME.runit
#     (debian/preinst, postrm) and Debian's runit package stays installed
#     for its scripts;
#   every other command in ./bin (daemontools names, chpst's
#     personalities, a multi-call binary) in /usr/lib/gorunit/bin;
#   man/NAME.N: runit's names to /usr/share/man/manN (Debian's section-8
#     pages of the same name are diverted), the others to
#     /usr/lib/gorunit/man/manN.
# A command that is a symbolic or hard link to another (one multi-call
# binary) is installed once; the others become symbolic links to it.
# Usage: scripts/mkdeb.sh [OUTDIR] (default .); BIN and MAN name other
# directories than ./bin and ./man (the package's test uses them).
set -eu
out=$(cd "${1:-.}" && pwd)
[ -z "${BIN:-}" ] || BIN=$(cd "$BIN" && pwd)
[ -z "${MAN:-}" ] || MAN=$(cd "$MAN" && pwd)
cd "$(dirname "$0")/.."
bin=${BIN:-bin}
man=${MAN:-man}
[ -x "$bin/runsv" ] || { echo "mkdeb: $bin is not built (make build)" >&2; exit 1; }

version=${DEB_VERSION:-}
if [ -z "$version" ]; then
	if git rev-parse --git-dir >/dev/null 2>&1; then
		version=0.1~git$(git log -1 --format=%cd --date=format:%Y%m%d).$(git rev-parse --short HEAD)
	else
		version=0.1
	fi
fi
arch=$(dpkg --print-architecture)

# Debian runit's commands and where its package puts them.
runit_path() {
	case $1 in
	runit) echo /sbin ;;
	runit-init) echo /lib/runit ;;
	chpst|runsv|runsvdir|sv|svlogd) echo /usr/bin ;;
	runsvchdir|utmpset) echo /usr/sbin ;;
	*) return 1 ;;
	esac
}
# runit's man pages (all in section 8), which ours of the same name replace.
runit_man="chpst runit runit-init runsv runsvchdir runsvdir sv svlogd utmpset"
# Names Debian's daemontools package also installs.
daemontools="svok svc svstat multilog tai64nlocal envdir envuidgid setuidgid softlimit setlock pgrphack"

root=$(mktemp -d "${TMPDIR:-/tmp}/gorunit-deb.XXXXXX")
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"
umask 022
divert=
seen=      # "inode:path" of each installed binary
# The multi-call binary first, as /lib/runit/gorunit (beside runit-init, on
# the root file system, as make install puts it): every name is then a
# symbolic link to it, and gorunit picks the command by that name (a real
# file named after one command, e.g. chpst, would make every name chpst).
first_gorunit=
for src in "$bin/gorunit" "$bin"/*; do
	[ -e "$src" ] || continue
	name=${src##*/}
	[ -f "$src" ] || continue
	if [ "$name" = gorunit ]; then
		[ -z "$first_gorunit" ] || continue
		first_gorunit=1
		dir=/lib/runit
	elif dir=$(runit_path "$name"); then
		divert="$divert $dir/$name"
	else
		dir=/usr/lib/gorunit/bin
	fi
	mkdir -p "$root$dir"
	ino=$(stat -L -c '%d:%i' "$src")
	first=$(printf '%s\n' $seen | sed -n "s|^$ino=||p" | head -n 1)
	if [ -n "$first" ]; then
		ln -s "$first" "$root$dir/$name"
	else
		install -m 0755 "$src" "$root$dir/$name" # follows a symbolic link
		seen="$seen $ino=$dir/$name"
	fi
done

for page in "$man"/*.[1-8]; do
	[ -f "$page" ] || continue
	base=${page##*/}
	name=${base%.[1-8]}
	sec=${base##*.}
	mandir=/usr/lib/gorunit/man/man$sec
	case " $runit_man " in
	*" $name "*)
		mandir=/usr/share/man/man$sec
		[ "$sec" = 8 ] && divert="$divert $mandir/$base.gz"
		;;
	*)
		# Not a name of daemontools' (gorunit.7, say): where man finds it.
		case " $daemontools " in *" $name "*) ;; *) mandir=/usr/share/man/man$sec ;; esac
		;;
	esac
	mkdir -p "$root$mandir"
	gzip -9n <"$page" >"$root$mandir/$base.gz"
	chmod 0644 "$root$mandir/$base.gz"
done

doc=$root/usr/share/doc/gorunit
mkdir -p "$doc"
{
	echo "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
	echo "Upstream-Name: gorunit"
	echo
	echo "Files: *"
	echo "Copyright: gorunit authors"
	echo "License: BSD-3-clause"
	echo
	echo "License: BSD-3-clause"
	sed -e 's/^$/./' -e 's/^/ /' LICENSE
} >"$doc/copyright"
gzip -9n <README.md >"$doc/README.md.gz"
chmod 0644 "$doc/copyright" "$doc/README.md.gz"

mkdir -p "$root/DEBIAN"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@SIZE@|$size|" debian/control.in >"$root/DEBIAN/control"
for s in preinst postinst postrm; do
	sed "s|@DIVERT@|${divert# }|" "debian/$s" >"$root/DEBIAN/$s"
	chmod 0755 "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\n' | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
deb=$out/gorunit_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
