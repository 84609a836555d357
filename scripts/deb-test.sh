#!/bin/sh
# make deb-test: boots a Debian bookworm root with runit-init, Debian's
# stage scripts and a few runit-services, with the gorunit package
# installed, under qemu, and checks that process 1, runsvdir and every
# runsv are gorunit's, that the services come up, and that `runit-init 0`
# powers the machine off; then removes the package and checks that
# Debian's runit binaries are back.
#
# The root is debootstrapped once (cached in .cache/debian/) and packed,
# whole, into an initramfs (the kernel has ext4 and virtio only as
# modules). Skips (exit 0) when debootstrap cannot reach the archive.
# Every step has a deadline. Needs root, debootstrap, qemu-system-x86,
# cpio; uses KVM when /dev/kvm is usable. DEB: the package (default: make
# one with scripts/mkdeb.sh).
set -eu
cd "$(dirname "$0")/.."
log() { echo "deb-test: $*"; }
fail() { echo "deb-test: FAIL: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "needs root (debootstrap, chroot, dpkg)"
for c in debootstrap qemu-system-x86_64 cpio chroot timeout; do
	command -v "$c" >/dev/null || fail "$c not found (./scripts/setup.sh)"
done
mirror=${MIRROR:-http://deb.debian.org/debian}
services="cron default-syslog getty-tty1 getty-ttyS0"
cache=.cache/debian/bookworm-runit.tar
mkdir -p .cache/debian
if [ ! -s "$cache" ]; then
	tmp=$(mktemp -d /var/tmp/gorunit-debootstrap.XXXXXX)
	log "debootstrap bookworm with runit-init, runit-services, $services (once; cached in $cache)"
	if ! timeout 600 debootstrap --variant=minbase --include="runit-init,runit-services,procps,cron" \
		bookworm "$tmp/root" "$mirror" >"$tmp/log" 2>&1; then
		tail -n 5 "$tmp/log"
		rm -rf "$tmp"
		log "SKIP: debootstrap could not make a bookworm root from $mirror"
		exit 0
	fi
	tar -C "$tmp/root" -cf "$cache.tmp" . && mv "$cache.tmp" "$cache"
	rm -rf "$tmp"
fi
./scripts/qemu/fetch-kernel.sh >/dev/null
kernel=.cache/kernel/vmlinux

work=$(mktemp -d /var/tmp/gorunit-deb-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir "$root"
tar -C "$root" -xf "$cache"
deb=${DEB:-$(./scripts/mkdeb.sh "$work")}
cp "$deb" "$root/tmp/gorunit.deb"
log "dpkg -i $(basename "$deb")"
timeout 120 chroot "$root" dpkg -i /tmp/gorunit.deb >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -i"; }
for f in /sbin/runit /lib/runit/runit-init /usr/bin/runsv /usr/bin/runsvdir /usr/bin/sv; do
	chroot "$root" dpkg-divert --listpackage "$f" | grep -qx gorunit || fail "$f is not diverted by gorunit"
	cmp -s "$root$f" "$root$f.runit" && fail "$f is still Debian's"
done

# The probe: a service that waits for the others, reports on the serial
# console and powers off with runit-init 0.
mkdir -p "$root/etc/sv/debtest"
cat >"$root/etc/sv/debtest/run" <<PROBE
#!/bin/sh
exec >/dev/ttyS1 2>&1 # ttyS0 has the kernel's console and a getty
say() { echo "debtest: \$*"; }
ours() { cmp -s "\$1" "\$2" && ! cmp -s "\$2" "\$2.runit"; }
ours /proc/1/exe /sbin/runit && say "pid1 gorunit runit" || say "pid1 NOT gorunit: \$(readlink /proc/1/exe)"
# Up, by sv status (default-syslog's check script wants a syslog daemon).
for s in $services; do
	i=0
	until sv status /etc/service/\$s | grep -q '^run: '; do
		i=\$((i + 1)); [ \$i -lt 600 ] || break; sleep 0.1
	done
	sv status /etc/service/\$s | grep -q '^run: ' && say "up \$s" || say "DOWN \$s"
done
for p in \$(pidof runsvdir runsv); do
	case \$(cat /proc/\$p/comm) in runsvdir) b=/usr/bin/runsvdir ;; *) b=/usr/bin/runsv ;; esac
	ours /proc/\$p/exe \$b || say "NOT gorunit: \$p \$(cat /proc/\$p/comm)"
done
sv status /etc/service/* | sed 's/^/debtest: status: /'
say "runit-init 0"
sv once /etc/service/debtest # not restarted when this script ends
exec /lib/runit/runit-init 0
PROBE
chmod 755 "$root/etc/sv/debtest/run"
ln -s /etc/sv/debtest "$root/etc/runit/runsvdir/default/debtest"
echo gorunit-debtest >"$root/etc/hostname"
# No initramfs-tools here to mount devtmpfs on /dev (the kernel does not
# for an initramfs root): static nodes for the consoles and the gettys.
node() { [ -e "$root/dev/$1" ] || mknod -m "$2" "$root/dev/$1" c "$3" "$4"; }
for i in 0 1 2 3 4 5 6; do node "tty$i" 620 4 "$i"; done
node ttyS0 620 4 64
node ttyS1 620 4 65
node tty 666 5 0

log "packing the root into an initramfs"
rm -rf "$root/usr/share/doc" "$root/usr/share/man" "$root/usr/share/locale" "$root/var/cache/apt/archives"/*.deb
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

accel=
# As make demo: KVM only when asked for (only where it really works).
if [ "${QEMU_KVM:-}" = 1 ]; then accel="-enable-kvm -cpu host"; fi
log "booting under qemu ${accel:+(KVM)}"
start=$(date +%s)
set +e
timeout 480 qemu-system-x86_64 -nodefaults -no-user-config -machine pc -m 1536 -smp 1 $accel \
	-display none -no-reboot -serial "file:$work/console" -serial "file:$work/probe" \
	-kernel "$kernel" -initrd "$work/initramfs.cpio" \
	-append "console=ttyS0 rdinit=/sbin/init panic=-1 quiet"
rc=$?
set -e
secs=$(($(date +%s) - start))
tr -d '\r' <"$work/probe" >"$work/probe.txt"
sed 's/^/  /' "$work/probe.txt"
if [ "$rc" != 0 ]; then
	tail -n 40 "$work/console"
	[ "$rc" = 124 ] && fail "the machine did not power off within 480 s"
	fail "qemu exited $rc"
fi
grep -q '^debtest: pid1 gorunit runit' "$work/probe.txt" || { cat "$work/console"; fail "process 1 is not gorunit's runit"; }
for s in $services; do
	grep -q "^debtest: up $s" "$work/probe.txt" || { cat "$work/console"; fail "service $s did not come up"; }
done
grep -q '^debtest: NOT gorunit' "$work/probe.txt" && { cat "$work/console"; fail "a runsvdir or runsv is not gorunit's"; }
grep -q '^debtest: runit-init 0' "$work/probe.txt" || fail "the probe did not run runit-init 0"
tr -d '\r' <"$work/console" >"$work/console.txt"
for want in "- runit: enter stage: /etc/runit/3" "- runit: leave stage: /etc/runit/3" "- runit: power off..."; do
	# At the end of a line: a getty's login prompt may come first on it.
	grep -q -e "$(printf '%s' "$want" | sed 's/[].[*^$\/]/\\&/g')\$" "$work/console.txt" || { cat "$work/console.txt"; fail "no console line \"$want\""; }
done
for bad in "Attempted to kill init" "Kernel panic" "- runit: fatal:" "panic:" "goroutine "; do
	grep -qF -e "$bad" "$work/console.txt" && { cat "$work/console.txt"; fail "console: $bad"; }
done
log "booted, services up, powered off by runit-init 0 in ${secs}s"

log "dpkg -r gorunit: Debian's runit binaries come back"
timeout 120 chroot "$root" dpkg -r gorunit >"$work/dpkg.log" 2>&1 || { cat "$work/dpkg.log"; fail "dpkg -r gorunit"; }
[ -z "$(chroot "$root" dpkg-divert --list 'gorunit*')" ] || fail "diversions left after removal"
for f in /sbin/runit /usr/bin/runsv /usr/bin/sv; do
	[ -e "$root$f.runit" ] && fail "$f.runit left after removal"
	chroot "$root" dpkg -S "$f" 2>/dev/null | grep -q '^runit' || fail "$f does not belong to Debian's runit"
done
log "ok"
