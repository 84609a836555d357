// Package sysio holds the small system-call helpers every program needs
// and would otherwise write again: writing a whole buffer, reading a small
// file, finding a program in $PATH, and the raw (scheduler-free) calls
// used on hot paths.
package sysio

import (
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Raw* calls are quick and never block (a FIFO is opened
// non-blocking, the rest are local file-system calls). They are made
// without the Go scheduler's entersyscall/exitsyscall bookkeeping, which
// costs more than the calls themselves when a program such as sv looks at
// many services. Anything that can block (writes to stdout, waiting) must
// go through the ordinary wrappers.

var fdcwd = unix.AT_FDCWD

func errnoErr(e unix.Errno) error {
	if e == 0 {
		return nil
	}
	return e
}

// shortPath is the size of the stack buffer the Raw* calls copy a path
// into (with its NUL): paths of up to shortPath-1 bytes cost no
// allocation, so that sv can look at many services without producing
// garbage; longer ones go through unix.BytePtrFromString.
const shortPath = 256

// cstr returns path as a NUL-terminated C string, in buf if it fits;
// EINVAL for a path that holds a NUL (as unix.BytePtrFromString).
func cstr(buf *[shortPath]byte, path string) (*byte, error) {
	if len(path) >= len(buf) {
		return unix.BytePtrFromString(path)
	}
	if strings.IndexByte(path, 0) >= 0 {
		return nil, unix.EINVAL
	}
	copy(buf[:], path)
	buf[len(path)] = 0
	return &buf[0], nil
}

// RawOpen is openat(AT_FDCWD, path, flags|O_CLOEXEC).
func RawOpen(path string, flags int) (int, error) {
	var buf [shortPath]byte
	p, err := cstr(&buf, path)
	if err != nil {
		return -1, err
	}
	r, _, e := unix.RawSyscall6(unix.SYS_OPENAT, uintptr(fdcwd), uintptr(unsafe.Pointer(p)), uintptr(flags|unix.O_CLOEXEC), 0, 0, 0)
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// RawClose closes fd.
func RawClose(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

// RawRead is one read(2) into b (which must not be empty).
func RawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	if e != 0 {
		return -1, e
	}
	return int(r), nil
}

// RawChdir is chdir(2).
func RawChdir(path string) error {
	var buf [shortPath]byte
	p, err := cstr(&buf, path)
	if err != nil {
		return err
	}
	_, _, e := unix.RawSyscall(unix.SYS_CHDIR, uintptr(unsafe.Pointer(p)), 0, 0)
	return errnoErr(e)
}

// RawStat stats path (following links) and reports only the error.
func RawStat(path string) error {
	var buf [shortPath]byte
	p, err := cstr(&buf, path)
	if err != nil {
		return err
	}
	var st unix.Stat_t
	_, _, e := unix.RawSyscall6(unix.SYS_NEWFSTATAT, uintptr(fdcwd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(&st)), 0, 0, 0)
	return errnoErr(e)
}

// ReadSmall reads the start of a small file into b with one read: the
// number of bytes read, or -1 if it cannot be opened or read. It is for
// files such as notification-fd and supervise/ready, whose first bytes
// are all that matters.
func ReadSmall(path string, b []byte) int {
	fd, err := RawOpen(path, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return -1
	}
	n, err := RawRead(fd, b)
	RawClose(fd)
	if err != nil {
		return -1
	}
	return n
}
