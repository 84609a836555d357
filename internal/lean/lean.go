// Package lean trims the Go runtime's footprint in the daemons that run
// once per service (runsv, svlogd).
//
// Measured here: a Go daemon started with GOMAXPROCS=1 in its environment
// uses ~120 kB less memory than one started with the default (one P per
// core), while calling runtime.GOMAXPROCS(1) after start-up costs more than
// it saves. So Init re-executes the program once, from /proc/self/exe with
// the same argv, with GOMAXPROCS=1 added to the environment, and removes it
// again from the environment that the program's children get: services see
// exactly the environment the daemon was started with.
package lean

import (
	"os"
	"runtime/debug"
	"syscall"
)

const (
	maxprocs = "GOMAXPROCS=1"
	marker   = "GORUNIT_LEAN=1"
)

// Init re-executes the program with GOMAXPROCS=1 unless GOMAXPROCS is
// already set, lowers the garbage collector's heap goal (these daemons
// allocate little, mostly short-lived buffers per fork), and returns the
// environment to hand to children. If the re-exec fails the program simply
// goes on with the default settings.
func Init() []string {
	env := syscall.Environ()
	n := len(env)
	if n >= 2 && env[n-1] == marker && env[n-2] == maxprocs {
		env = env[: n-2 : n-2]
		os.Unsetenv("GORUNIT_LEAN")
		os.Unsetenv("GOMAXPROCS")
		debug.SetGCPercent(10)
		return env
	}
	if _, set := syscall.Getenv("GOMAXPROCS"); !set {
		reexec := append(env[:n:n], maxprocs, marker)
		syscall.Exec("/proc/self/exe", os.Args, reexec)
		// Not reached unless /proc is missing or the exec failed.
	}
	return env
}
