// Package qemutest boots a real Linux kernel (Debian's, under qemu, with
// software emulation) with gorunit as process 1 and the example tree of
// etc-examples, and checks what a runit user relies on: the three stages,
// the example services (up, checked, logging), sv up/down/restart,
// reaping, power-off, reboot, Ctrl-Alt-Del, a stage 2 that exits 111 and
// the built-in stages.
//
// The tests are behind the build tag qemu: run them with `make qemu-test`
// (go test -tags qemu ./qemu-test/). They need qemu-system-x86_64, cpio,
// xz, apt-get and dpkg (the kernel is fetched once into .cache/kernel by
// scripts/qemu/fetch-kernel.sh) and a static busybox (`make oracle`).
//
// Environment:
//
//	QEMU_KVM=1            use KVM (-enable-kvm -cpu host); off by default:
//	                      KVM cannot run a stock kernel on the CI machines.
//	QEMU_TEST_LOGDIR=dir  save every boot's console output there.
//	QEMU_BOOT_TIMES=n     TestBootTimes: boot n times (ours, and runit's
//	                      Debian binaries when `make oracle` fetched them)
//	                      and report the median times to "all services
//	                      up" and to power-off.
package qemutest
