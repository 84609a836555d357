package stages

import (
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/sigact"
)

// Process 1 never runs Go code between fork and exec. Every child that
// needs runit's signal state (the stages, ctrlaltdel, the reboot child,
// the built-in stages) is started as a re-execution of this very binary
// with a private argv: argv[0] is helperMarker, argv[1] the mode and
// argv[2] the stage's path. The helper sets the signal dispositions and
// mask with raw system calls on the thread that then calls execve, so the
// stage gets exactly runit's signal state and exactly process 1's
// environment (nothing is added to it). The marker cannot be given by
// accident: argv[0] starts with a control character and the helper only
// acts when its parent is process 1.
const helperMarker = "\x01runit-helper"

// HelperArgv0 is the argv[0] of process 1's helpers: a multi-call binary
// runs Main for it.
const HelperArgv0 = helperMarker

// Helper modes (argv[1]).
const (
	modeStage1     = "1" // stage 1: /dev/console read-write as stdin
	modeStage      = "s" // stages 2 and 3 (setsid is done by the parent)
	modeCtrlAltDel = "c" // ctrlaltdel: most signals stay blocked
	modeReboot     = "r" // the final child: reboot/power off/halt
	modeBuiltin    = "b" // built-in stage; argv[2] is "1", "2" or "3"
)

// isHelper reports whether this process was started as process 1's helper.
func isHelper() bool {
	return len(os.Args) >= 3 && os.Args[0] == helperMarker && os.Getppid() == 1
}

// Signal sets as runit leaves them for its children.
var (
	// Stages: SIGPWR stays blocked (Debian's patch), SIGCONT ignored,
	// everything else default and unblocked.
	stageMask = sigact.Bit(unix.SIGPWR)
	// ctrlaltdel inherits runit's mask while runit is not in poll.
	cadMask = sigact.Bit(unix.SIGHUP) | sigact.Bit(unix.SIGINT) | sigact.Bit(unix.SIGPIPE) |
		sigact.Bit(unix.SIGALRM) | sigact.Bit(unix.SIGTERM) | sigact.Bit(unix.SIGCHLD) |
		sigact.Bit(unix.SIGCONT) | sigact.Bit(unix.SIGPWR)
)

// setSignals gives the calling thread (and the process) runit's signal
// state for a child: every disposition default except SIGCONT ignored if
// ignoreCont, and exactly mask blocked.
func setSignals(ignoreCont bool, mask uint64) {
	// Block everything first so nothing arrives half-way.
	sigact.Mask(^uint64(0))
	for s := 1; s <= 64; s++ {
		if s == int(unix.SIGKILL) || s == int(unix.SIGSTOP) {
			continue
		}
		h := uintptr(sigact.Dfl)
		if ignoreCont && s == int(unix.SIGCONT) {
			h = sigact.Ign
		}
		sigact.Set(s, h)
	}
	sigact.Mask(mask)
}

// runHelper is the child side. It never returns.
func runHelper() {
	runtime.LockOSThread()
	mode, path := os.Args[1], os.Args[2]
	switch mode {
	case modeStage1, modeStage:
		if mode == modeStage1 {
			consoleStdin()
		}
		execStage(path, true, stageMask)
	case modeCtrlAltDel:
		execStage(path, false, cadMask)
	case modeReboot:
		rebootChild(path == "p")
	case modeBuiltin:
		runBuiltin(path, os.Args[3:])
	}
	os.Exit(0)
}

// consoleStdin opens /dev/console read-write as stage 1's stdin.
func consoleStdin() {
	fd, err := unix.Open("/dev/console", unix.O_RDWR, 0)
	if err != nil {
		warn("unable to open /dev/console: ", errstr.Str(err))
		return
	}
	// Fails with EPERM: stage 1 is not a session leader (as in runit).
	unix.IoctlSetInt(fd, unix.TIOCSCTTY, 0)
	if fd != 0 {
		unix.Dup3(fd, 0, 0)
		unix.Close(fd)
	}
}

// execStage prints runit's "enter stage" line, sets the signal state and
// executes path with process 1's environment. On failure it prints runit's
// message and exits 0, as runit's child does.
func execStage(path string, ignoreCont bool, mask uint64) {
	info("enter stage: ", path)
	setSignals(ignoreCont, mask)
	err := syscall.Exec(path, []string{path}, os.Environ())
	fatal("unable to start child: ", path, ": ", errstr.Str(err))
	os.Exit(0)
}
