// Package selfexe finds the path of the running executable without
// needing /proc: process 1 starts before /proc is mounted, so it asks the
// kernel's auxiliary vector (AT_EXECFN, the file name given to execve)
// instead, and falls back to argv[0].
package selfexe

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

const atExecFn = 31 // AT_EXECFN

// ExecFn returns the file name the kernel executed (AT_EXECFN), or
// argv[0] if the auxiliary vector does not carry it. The name may be
// relative to the working directory at exec time.
func ExecFn() string {
	av := runtime_getAuxv()
	for i := 0; i+1 < len(av); i += 2 {
		if av[i] == atExecFn && av[i+1] != 0 {
			return cstring(av[i+1])
		}
	}
	if len(os.Args) > 0 {
		return os.Args[0]
	}
	return ""
}

// runtime_getAuxv is the auxiliary vector the runtime keeps (pairs of
// type and value), read in place: unix.Auxv copies it, an allocation of a
// size class that nothing else in most commands uses (a page of heap).
// The runtime offers it to other packages by name (golang.org/x/sys uses
// it too).
//
//go:linkname runtime_getAuxv runtime.getAuxv
func runtime_getAuxv() []uintptr

// cstring is the NUL-terminated string at p, in place: AT_EXECFN points
// into the strings at the top of the process's stack, which stay for the
// life of the process.
func cstring(p uintptr) string {
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	n := 0
	for n < 4096 && *(*byte)(unsafe.Add(ptr, n)) != 0 {
		n++
	}
	return unsafe.String((*byte)(ptr), n)
}

func Path() string {
	if err := unix.Access("/proc/self/exe", unix.X_OK); err == nil {
		return "/proc/self/exe"
	}
	return ExecFn()
}
