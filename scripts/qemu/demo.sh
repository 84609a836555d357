#!/bin/sh
# `make demo`: boot the example tree (etc-examples) in qemu with gorunit as
# process 1 and the serial console on this terminal.
#
#   DEMO_VARIANT=builtin  the tree without stage scripts (built-in stages)
#   DEMO_RUNIT=debian     runit's Debian binaries instead of ours
#   QEMU_KVM=1            use KVM (only where KVM really works)
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
command -v qemu-system-x86_64 >/dev/null || {
	echo "demo: qemu-system-x86_64 not found: apt-get install qemu-system-x86 cpio busybox-static" >&2
	exit 1
}
./scripts/qemu/fetch-kernel.sh
# A static busybox: busybox-static's, or the one `make oracle` fetches.
# (A dynamically linked busybox names its loader.)
if { [ ! -x /bin/busybox ] || grep -qa -e '/ld-linux' -e '/ld-musl' /bin/busybox; } && [ ! -x .cache/oracle/busybox/bin/busybox ]; then
	./scripts/fetch-oracle.sh
fi
flags=
[ "${DEMO_VARIANT:-}" = builtin ] && flags="$flags -B"
[ "${DEMO_RUNIT:-}" = debian ] && flags="$flags -D"
mkdir -p .cache/demo
# shellcheck disable=SC2086
./scripts/qemu/mkinitramfs.sh $flags .cache/demo/initramfs.cpio
accel=
[ "${QEMU_KVM:-}" = 1 ] && accel="-enable-kvm -cpu host"
cat <<'MSG'

  gorunit demo: Debian's kernel boots with gorunit's runit as process 1
  (software emulation, a few seconds). Then, on the console shell:

    sv status /etc/service/*        the example services
    sv restart /etc/service/httpd   restart one (sv down / sv up ...)
    cat /var/log/greeter/current    their logs (svlogd -tt)
    wget -q -O - http://127.0.0.1/  ask the web server
    runit-init 6                    reboot (stage 3, then boots again)
    runit-init 0                    power off (stage 3 stops every service)

  Leave qemu at any time with Ctrl-a x.

MSG
# shellcheck disable=SC2086
exec qemu-system-x86_64 -nodefaults -no-user-config -machine pc -m 256 -smp 1 \
	-display none -serial mon:stdio $accel \
	-kernel .cache/kernel/vmlinux -initrd .cache/demo/initramfs.cpio \
	-append "console=ttyS0 rdinit=/sbin/init quiet"
