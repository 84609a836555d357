// Package lean trims the Go runtime's footprint in the daemons that run
// once per service (runsv, svlogd).
//
// Measured here: a Go daemon started with GOMAXPROCS=1 in its environment
// uses ~120 kB less memory than one started with the default (one P per
// core), while calling runtime.GOMAXPROCS(1) after start-up costs more than
// it saves. So Init re-executes the program once, from its own file (the
// target of /proc/self/exe) with the same argv, with GOMAXPROCS=1 added to
// the environment, and removes it again from the environment that the
// program's children get (see also Env, for a parent that spares its
// children the re-exec): services see
// exactly the environment the daemon was started with. The process keeps
// the name it was started under (ps, pgrep and killall see "runsv", not
// "exe").
package lean

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/selfexe"
)

const (
	maxprocs = "GOMAXPROCS=1"
	marker   = "GORUNIT_LEAN="
)

// name is the process name (comm) the program had before the re-exec,
// or "" if it was not re-executed.
var name string

func init() {
	// Runs on the main thread, whose name is the process's name.
	env := syscall.Environ()
	n := len(env)
	if n >= 2 && env[n-2] == maxprocs && len(env[n-1]) > len(marker) && env[n-1][:len(marker)] == marker {
		name = env[n-1][len(marker):]
		b := append([]byte(name), 0)
		unix.Syscall6(unix.SYS_PRCTL, unix.PR_SET_NAME, uintptr(unsafe.Pointer(&b[0])), 0, 0, 0, 0)
		runtime.KeepAlive(b)
	}
}

// MemoryLimit is the soft limit on the Go runtime's memory that Init sets
// with the collector otherwise off (see quietGC). A small Go program maps
// ~4.5 MB of runtime memory at start (heap arenas, stacks, metadata: the
// limit counts all of it, not only the live heap), so the limit must be
// well above that or the collector would run again and again; an idle
// daemon that allocates nothing after start-up never comes near it. A
// daemon whose buffers are sized by its options (svlogd -b, -l) raises it
// with SetMemoryLimit. The limit is soft: the heap may grow past it (the
// collector then runs, at most half the CPU), allocation never fails.
const MemoryLimit = 16 << 20

// quietPeriod replaces the runtime's forced-collection period when the
// collector is off (see quietSysmon): 2^50 ns, about 13 days, so that
// sysmon's idle sleep (half of it) is a week.
const quietPeriod = 1 << 50

// quietGC turns the collector's proportional pacing off and bounds the
// heap with MemoryLimit instead: with GOGC off the runtime does not force
// a collection every 2 minutes (sysmon's forced GC), so an idle daemon is
// not woken for one and its idle wake-ups are sysmon's alone: two every
// 60 s, which quietSysmon removes in `make build`'s binary.
func quietGC() {
	debug.SetGCPercent(-1)
	debug.SetMemoryLimit(MemoryLimit)
	quietSysmon()
}

// Init re-executes the program with GOMAXPROCS=1 unless GOMAXPROCS is
// already set, turns the periodic garbage collection off with a memory
// limit instead (quietGC; these daemons allocate nothing after start-up),
// and returns the environment to hand to children. If the re-exec fails the program simply
// goes on with the default settings.
func Init() []string { return start(quietGC) }

// Procs is Init without the collector's settings, for a daemon that runs
// once (runsvdir) and allocates as it scans: GOMAXPROCS=1 alone keeps its
// runtime at three threads (four or more with one P per core).
func Procs() []string { return start(func() {}) }

func start(gc func()) []string {
	env := syscall.Environ()
	n := len(env)
	if name != "" {
		env = env[: n-2 : n-2]
		os.Unsetenv("GORUNIT_LEAN")
		os.Unsetenv("GOMAXPROCS")
		gc()
		return env
	}
	defer gc() // if GOMAXPROCS is the user's, or the re-exec failed
	if _, set := syscall.Getenv("GOMAXPROCS"); !set {
		// The name (comm) from the kernel itself: process 1 starts
		// before /proc is mounted.
		var comm [16]byte
		unix.Syscall6(unix.SYS_PRCTL, unix.PR_GET_NAME, uintptr(unsafe.Pointer(&comm[0])), 0, 0, 0, 0)
		cn := 0
		for cn < len(comm) && comm[cn] != 0 {
			cn++
		}
		if cn == 0 {
			return env
		}
		reexec := append(env[:n:n], maxprocs, marker+string(comm[:cn]))
		// By the name it was executed under if that is still the same
		// file, else by its real path if it still has one, so that the
		// threads the runtime starts before init (named after the
		// executed file, not by prctl) are not all called "exe", nor
		// "gorunit" (the multi-call binary behind every command's link).
		exe := sameFile(selfexe.ExecFn())
		if exe == "" && unix.Access("/proc/self/exe", unix.F_OK) != nil {
			// No /proc (process 1 at boot): the file executed, as named.
			exe = selfexe.ExecFn()
		}
		if exe == "" {
			var err error
			exe, err = os.Readlink("/proc/self/exe")
			if err != nil || len(exe) == 0 || exe[0] != '/' || strings.HasSuffix(exe, " (deleted)") {
				exe = "/proc/self/exe"
			}
		}
		syscall.Exec(exe, os.Args, reexec)
		// Not reached unless the exec failed.
	}
	return env
}

// Name returns the name (comm) the program was executed under before
// Init's re-exec or runsvdir's hand-off, or "" if it was neither: the
// command a multi-call binary must run again.
func Name() string { return name }

// sameFile returns path if it is the running executable (same device and
// inode as /proc/self/exe), else "".
func sameFile(path string) string {
	var a, b unix.Stat_t
	if path == "" || unix.Stat(path, &a) != nil || unix.Stat("/proc/self/exe", &b) != nil ||
		a.Dev != b.Dev || a.Ino != b.Ino {
		return ""
	}
	return path
}
