#!/bin/sh
# Installs everything gorunit's build, tests, demo and Debian package need,
# on Debian bookworm or later, from Debian's archive and the Go module
# proxy only. Run as root (or through sudo) from anywhere in the clone:
#
#   ./scripts/setup.sh && make demo
#
# - Go: go.mod names go1.26. A Go of 1.21 or later fetches that toolchain
#   itself (GOTOOLCHAIN=auto, through proxy.golang.org) on first use. If
#   no such go is found (bookworm's own golang-go is 1.19, which cannot),
#   golang-go comes from bookworm-backports (the source is added if no
#   apt source names it) or, after bookworm, from the release itself. A go
#   already installed (e.g. /usr/local/go from go.dev/dl) is kept.
# - make, and the tools the tests drive: ps, ip, strace, nsenter/unshare;
#   qemu (without recommends: no GUI), cpio, xz and busybox-static for the
#   real boots; debootstrap for the Debian package's boot test; groff for
#   the man pages; ca-certificates for the module proxy.
# Idempotent: a second run installs nothing.
set -eu

if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { echo "setup.sh: run me as root" >&2; exit 1; }
	exec sudo "$0" "$@"
fi
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

say() { echo "setup.sh: $*"; }

# The go to use: PATH's, else a usual install place.
find_go() {
	for g in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
		if [ -n "$g" ] && [ -x "$g" ]; then echo "$g"; return 0; fi
	done
	return 0
}
# go_minor GO prints the minor version of GO's own toolchain (19 for
# go1.19.8), not the one go.mod would switch to.
go_minor() {
	v=$(cd / && GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null) || v=
	case $v in go1.*) v=${v#go1.}; echo "${v%%[!0-9]*}" ;; *) echo 0 ;; esac
}

pkgs="make ca-certificates procps iproute2 strace util-linux cpio xz-utils busybox-static debootstrap groff-base qemu-system-x86"
need=
for p in $pkgs; do
	dpkg -s "$p" 2>/dev/null | grep -q '^Status: install ok installed' || need="$need $p"
done

go=$(find_go)
gosrc=
if [ -n "$go" ] && [ "$(go_minor "$go")" -ge 21 ]; then
	say "using $go ($(cd / && GOTOOLCHAIN=local "$go" env GOVERSION))"
else
	[ -n "$go" ] && say "$go is older than go1.21 (it cannot fetch go.mod's toolchain): installing golang-go"
	. /etc/os-release
	if [ "${VERSION_CODENAME:-}" = bookworm ]; then
		gosrc=bookworm-backports
		if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
			# The mirror of the existing bookworm source, else deb.debian.org.
			mirror=$(grep -rhsoE 'https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/ | grep -v security | head -n 1 | tr -d ' ')
			mirror=${mirror:-http://deb.debian.org/debian}
			say "adding $mirror bookworm-backports to /etc/apt/sources.list.d/bookworm-backports.list"
			echo "deb $mirror bookworm-backports main" >/etc/apt/sources.list.d/bookworm-backports.list
		fi
	fi
	need="$need golang-go"
fi

if [ -n "$need" ]; then
	say "installing$need"
	apt-get update -qq
	if [ -n "$gosrc" ]; then
		apt-get install -y -qq --no-install-recommends -t "$gosrc" golang-go >/dev/null
		need=$(echo "$need" | sed 's/ golang-go//')
	fi
	[ -z "$need" ] || apt-get install -y -qq --no-install-recommends $need >/dev/null
fi

go=$(find_go)
[ -n "$go" ] || { echo "setup.sh: no go after installing golang-go" >&2; exit 1; }
# go.mod's go version; an older go must be allowed to fetch it
# (GOTOOLCHAIN=auto, written per user to ~/.config/go/env, only when the
# go is older and its default is local, as Debian may build it).
want=$(sed -n 's/^go 1\.\([0-9]*\).*/\1/p' go.mod)
if [ "$(go_minor "$go")" -lt "${want:-0}" ] && [ -z "${GOTOOLCHAIN:-}" ] &&
	[ "$(cd / && "$go" env GOTOOLCHAIN)" = local ]; then
	say "go env -w GOTOOLCHAIN=auto (go.mod names go1.$want)"
	"$go" env -w GOTOOLCHAIN=auto
fi
# Fetch go.mod's toolchain now (a no-op when the installed go is new enough).
v=$("$go" version) || { echo "setup.sh: $go could not get go.mod's toolchain (is proxy.golang.org reachable?)" >&2; exit 1; }
say "toolchain for this repository: $v"
case $(command -v go 2>/dev/null) in
"") say "note: $(dirname "$go") is not in PATH (make finds it there; add it to PATH for go itself)" ;;
esac
