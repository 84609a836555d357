package stages

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/sigact"
)

// sigs holds one channel per signal process 1 acts on. Each has room for
// one value: signals coalesce, as runit's flags do, and a burst of one
// signal can never crowd out another one.
type sigs struct {
	chld, cont, intr, pwr, alrm, term chan os.Signal
	discard                           chan os.Signal
}

func newSigs(container bool) *sigs {
	s := &sigs{}
	on := func(sig syscall.Signal) chan os.Signal {
		c := make(chan os.Signal, 1)
		signal.Notify(c, sig)
		return c
	}
	s.chld = on(unix.SIGCHLD)
	s.cont = on(unix.SIGCONT)
	s.intr = on(unix.SIGINT)
	s.pwr = on(unix.SIGPWR)
	s.alrm = on(unix.SIGALRM)
	if container {
		s.term = on(unix.SIGTERM)
	} else {
		// runit keeps SIGTERM blocked: it never wakes process 1 up.
		s.term = make(chan os.Signal)
		signal.Ignore(unix.SIGTERM)
	}

	// Go's default action for most signals kills the process, even
	// process 1. Signals that runit leaves at their default (which the
	// kernel discards for process 1) or blocks are ignored here.
	// SIGURG is the Go runtime's own and SIGPROF its profiler's: both are
	// harmless. Fault signals sent with kill(2) can only be taken over
	// by Notify (Ignore does not apply to them): they go to a channel
	// nobody reads.
	for _, sig := range []syscall.Signal{unix.SIGHUP, unix.SIGQUIT, unix.SIGABRT,
		unix.SIGUSR1, unix.SIGUSR2, unix.SIGPIPE, unix.SIGSTKFLT, unix.SIGTSTP,
		unix.SIGTTIN, unix.SIGTTOU, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
		unix.SIGWINCH, unix.SIGIO} {
		signal.Ignore(sig)
	}
	for sig := 34; sig <= 64; sig++ {
		signal.Ignore(syscall.Signal(sig))
	}
	// Signals 32 and 34 (glibc's thread cancellation, musl's
	// SIGSYNCCALL) are ones Go leaves alone: signal.Ignore does nothing
	// for them, so they kept their default action, and sent to process 1
	// signal 32 killed it (34 too, once in ten runs). Whatever the runtime
	// left at its default is now ignored directly, with the system call
	// (stages get every signal back at its default: the exec helper
	// resets them all).
	ignoreDefaults()
	s.discard = make(chan os.Signal, 1)
	signal.Notify(s.discard, unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE,
		unix.SIGSEGV, unix.SIGSYS)
	return s
}

// flags are runit's signal flags.
type flags struct {
	cont, intr, pwr, alrm, term bool
}

func (f *flags) any() bool { return f.cont || f.intr || f.pwr || f.alrm || f.term }

// drain moves every pending signal into f without blocking and reports
// whether a SIGCHLD was pending.
func (s *sigs) drain(f *flags) (chld bool) {
	for {
		select {
		case <-s.chld:
			chld = true
		case <-s.cont:
			f.cont = true
		case <-s.intr:
			f.intr = true
		case <-s.pwr:
			f.pwr = true
		case <-s.alrm:
			f.alrm = true
		case <-s.term:
			f.term = true
		case <-s.discard:
		default:
			return chld
		}
	}
}

// ignoreDefaults sets every signal whose disposition is still SIG_DFL
// (SIGKILL and SIGSTOP aside) to SIG_IGN, so that no signal can reach
// process 1's default action, whatever the Go runtime declined to handle.
func ignoreDefaults() {
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		if sigact.Get(sig) == sigact.Dfl {
			sigact.Set(sig, sigact.Ign)
		}
	}
}
