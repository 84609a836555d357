// Package storm makes process storms for the tests and benchmarks of
// process 1: many processes created with raw clone(2) system calls, so
// that no Go runtime runs in the children (a forked Go runtime with one
// thread must not run Go code).
//
// Orphans makes a middle process that forks n children blocked on a pipe
// and exits at once: n orphans for process 1 (or the nearest subreaper),
// which all exit together when the pipe's write end is closed. Forks makes
// a middle process that n times forks a child that forks a grandchild and
// exits: a stream of orphans that exit as soon as they are re-parented.
package storm

import (
	"os"
	"runtime"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

//go:nosplit
//go:norace
func rawClone() (uintptr, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	return pid, e
}

//go:nosplit
//go:norace
func rawExit() {
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
}

// orphans runs in the raw-cloned middle process: n children that close
// wfd and block reading rfd, then exit.
//
//go:nosplit
//go:norace
func orphans(n int, rfd, wfd uintptr) {
	for i := 0; i < n; i++ {
		pid, e := rawClone()
		if e == 0 && pid == 0 {
			var b [1]byte
			syscall.RawSyscall(syscall.SYS_CLOSE, wfd, 0, 0)
			syscall.RawSyscall(syscall.SYS_READ, rfd, uintptr(unsafe.Pointer(&b[0])), 1)
			rawExit()
		}
	}
	rawExit()
}

// forks runs in the raw-cloned middle process: n times a child that forks
// a grandchild and exits; the middle reaps the child, the orphaned
// grandchild exits at once.
//
//go:nosplit
//go:norace
func forks(n int) {
	for i := 0; i < n; i++ {
		pid, e := rawClone()
		if e != 0 {
			continue
		}
		if pid == 0 {
			rawClone() // grandchild and child alike exit
			rawExit()
		}
		syscall.RawSyscall6(syscall.SYS_WAIT4, pid, 0, 0, 0, 0, 0)
	}
	rawExit()
}

//go:nosplit
//go:norace
func middle(orphan bool, n int, rfd, wfd uintptr) (int, syscall.Errno) {
	pid, e := rawClone()
	if e != 0 {
		return 0, e
	}
	if pid == 0 {
		if orphan {
			orphans(n, rfd, wfd)
		}
		forks(n)
	}
	return int(pid), 0
}

// Orphans starts the middle process of an orphan storm of n processes
// blocked reading rfd (a pipe whose write end wfd the caller closes to let
// them all exit). It returns the middle's pid, which the caller reaps.
func Orphans(n int, rfd, wfd int) (int, error) {
	return start(true, n, rfd, wfd)
}

// Forks starts the middle process of a fork storm of n short-lived
// orphans. It returns the middle's pid, which the caller reaps.
func Forks(n int) (int, error) {
	return start(false, n, 0, 0)
}

// start clones the middle process with every signal blocked on the
// calling thread, so that no signal handler (Go code) runs in the raw
// children.
func start(orphan bool, n int, rfd, wfd int) (int, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	pid, e := middle(orphan, n, uintptr(rfd), uintptr(wfd))
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if e != 0 {
		return 0, e
	}
	return pid, nil
}

// CountProcs is the number of processes in this PID namespace's /proc
// (-1 if /proc cannot be read).
func CountProcs() int {
	d, err := os.Open("/proc")
	if err != nil {
		return -1
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := 0
	for _, s := range names {
		if s[0] >= '0' && s[0] <= '9' {
			n++
		}
	}
	return n
}
