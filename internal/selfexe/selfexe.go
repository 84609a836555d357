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
	if av, err := unix.Auxv(); err == nil {
		for _, kv := range av {
			if kv[0] == atExecFn && kv[1] != 0 {
				return cstring(kv[1])
			}
		}
	}
	if len(os.Args) > 0 {
		return os.Args[0]
	}
	return ""
}

// cstring copies the NUL-terminated string at address p (in the initial
// process stack, which lives as long as the process).
func cstring(p uintptr) string {
	ptr := *(*unsafe.Pointer)(unsafe.Pointer(&p))
	n := 0
	for n < 4096 && *(*byte)(unsafe.Add(ptr, n)) != 0 {
		n++
	}
	return string(unsafe.Slice((*byte)(ptr), n))
}

// Path returns a path by which the running executable can be executed
// again: /proc/self/exe when /proc is mounted (it works even if the file
// was replaced or deleted), else the AT_EXECFN name.
func Path() string {
	if err := unix.Access("/proc/self/exe", unix.X_OK); err == nil {
		return "/proc/self/exe"
	}
	return ExecFn()
}
