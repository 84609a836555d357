// Command gorunit is every runit command in one static executable (a
// multi-call binary, as busybox): runit, runit-init, runsvdir, runsv, sv,
// svlogd, chpst and its personalities envdir, envuidgid, setuidgid,
// softlimit, setlock and pgrphack, svok, svc, svstat, multilog,
// tai64nlocal, utmpset and runsvchdir. It is installed once and every
// name is a link to it, so that all processes of a tree share its pages.
//
// Which command runs (see command) is decided by, in order:
//   - process 1's helper marker in argv[0] (stages re-executes itself);
//   - the name of the file executed (AT_EXECFN) or of a symbolic link it
//     leads through, the last such name nearest the binary:
//     /usr/bin/runsv -> gorunit is runsv whatever its argv[0] (chpst -b,
//     exec -a), /etc/init.d/svc -> /usr/bin/sv is sv (an LSB script for
//     the service svc), /sbin/init -> /lib/runit/runit-init is runit-init;
//   - the name a lean daemon had before internal/lean re-executed it
//     through /proc/self/exe (or runsvdir handed it the lean marker);
//   - basename(argv[0]); "gorunit CMD ARGS..." runs CMD;
//   - otherwise sv: sv under any other name is an LSB init script, the
//     one runit program that is meant to run under names of its own.
//
// The programs' argv (argv[0] included) is passed on unchanged, so chpst's
// personalities and sv's LSB mode still read their name from argv[0].
//
// The runtime settings of the daemons apply to every command: the runtime
// does not read the cgroup CPU limit (containermaxprocs=0: no cgroup files
// held open, and chpst's lock file gets descriptor 3 as with runit) nor
// re-read it periodically (updatemaxprocs=0: runsv and runsvdir must not
// wake up for it).
//
//go:debug updatemaxprocs=0
//go:debug containermaxprocs=0
package main

import (
	"errors"
	"os"
	"runtime"
	"syscall"
	"time"

	"gorunit/internal/errstr"
	"gorunit/internal/lean"
	_ "gorunit/internal/mainstack"
	"gorunit/internal/msg"
	"gorunit/internal/prog/chpst"
	"gorunit/internal/prog/daemontools"
	"gorunit/internal/prog/multilog"
	"gorunit/internal/prog/runitinit"
	"gorunit/internal/prog/runsvchdir"
	"gorunit/internal/prog/sv"
	"gorunit/internal/prog/tai64nlocal"
	"gorunit/internal/prog/utmpset"
	"gorunit/internal/selfexe"
	"gorunit/runsv"
	"gorunit/runsvdir"
	"gorunit/stages"
	"gorunit/svlog"
)

// prog is the command to run, chosen before main runs (see init).
var prog string

func init() {
	prog = choose()
	if prog == "chpst" {
		// The nice level is per thread, and the program inherits the
		// state of the thread that calls execve: keep chpst's main on
		// the main thread (init runs there, locked).
		runtime.LockOSThread()
	}
}

func main() {
	os.Exit(run(prog, os.Args))
}

// run runs command name with argv and returns its exit code.
func run(name string, argv []string) int {
	switch name {
	case "runit":
		// Process 1: GOMAXPROCS=1 (a re-exec at boot, before anything
		// else), as runit's one thread; the collector stays on.
		lean.Procs()
		stages.Main()
		return 111
	case "runit-init":
		return runitinit.Main(argv)
	case "runsvdir":
		lean.Procs() // GOMAXPROCS=1: three threads
		return runsvdir.Main(argv)
	case "runsv":
		return runsv.Main(argv)
	case "sv":
		return sv.Main(argv)
	case "svlogd":
		lean.Init() // one per service: GOMAXPROCS=1, GC settings
		return svlog.Main(argv)
	case "multilog":
		lean.Init() // one per service, like svlogd
		args, code := multilog.Svlogd(argv)
		if args == nil {
			return code
		}
		return svlog.Main(args)
	case "chpst":
		return chpst.Main(argv, syscall.Environ())
	case "svok":
		return daemontools.Svok(argv)
	case "svc":
		return daemontools.Svc(argv)
	case "svstat":
		return daemontools.Svstat(argv)
	case "tai64nlocal":
		return tai64nlocalMain()
	case "utmpset":
		return utmpset.Main(argv, func() int32 { return int32(time.Now().Unix()) })
	case "runsvchdir":
		return runsvchdir.Main(argv)
	case "gorunit":
		return usage()
	}
	return sv.Main(argv)
}

