//go:build linux && !(amd64 || arm64 || riscv64 || ppc64 || ppc64le || s390x || mips64 || mips64le)

package runsvdir

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// statAt is fstatat(dirfd, name, st, 0) for a NUL-terminated name.
func statAt(dirfd int, name *byte, st *unix.Stat_t) error {
	return unix.Fstatat(dirfd, unix.BytePtrToString(name), st, 0)
}

var _ = unsafe.Pointer(nil)
