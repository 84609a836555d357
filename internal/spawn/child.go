package spawn

import (
	"syscall"
	"unsafe"
)

// The child's side. After the clone the child has one thread, this one,
// and either a copy of the parent's memory (whose Go runtime state is a
// snapshot that must not be used: other threads may have held its locks)
// or, with CLONE_VM, the parent's memory itself, shared with the running
// parent until the execve: it must write nothing but its own stack and its
// slot's job. Nothing here may allocate, grow the stack, be preempted or
// run a signal handler of the runtime. So every function from forkChild
// (vmChild) on is
//
//   - //go:nosplit: no stack check (a check would compare against the
//     parent goroutine's bounds; the copy's stack is the copy of the
//     goroutine's, and the linker checks that the nosplit chain
//     forkChild → child → helpers → syscall.RawSyscall6 → the runtime's
//     assembly fits the stack guard that the parent's caller of forkChild
//     ensured; the CLONE_VM child has a stack of stackSize of its own);
//   - //go:norace (no race detector calls) and //go:nocheckptr;
//   - written with locals that do not escape, no defer, no closures, no
//     slices or bounds-checked indexing (descriptors are reached with
//     unsafe.Add), no writes of pointers (no write barriers).
//
// TestChildCallsNothing checks in the compiled test binary that these
// functions call nothing but syscall.RawSyscall6 and each other.
// Signals are all blocked from before the clone until the child has reset
// the runtime's handlers to SIG_DFL, so no Go handler runs in the child.

// forkChild blocks every signal on the calling thread (which the parent
// has locked), clones, and in the parent restores the mask and returns the
// child's pid. The child never returns from it.
//
//go:nosplit
//go:norace
//go:nocheckptr
//go:noinline
func forkChild(j *job) (pid uintptr, errno syscall.Errno) {
	all := ^uint64(0)
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&all)), uintptr(unsafe.Pointer(&j.mask)), 8, 0, 0)
	if j.clone3 {
		pid, _, errno = syscall.RawSyscall6(sysClone3, uintptr(unsafe.Pointer(&j.args)), unsafe.Sizeof(j.args), 0, 0, 0, 0)
	} else {
		// x86-64 and arm64 order: flags, stack (0: the same, a copy),
		// parent_tid (CLONE_PIDFD's answer), child_tid, tls.
		pid, _, errno = syscall.RawSyscall6(syscall.SYS_CLONE, j.flags, 0, uintptr(unsafe.Pointer(&j.pidfd)), 0, 0, 0)
	}
	if errno == 0 && pid == 0 {
		child(j)
	}
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&j.mask)), 0, 8, 0, 0)
	return pid, errno
}

// child sets itself up and executes the program; on failure it writes
// its record and exits ExitCode. It never returns.
//
//go:nosplit
//go:norace
//go:nocheckptr
func child(j *job) {
	var errno syscall.Errno
	w := j.errw
	if j.resetSigs {
		resetSignals()
	}
	// The mask the parent's thread had (the kernel passes it on at exec).
	syscall.RawSyscall6(syscall.SYS_RT_SIGPROCMASK, sigSetmask, uintptr(unsafe.Pointer(&j.mask)), 0, 8, 0, 0)
	if j.fixRlim {
		restoreRlimit(j)
	}
	if j.setsid {
		_, _, errno = syscall.RawSyscall6(syscall.SYS_SETSID, 0, 0, 0, 0, 0, 0)
		if errno != 0 {
			fail(w, errno)
		}
	}
	w, errno = moveFds(j, w)
	if errno == 0 && j.dir != nil {
		_, _, errno = syscall.RawSyscall6(syscall.SYS_CHDIR, uintptr(unsafe.Pointer(j.dir)), 0, 0, 0, 0, 0)
	}
	if errno == 0 {
		_, _, errno = syscall.RawSyscall6(syscall.SYS_EXECVE, uintptr(unsafe.Pointer(j.path)),
			uintptr(unsafe.Pointer(j.argv)), uintptr(unsafe.Pointer(j.envv)), 0, 0, 0)
	}
	fail(w, errno)
}

// fail writes the child's record to the pipe w and exits ExitCode.
//
//go:nosplit
//go:norace
//go:nocheckptr
func fail(w int, errno syscall.Errno) {
	var rec record
	p, _, _ := syscall.RawSyscall6(syscall.SYS_GETPID, 0, 0, 0, 0, 0, 0)
	rec.pid, rec.errno = int32(p), int32(errno)
	syscall.RawSyscall6(syscall.SYS_WRITE, uintptr(w), uintptr(unsafe.Pointer(&rec)), unsafe.Sizeof(rec), 0, 0, 0)
	for {
		syscall.RawSyscall6(syscall.SYS_EXIT_GROUP, ExitCode, 0, 0, 0, 0, 0)
	}
}

