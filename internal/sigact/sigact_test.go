package sigact

import (
	"os/signal"
	"syscall"
	"testing"
)

// TestDaemon: a signal Go took over goes back to the default, a kept one
// and an ignored one stay, and the runtime's own stay Go's.
func TestDaemon(t *testing.T) {
	// Go installs its handler for every signal at start-up.
	if h := Get(int(syscall.SIGUSR1)); h == Dfl || h == Ign {
		t.Fatalf("SIGUSR1 handler %#x before: want Go's", h)
	}
	signal.Ignore(syscall.SIGWINCH)
	kept := Get(int(syscall.SIGUSR2))
	Daemon(syscall.SIGUSR2)
	for _, c := range []struct {
		sig  syscall.Signal
		want uintptr
	}{
		{syscall.SIGUSR1, Dfl},
		{syscall.SIGQUIT, Dfl},
		{syscall.SIGALRM, Dfl},
		{syscall.SIGWINCH, Ign},
		{syscall.SIGUSR2, kept},
		{syscall.SIGURG, Get(int(syscall.SIGSEGV))}, // Go's one handler for all
	} {
		if h := Get(int(c.sig)); h != c.want {
			t.Errorf("signal %d: handler %#x, want %#x", c.sig, h, c.want)
		}
	}
	if Get(int(syscall.SIGSEGV)) == Dfl {
		t.Error("SIGSEGV back at the default: Go's fault handling is gone")
	}
}

func TestBit(t *testing.T) {
	if Bit(syscall.SIGHUP) != 1 || Bit(syscall.SIGPWR) != 1<<29 {
		t.Errorf("Bit(HUP)=%#x Bit(PWR)=%#x", Bit(syscall.SIGHUP), Bit(syscall.SIGPWR))
	}
}
