package main

// `bench storm N`: runs inside the namespace of row 6, started by stage 2.
//
// It forks a middle process, which forks N children and exits: the N
// children become orphans, re-parented to process 1. Each child blocks
// reading a pipe. When we close the pipe's write end, all N read EOF and
// exit at once, and process 1 has N zombies to reap. We time from the
// close until /proc (the namespace's own) holds no more processes than
// before the storm. We also report how much CPU time process 1 (all its
// threads) spent meanwhile: the cost of reaping itself, apart from the
// kernel's work of ending 10,000 processes.
//
// The children are made with raw clone(2) system calls and do nothing
// but raw system calls: a forked copy of a Go process cannot run Go code
// (no runtime threads in it), so all signals stay blocked around the
// fork and the child code must not grow its stack (go:nosplit).

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

//go:nosplit
//go:norace
func stormChildren(n int, rfd, wfd uintptr) {
	for i := 0; i < n; i++ {
		pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if e == 0 && pid == 0 {
			var b [1]byte
			syscall.RawSyscall(syscall.SYS_CLOSE, wfd, 0, 0)
			syscall.RawSyscall(syscall.SYS_READ, rfd, uintptr(unsafe.Pointer(&b[0])), 1)
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
}

//go:nosplit
//go:norace
func forkMiddle(n int, rfd, wfd uintptr) (int, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	if pid == 0 {
		stormChildren(n, rfd, wfd)
	}
	return int(pid), 0
}

func countProcs() int {
	d, err := os.Open("/proc")
	if err != nil {
		return -1
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	n := 0
	for _, s := range names {
		if s[0] >= '0' && s[0] <= '9' {
			n++
		}
	}
	return n
}

func stormMain(args []string) {
	n := stormOrphans
	if len(args) > 0 {
		n, _ = strconv.Atoi(args[0])
	}
	runtime.LockOSThread()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		fatal("storm: pipe: " + err.Error())
	}
	base := countProcs()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	mid, e := forkMiddle(n, uintptr(p[0]), uintptr(p[1]))
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if e != 0 {
		fatal("storm: clone: " + e.Error())
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(mid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	orphans := countProcs() - base
	_, cpu0 := taskStats(1)
	t0 := time.Now()
	unix.Close(p[1]) // every orphan reads EOF and exits
	for countProcs() > base {
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(t0)
	_, cpu1 := taskStats(1)
	os.Stdout.WriteString("orphans=" + strconv.Itoa(orphans) + " us=" + strconv.FormatInt(el.Microseconds(), 10) +
		" pid1cpu_us=" + strconv.FormatInt((cpu1-cpu0)/1000, 10) + "\n")
}
