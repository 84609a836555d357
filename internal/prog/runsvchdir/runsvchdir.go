// Package runsvchdir is runsvchdir: it switches runsvdir's current service
// directory (runit-compatible): runsvchdir dir.
//
// It works in /etc/runit/runsvdir (or $RUNSVDIR if set and not empty, as
// runit 2.3's): the symlink "current" is made to point to dir (as given)
// and the old symlink is kept as "previous".
package runsvchdir

import (
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
)

// Base is the directory holding current, previous and the service
// directories (Debian's runit).
const Base = "/etc/runit/runsvdir"

// Every system call runs on the main thread, as in runit's single-threaded
// C program (strace without -f, as the tests use it, sees them all).
// Main is runsvchdir's main; it returns the exit code.
func Main(args []string) int {
	runtime.LockOSThread()
	prog := "runsvchdir"
	if len(args) > 0 {
		prog = args[0]
	}
	if len(args) < 2 {
		msg.Usage(1, prog, " dir")
	}
	dir := args[1]
	fatal := func(parts ...string) int {
		msg.Err(append([]string{prog, ": fatal: "}, parts...)...)
		return 111
	}
	if len(dir) > 0 && dir[0] == '.' {
		return fatal(dir, ": must not start with a dot.")
	}
	base := Base
	if v, ok := syscall.Getenv("RUNSVDIR"); ok && v != "" {
		base = v // runit 2.3's addition
	}
	if err := unix.Chdir(base); err != nil {
		return fatal("unable to chdir: ", base, ": ", errstr.Str(err))
	}
	var st, cur unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		if err == unix.ENOENT {
			return fatal(dir, ": file does not exist")
		}
		return fatal("unable to stat: ", dir, ": ", errstr.Str(err))
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fatal(dir, "not a directory.") // sic: runit prints no separator
	}
	if err := unix.Stat("current", &cur); err != nil {
		return fatal("unable to stat: current: ", errstr.Str(err))
	}
	if st.Dev == cur.Dev && st.Ino == cur.Ino {
		msg.Out("runsvchdir: ", dir, ": current.")
		return 0
	}
	if err := unix.Unlink("current.new"); err != nil && err != unix.ENOENT {
		return fatal("unable to unlink: current.new: ", errstr.Str(err))
	}
	if err := unix.Symlink(dir, "current.new"); err != nil {
		return fatal("unable to create: current.new -> ", dir, ": ", errstr.Str(err))
	}
	if err := unix.Unlink("previous"); err != nil && err != unix.ENOENT {
		return fatal("unable to unlink: previous: ", errstr.Str(err))
	}
	if err := unix.Rename("current", "previous"); err != nil {
		return fatal("unable to copy: current to previous: ", errstr.Str(err))
	}
	if err := unix.Rename("current.new", "current"); err != nil {
		fatal("unable to move: current.new to current: ", errstr.Str(err))
		if err := unix.Rename("previous", "current"); err != nil {
			fatal("unable to move previous back to current: ", errstr.Str(err))
		}
		return 111
	}
	msg.Out("runsvchdir: ", dir, ": now current.")
	return 0
}
