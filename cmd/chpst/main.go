// Command chpst runs a program with a changed process state (runit's
// chpst); under the names envdir, envuidgid, setuidgid, softlimit, setlock
// and pgrphack it behaves like those daemontools programs.
//
// containermaxprocs=0: otherwise the runtime keeps two cgroup files open
// for the life of the process, and the lock file of -l/-L would not get
// the lowest free descriptor number (3) it gets with runit.
//
//go:debug containermaxprocs=0
package main

import (
	"os"
	"runtime"
	"syscall"

	"gorunit/internal/prog/chpst"
)

func init() {
	// The nice level is per thread, and the program inherits the state
	// of the thread that calls execve: keep main on the main thread.
	runtime.LockOSThread()
}

func main() {
	os.Exit(chpst.Main(os.Args, syscall.Environ()))
}
