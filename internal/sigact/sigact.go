// Package sigact sets signal dispositions with the rt_sigaction system call
// itself, behind the Go runtime's back: what os/signal cannot express
// (a signal back at the kernel's default action, an ignore Go does not
// allow), without allocating (the process-1 helper uses it between fork
// and exec).
package sigact

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Handlers with a meaning of their own.
const (
	Dfl = 0 // SIG_DFL: the kernel's default action
	Ign = 1 // SIG_IGN
)

const sigsetBytes = 8 // the kernel's sigset_t on Linux: 64 signals

// kernelSigaction is struct sigaction as the rt_sigaction system call
// takes it on 64-bit Linux (handler, flags, restorer, mask).
type kernelSigaction struct {
	handler  uintptr
	flags    uint64
	restorer uintptr
	mask     uint64
}

// Set gives sig the handler Dfl or Ign.
func Set(sig int, handler uintptr) {
	sa := kernelSigaction{handler: handler}
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa)), 0, sigsetBytes, 0, 0)
}

// Get returns sig's current handler: Dfl, Ign or an address.
func Get(sig int) uintptr {
	var sa kernelSigaction
	unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), 0, uintptr(unsafe.Pointer(&sa)), sigsetBytes, 0, 0)
	return sa.handler
}

// Mask sets the calling thread's blocked signals to exactly mask (bit
// s-1 for signal s).
func Mask(mask uint64) {
	unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&mask)), 0, sigsetBytes, 0, 0)
}

// Bit is signal s in a mask.
func Bit(s syscall.Signal) uint64 { return 1 << (uint(s) - 1) }

// goNeeds are the signals the Go runtime itself relies on: synchronous
// faults (turned into panics and crash reports), SIGURG (goroutine
// preemption), SIGPROF (profiling) and signal 33 (the runtime's
// per-thread system calls).
const goNeeds = 1<<(unix.SIGSEGV-1) | 1<<(unix.SIGBUS-1) | 1<<(unix.SIGFPE-1) |
	1<<(unix.SIGILL-1) | 1<<(unix.SIGTRAP-1) | 1<<(unix.SIGURG-1) |
	1<<(unix.SIGPROF-1) | 1<<(33-1) | 1<<(unix.SIGKILL-1) | 1<<(unix.SIGSTOP-1)

// Daemon gives a Go daemon the signal behaviour of runit's C daemons, which
// touch only the signals they handle: every other signal goes back to the
// kernel's default action (so SIGUSR1, SIGALRM or SIGQUIT end the process
// as they end runit's, instead of being swallowed by Go or, for SIGQUIT,
// dumping goroutines), except those in keep, those the Go runtime needs,
// and those already ignored (Go keeps an inherited ignore of SIGHUP and
// SIGINT). Call it after os/signal's Notify for the handled ones.
func Daemon(keep ...syscall.Signal) {
	skip := uint64(goNeeds)
	for _, s := range keep {
		skip |= Bit(s)
	}
	for sig := 1; sig <= 64; sig++ {
		if skip&(1<<(sig-1)) != 0 {
			continue
		}
		if h := Get(sig); h != Dfl && h != Ign {
			Set(sig, Dfl)
		}
	}
}
