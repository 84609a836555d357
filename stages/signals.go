package stages

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/sigact"
	"gorunit/internal/sigpipe"
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
	s.discard = make(chan os.Signal, 1)
	if container {
		s.term = on(unix.SIGTERM)
	} else {
		// runit keeps SIGTERM blocked: it never wakes process 1 up.
		s.term = make(chan os.Signal)
		signal.Notify(s.discard, unix.SIGTERM)
	}

	// Go's default action for most signals kills the process, even
	// process 1. Signals that runit leaves at their default (which the
	// kernel discards for process 1) or blocks are caught here and
	// discarded: caught, not ignored, because an ignored signal stays
	// ignored in every child (execve keeps SIG_IGN), and process 1 starts
	// the hosted services itself (hosted.go); a caught one is back at its
	// default after execve. SIGURG is the Go runtime's own and SIGPROF its
	// profiler's: both are harmless. Fault signals sent with kill(2) can
	// only be taken over by Notify: they go to the same channel, which
	// nobody reads.
	discard := []os.Signal{unix.SIGHUP, unix.SIGQUIT, unix.SIGABRT,
		unix.SIGUSR1, unix.SIGUSR2, unix.SIGPIPE, unix.SIGSTKFLT, unix.SIGTSTP,
		unix.SIGTTIN, unix.SIGTTOU, unix.SIGXCPU, unix.SIGXFSZ, unix.SIGVTALRM,
		unix.SIGWINCH, unix.SIGIO,
		unix.SIGILL, unix.SIGTRAP, unix.SIGBUS, unix.SIGFPE, unix.SIGSEGV, unix.SIGSYS}
	for sig := 34; sig <= 64; sig++ {
		discard = append(discard, syscall.Signal(sig))
	}
	signal.Notify(s.discard, discard...)
	// Signals 32 and 33 (glibc's thread cancellation and setxid, musl's
	// SIGSYNCCALL is 34) are ones Go leaves alone: Notify does nothing for
	// them, so they kept their default action, and sent to process 1
	// signal 32 killed it. Whatever the runtime left at its default (or
	// ignored) is caught by a handler of a few instructions instead
	// (internal/sigpipe, on a pipe nobody reads), again so that children
	// get the default back.
	catchDefaults()
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

// catchDefaults routes every signal whose disposition is still SIG_DFL
// or SIG_IGN (SIGKILL and SIGSTOP aside) to internal/sigpipe's handler,
// writing to a pipe that is never read (a full pipe drops the byte), so
// that no signal can reach process 1's default action, whatever the Go
// runtime declined to handle, and none stays ignored in a child.
func catchDefaults() {
	var sigs []syscall.Signal
	for sig := 1; sig <= 64; sig++ {
		if sig == int(unix.SIGKILL) || sig == int(unix.SIGSTOP) {
			continue
		}
		if h := sigact.Get(sig); h == sigact.Dfl || h == sigact.Ign {
			sigs = append(sigs, syscall.Signal(sig))
		}
	}
	if len(sigs) == 0 {
		return
	}
	if _, err := sigpipe.Open(sigs...); err != nil {
		// No pipe: ignore them, as before (children inherit that).
		for _, sig := range sigs {
			sigact.Set(int(sig), sigact.Ign)
		}
	}
}
