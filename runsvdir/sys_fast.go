//go:build linux && (amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x || mips64 || mips64le)

package runsvdir

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// statAt is fstatat(dirfd, name, st, 0) for a NUL-terminated name, without
// the allocation unix.Fstatat makes to terminate a Go string.
func statAt(dirfd int, name *byte, st *unix.Stat_t) error {
	for {
		_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dirfd), uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(st)), 0, 0, 0)
		switch e {
		case 0:
			return nil
		case unix.EINTR:
			continue
		}
		return e
	}
}