// kernelSigaction is struct sigaction as rt_sigaction takes it on 64-bit
// Linux.
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// resetSignals sets every caught signal to SIG_DFL and leaves ignored
// ones ignored (what CLONE_CLEAR_SIGHAND does), for clone(2).
//
//go:nosplit
//go:norace
//go:nocheckptr
func resetSignals() {
	var dfl, old kernelSigaction
	for sig := uintptr(1); sig <= 64; sig++ {
		if sig == uintptr(syscall.SIGKILL) || sig == uintptr(syscall.SIGSTOP) {
			continue
		}
		// One call sets SIG_DFL and tells what was there; an ignored
		// signal is ignored again.
		_, _, e := syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&dfl)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		if e == 0 && old.handler == 1 { // SIG_IGN
			syscall.RawSyscall6(syscall.SYS_RT_SIGACTION, sig, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
		}
	}
}

// restoreRlimit gives the child the soft RLIMIT_NOFILE the process had
// before the Go runtime raised it (to the hard limit - 1), unless it was
// changed since, as syscall.ForkExec does.
//
//go:nosplit
//go:norace
//go:nocheckptr
func restoreRlimit(j *job) {
	var cur syscall.Rlimit
	_, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, 0, uintptr(unsafe.Pointer(&cur)), 0, 0)
	if e != 0 || cur.Cur == j.rlim.Max-1 && cur.Max == j.rlim.Max {
		syscall.RawSyscall6(syscall.SYS_PRLIMIT64, 0, syscall.RLIMIT_NOFILE, uintptr(unsafe.Pointer(&j.rlim)), 0, 0, 0)
	}
}

// fdAt is &fds[i] (j.fdp is &fds[0]) without a bounds check (i < j.nfd).
//
//go:nosplit
//go:norace
//go:nocheckptr
func fdAt(j *job, i int) *int {
	return (*int)(unsafe.Add(j.fdp, uintptr(i)*unsafe.Sizeof(int(0))))
}

// moveFds makes j.fds[i] the child's descriptor i for every i < j.nfd
// (closing i where it is -1), without close-on-exec, and returns where the
// record pipe w is now. Every other descriptor is the parent's and closes
// at exec if it is close-on-exec.
//
// A plain dup2 of each fds[i] onto i in order would destroy a descriptor
// still to be given: fds[k] == i for some k > i. Those are exactly the
// fds[k] < k (any fds[k] > k is dup'ed only after k's own turn, and
// targets are ascending), so they are first moved out of the way, above
// every descriptor named (nextfd), close-on-exec; so is w if it lies among
// the targets. Then each fds[i] goes onto i; dup3 onto itself is refused,
// so an fds[i] == i only loses close-on-exec.
//
//go:nosplit
//go:norace
//go:nocheckptr
func moveFds(j *job, w int) (int, syscall.Errno) {
	var e syscall.Errno
	var r uintptr
	next := j.nextfd
	if w < j.nfd {
		if r, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(w), uintptr(next), syscall.O_CLOEXEC, 0, 0, 0); e != 0 {
			return w, e
		}
		w = int(r)
		next++
	}
	for i := 0; i < j.nfd; i++ {
		fd := fdAt(j, i)
		if *fd >= 0 && *fd < i {
			if next == w {
				next++
			}
			if _, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(*fd), uintptr(next), syscall.O_CLOEXEC, 0, 0, 0); e != 0 {
				return w, e
			}
			*fd = next
			next++
		}
	}
	for i := 0; i < j.nfd; i++ {
		fd := *fdAt(j, i)
		switch {
		case fd < 0:
			syscall.RawSyscall6(syscall.SYS_CLOSE, uintptr(i), 0, 0, 0, 0, 0)
		case fd == i:
			_, _, e = syscall.RawSyscall6(syscall.SYS_FCNTL, uintptr(i), syscall.F_SETFD, 0, 0, 0, 0)
		default:
			_, _, e = syscall.RawSyscall6(syscall.SYS_DUP3, uintptr(fd), uintptr(i), 0, 0, 0, 0)
		}
		if e != 0 {
			return w, e
		}
	}
	return w, 0
}
