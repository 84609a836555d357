#!/bin/sh
# Proves the README's set-up on a fresh Debian: debootstraps a minimal
# bookworm (cached in .cache/debian/bookworm-minbase.tar), clones this
# repository into its /root, runs scripts/setup.sh there, then
# `make build` and the short tests (or the make targets given), then
# `make demo` until its machine reaches stage 2. Needs root, debootstrap,
# the Debian archive and the Go module proxy (setup.sh installs qemu in
# the chroot; no KVM).
# Usage: scripts/setup-chroot-test.sh [make targets...] (default: build test-short)
set -eu
cd "$(dirname "$0")/.."
repo=$(pwd)
suite=${SUITE:-bookworm}
mirror=${MIRROR:-http://deb.debian.org/debian}
cache=.cache/debian/$suite-minbase.tar
mkdir -p .cache/debian
if [ ! -s "$cache" ]; then
	tmp=$(mktemp -d /var/tmp/gorunit-debootstrap.XXXXXX)
	debootstrap --variant=minbase "$suite" "$tmp/root" "$mirror" >"$tmp/log" 2>&1 ||
		{ tail -n 20 "$tmp/log" >&2; rm -rf "$tmp"; echo "setup-chroot-test: debootstrap failed" >&2; exit 1; }
	tar -C "$tmp/root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$tmp"
fi
top=$(mktemp -d /var/tmp/gorunit-setup-root.XXXXXX)
root=$top/root-fs
cleanup() {
	umount -R "$root" 2>/dev/null || umount -R -l "$root" 2>/dev/null || true
	rm -rf --one-file-system "$top" # never into a mount left behind
}
trap cleanup EXIT
# The root is a mount point, as on a machine (tests make / private in
# their mount namespaces, which needs / to be one).
mkdir "$root"
mount --bind "$root" "$root"
tar -C "$root" -xf "$cache"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Local CAs of this host (a TLS-inspecting egress proxy, say), which
# ca-certificates adds to the chroot's store when setup.sh installs it.
if ls /usr/local/share/ca-certificates/*.crt >/dev/null 2>&1; then
	mkdir -p "$root/usr/local/share/ca-certificates"
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"
# A clone as a user would have it (git is not in a minimal system, so
# copy the tracked files), with no Go and no PATH entry for /usr/local/go.
mkdir -p "$root/root/gorunit"
git ls-files -z | xargs -0 tar -cf - | tar -C "$root/root/gorunit" -xf -
targets=${*:-build test-short}
chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c "cd /root/gorunit && time ./scripts/setup.sh && time make $targets"
# The second command: make demo boots; it is interactive (the serial
# console on the terminal), so it gets no input and 120 s, and must reach
# stage 2 and the demo's shell prompt.
chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	/bin/bash -c "cd /root/gorunit && timeout 120 make demo </dev/null" >"$root/demo.log" 2>&1 || true
if ! grep -q -e '- runit: enter stage: /etc/runit/2' "$root/demo.log"; then
	tail -n 30 "$root/demo.log"
	echo "setup-chroot-test: make demo did not reach stage 2" >&2
	exit 1
fi
echo "setup-chroot-test: ok ($suite: setup.sh, make $targets, make demo reached stage 2)"
