package sv

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// sv's per-service system calls (open, read, close, chdir, stat) are quick
// and never block: the FIFO is opened non-blocking, the rest are local
// file-system calls. They are made without the Go scheduler's
// entersyscall/exitsyscall bookkeeping, which costs more than the calls
// themselves when sv looks at many services. Anything that can block
// (writes to stdout, waiting) goes through the ordinary wrappers.

var fdcwd = unix.AT_FDCWD

func cpath(p string) (*byte, error) { return unix.BytePtrFromString(p) }

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

func rawOpen(path string, flags int) (int, error) {
	p, err := cpath(path)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(fdcwd), uintptr(unsafe.Pointer(p)), uintptr(flags|unix.O_CLOEXEC), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawClose(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

func rawChdir(path string) error {
	p, err := cpath(path)
	if err != nil {
		return err
	}
	_, _, e := unix.RawSyscall(unix.SYS_CHDIR, uintptr(unsafe.Pointer(p)), 0, 0)
	return errnoErr(e)
}

func rawStat(path string) error {
	p, err := cpath(path)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	_, _, e := unix.RawSyscall6(unix.SYS_NEWFSTATAT, uintptr(fdcwd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&st)), 0, 0, 0)
	return errnoErr(e)
}