// command returns the command that name stands for, or "".
func command(name string) string {
	switch name {
	case "runit", "runit-init", "runsvdir", "runsv", "sv", "svlogd", "chpst",
		"svok", "svc", "svstat", "multilog", "tai64nlocal", "utmpset", "runsvchdir":
		return name
	case "init": // a copy of runit-init as /sbin/init or /init
		return "runit-init"
	}
	if personality(name) {
		return "chpst"
	}
	// chpst takes a leading d off its name (chpst.Personality).
	if len(name) > 1 && name[0] == 'd' && (name[1:] == "chpst" || personality(name[1:])) {
		return "chpst"
	}
	return ""
}

// personality reports whether name is one of chpst's personalities.
func personality(name string) bool {
	switch name {
	case "envdir", "envuidgid", "setuidgid", "softlimit", "setlock", "pgrphack":
		return true
	}
	return false
}

// choose picks the command for this process (see the package comment).
func choose() string {
	if len(os.Args) > 0 && os.Args[0] == stages.HelperArgv0 {
		return "runit"
	}
	if c := byFile(selfexe.ExecFn()); c != "" {
		return c
	}
	if c := command(lean.Name()); c != "" {
		return c
	}
	if len(os.Args) == 0 {
		return "gorunit"
	}
	if c := command(basename(os.Args[0])); c != "" {
		return c
	}
	if basename(os.Args[0]) == "gorunit" {
		if len(os.Args) < 2 || command(os.Args[1]) == "" || os.Args[1] == "init" {
			return "gorunit"
		}
		os.Args = os.Args[1:] // gorunit CMD ARGS...: CMD's argv
		return command(os.Args[0])
	}
	return "sv"
}

// byFile returns the command named by the file executed or by the
// symbolic links it leads through (at most 8): the last known name on the
// way, which is the installed name of the command (/etc/init.d/svc ->
// /usr/bin/sv -> /lib/runit/gorunit is sv, not svc), or "".
func byFile(p string) string {
	// A small buffer on the stack: one of 4096 bytes made the main
	// goroutine's 2 kB stack grow (copied to a new 8 kB one) in every
	// process, before main; a longer target is read again into the heap.
	var small [256]byte
	buf := small[:]
	c := ""
	for range 9 {
		if n := command(basename(p)); n != "" {
			c = n
		}
		n, err := syscall.Readlink(p, buf)
		if err == nil && n == len(buf) && len(buf) < 4096 {
			buf = make([]byte, 4096)
			n, err = syscall.Readlink(p, buf)
		}
		if err != nil || n <= 0 || n == len(buf) {
			break
		}
		t := string(buf[:n])
		if t[0] != '/' {
			t = dir(p) + t
		}
		p = t
	}
	return c
}

func basename(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// dir returns s up to and including its last slash ("" if none).
func dir(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[:i+1]
		}
	}
	return ""
}

func usage() int {
	msg.Err("usage: gorunit command [arg ...]\n\n",
		"commands: runit runit-init runsvdir runsv sv svlogd chpst envdir envuidgid\n",
		"setuidgid softlimit setlock pgrphack svok svc svstat multilog tai64nlocal\n",
		"utmpset runsvchdir (or run a link to gorunit named as the command)\n")
	return 100
}

// tai64nlocalMain converts leading TAI64N stamps on standard input to local
// time on standard output.
func tai64nlocalMain() int {
	err := tai64nlocal.Filter(os.Stdin, os.Stdout, time.Local)
	var re tai64nlocal.ReadError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &re):
		msg.Die(111, "tai64nlocal: fatal: unable to read input: ", errstr.Str(re.Err))
	default:
		msg.Die(111, "tai64nlocal: fatal: unable to write output: ", errstr.Str(errors.Unwrap(err)))
	}
	return 111
}
