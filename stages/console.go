package stages

import (
	"golang.org/x/sys/unix"

	"gorunit/internal/msg"
)

// runit's message prefixes; every message goes to fd 2.
const (
	pfxInfo  = "- runit: "
	pfxWarn  = "- runit: warning: "
	pfxFatal = "- runit: fatal: "
)

func line(prefix string, parts []string) {
	all := make([]string, 0, len(parts)+1)
	all = append(all, prefix)
	msg.Write(2, append(all, parts...)...)
}

func info(parts ...string)  { line(pfxInfo, parts) }
func warn(parts ...string)  { line(pfxWarn, parts) }
func fatal(parts ...string) { line(pfxFatal, parts) }

// setupConsole makes /dev/console (write-only, non-blocking) fds 0, 1 and
// 2, as runit does at start. If it cannot be opened the inherited
// descriptors stay (a container without a terminal keeps its engine's
// pipes).
func setupConsole() {
	fd, err := unix.Open("/dev/console", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY, 0)
	if err != nil {
		return
	}
	for i := 0; i < 3; i++ {
		if fd != i {
			unix.Dup3(fd, i, 0)
		}
	}
	if fd > 2 {
		unix.Close(fd)
	}
}

// regetStderr re-opens /dev/console onto fd 2 only, so that a console
// that appears later is picked up (runit does this on every wake-up).
func regetStderr() {
	fd, err := unix.Open("/dev/console", unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	if fd != 2 {
		unix.Dup3(fd, 2, 0)
		unix.Close(fd)
	}
}
