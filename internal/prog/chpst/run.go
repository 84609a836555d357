package chpst

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/envdir"
	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/sysio"
)

const (
	fatal   = "chpst: fatal: "
	warning = "chpst: warning: "
)

// rlimit resources in Limits order.
var resources = [NumLimits]int{
	LimData:    syscall.RLIMIT_DATA,
	LimStack:   syscall.RLIMIT_STACK,
	LimMemlock: 0x8, // RLIMIT_MEMLOCK
	LimAS:      syscall.RLIMIT_AS,
	LimNofile:  syscall.RLIMIT_NOFILE,
	LimNproc:   0x6, // RLIMIT_NPROC
	LimFsize:   syscall.RLIMIT_FSIZE,
	LimCore:    syscall.RLIMIT_CORE,
	LimRSS:     0x5, // RLIMIT_RSS
	LimCPU:     syscall.RLIMIT_CPU,
}

// Main runs chpst with argv (argv[0] selects the personality) and the
// environment environ. It only returns if no program was run: the exit
// code, the message has been printed. The caller must have locked the
// goroutine to the main OS thread (runtime.LockOSThread in an init
// function): the nice level is per thread in Linux, and the thread that
// calls execve is the one whose nice value the program inherits.
func Main(argv, environ []string) int {
	c, ex := Parse(argv)
	if ex != nil {
		sysio.WriteAll(2, []byte(ex.Stderr))
		return ex.Code
	}
	return Run(c, environ, DefaultResolver)
}

// Run applies c in runit's fixed order and execs the program. It returns
// only on failure, with the exit code (the message has been printed).
func Run(c *Config, environ []string, r Resolver) int {
	var changes []string

	// 1. new session.
	if c.Setsid {
		syscall.Setsid()
	}
	// 2. environment directory, relative to the original root and cwd.
	if c.HasEnvDir {
		o := envdir.Options{SkipDirs: c.EnvDirSkip}
		if c.Verbose {
			o.Warn = func(text string) { msg.Err(warning, text) }
		}
		ch, err := envdir.Read(c.EnvDir, o)
		if err != nil {
			return die(err.(*envdir.Error).Msg())
		}
		changes = append(changes, ch...)
	}
	// 3. root directory.
	if c.HasRoot {
		if err := syscall.Chdir(c.Root); err != nil {
			return die("unable to change directory: " + c.Root + ": " + errstr.Str(err))
		}
		if err := syscall.Chroot("."); err != nil {
			return die("unable to change root directory: " + errstr.Str(err))
		}
	}
	// 3b. working directory (runit 2.2's -C: "when combined with -/, the
	// working directory is changed after the chroot").
	if c.HasDir {
		if err := syscall.Chdir(c.Dir); err != nil {
			return die("unable to change directory: " + c.Dir + ": " + errstr.Str(err))
		}
	}
	// 4. nice level.
	if c.Nice != 0 {
		if err := nice(int32(c.Nice)); err != nil {
			return die("unable to set nice level: " + errstr.Str(err))
		}
	}
	// 5. UID and GID in the environment (looked up after the chroot).
	if c.HasEnvUser {
		ids, m := r.Resolve(c.EnvUser, c.UserExt)
		if m != "" {
			return die(m)
		}
		changes = append(changes, "GID="+utoa(ids.GIDs[0]), "UID="+utoa(ids.UID))
	}
	// 6. user and groups.
	if c.HasSetUser {
		ids, m := r.Resolve(c.SetUser, c.UserExt)
		if m != "" {
			return die(m)
		}
		if err := syscall.Setgroups(gidInts(ids.GIDs)); err != nil {
			return die("unable to setgroups: " + errstr.Str(err))
		}
		if err := syscall.Setgid(int(ids.GIDs[0])); err != nil {
			return die("unable to setgid: " + errstr.Str(err))
		}
		if err := syscall.Setuid(int(ids.UID)); err != nil {
			return die("unable to setuid: " + errstr.Str(err))
		}
	}
	// 7. lock; the descriptor stays open across exec.
	if c.HasLock {
		if m := lock(c.Lock, c.LockWait); m != "" {
			if c.LockQuiet {
				return 0
			}
			return die(m)
		}
	}
	// 8. standard descriptors.
	for fd, name := range [3]string{"stdin", "stdout", "stderr"} {
		if c.Close[fd] {
			if err := syscall.Close(fd); err != nil {
				return die("unable to close " + name + ": " + errstr.Str(err))
			}
		}
	}
	// 9. resource limits, then 10. exec. Everything the exec and its
	// failure message need is built first: after a limit such as -d 5 or
	// -a 4096 the Go runtime cannot grow its heap, and an allocation
	// would kill chpst with "out of memory" instead of runit's message.
	file := c.Args[0]
	args := c.Args
	if c.HasArgv0 {
		args = append([]string{c.Argv0}, c.Args[1:]...)
	}
	path, havePath := Getenv(environ, "PATH")
	x := prepareExec(SearchPath(file, path, havePath), args, Env(environ, changes))
	out := make([]byte, 0, 512+len(args[0]))
	for i, v := range c.Limits {
		if v == Unset {
			continue
		}
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(resources[i], &rl); err != nil {
			return dieRaw(out, "unable to getrlimit(): ", "", errno(err))
		}
		if v < 0 || uint64(v) > rl.Max {
			rl.Cur = rl.Max
		} else {
			rl.Cur = uint64(v)
		}
		// syscall.Setrlimit (not x/sys/unix): for RLIMIT_NOFILE it also
		// stops the Go runtime from restoring, at exec, the soft limit it
		// found at start-up.
		if err := syscall.Setrlimit(resources[i], &rl); err != nil {
			return dieRaw(out, "unable to setrlimit(): ", "", errno(err))
		}
	}
	// 10. exec, searching the PATH chpst was started with.
	err := x.run()
	if c.LockQuiet {
		return 0
	}
	// runit names the program by its (possibly replaced) argv[0].
	return dieRaw(out, "unable to run: ", args[0]+": ", err)
}

// dieRaw prints "chpst: fatal: <what><name><error>" without allocating:
// buf has the capacity (it was made before the limits were applied), the
// error text is one of runit's constant strings.
func dieRaw(buf []byte, what, name string, err syscall.Errno) int {
	buf = append(buf[:0], fatal...)
	buf = append(buf, what...)
	buf = append(buf, name...)
	buf = append(buf, errstr.Errno(unix.Errno(err))...)
	buf = append(buf, '\n')
	for len(buf) > 0 {
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, 2, uintptr(unsafe.Pointer(&buf[0])), uintptr(len(buf)))
		if e == syscall.EINTR {
			continue
		}
		if e != 0 || n == 0 {
			break
		}
		buf = buf[n:]
	}
	return 111
}

func errno(err error) syscall.Errno {
	if e, ok := err.(syscall.Errno); ok {
		return e
	}
	return syscall.EINVAL
}

// execPlan is an exec prepared in advance: the candidate paths, argv and
// envp as the NUL-terminated arrays execve takes.
type execPlan struct {
	names []*byte
	argv  []*byte
	envp  []*byte
	err   syscall.Errno // a string held a NUL byte (cannot come from argv or environ)
}

func prepareExec(names, argv, env []string) *execPlan {
	// The Go runtime raised the soft NOFILE limit at start-up and
	// syscall.Exec puts the original back just before its execve; the raw
	// execve below does not, so let syscall.Exec do it now: with an empty
	// path the execve fails (ENOENT) and the limit stays restored. -o,
	// applied later, still overrides it.
	syscall.Exec("", nil, nil)
	x := &execPlan{names: make([]*byte, len(names))}
	var err error
	for i, n := range names {
		if x.names[i], err = syscall.BytePtrFromString(n); err != nil {
			x.err = syscall.EINVAL
		}
	}
	var e1, e2 error
	x.argv, e1 = syscall.SlicePtrFromStrings(argv)
	x.envp, e2 = syscall.SlicePtrFromStrings(env)
	if e1 != nil || e2 != nil {
		x.err = syscall.EINVAL
	}
	return x
}

// run execs the candidates like runit's pathexec: "not found" goes on,
// "access denied"/"permission denied"/"is a directory" are remembered and
// go on, anything else stops the search. It returns the error to report;
// it makes no allocation.
func (x *execPlan) run() syscall.Errno {
	if x.err != 0 {
		return x.err
	}
	var saved, err syscall.Errno
	for _, name := range x.names {
		err = execve(name, x.argv, x.envp)
		if err == syscall.ENOENT {
			continue
		}
		saved = err
		if err != syscall.EACCES && err != syscall.EPERM && err != syscall.EISDIR {
			return err
		}
	}
	if saved != 0 {
		return saved
	}
	return err
}

// execve is the raw system call. The process is single-goroutine here,
// the thread is locked (see Main), and Linux ends the other threads at a
// successful execve.
func execve(name *byte, argv, envp []*byte) syscall.Errno {
	for {
		_, _, e := syscall.RawSyscall(syscall.SYS_EXECVE,
			uintptr(unsafe.Pointer(name)),
			uintptr(unsafe.Pointer(&argv[0])),
			uintptr(unsafe.Pointer(&envp[0])))
		if e != syscall.EINTR {
			return e
		}
	}
}

// nice changes the calling thread's nice value by inc like nice(3).
func nice(inc int32) error {
	const prioProcess = 0
	prio, err := syscall.Getpriority(prioProcess, 0)
	if err != nil {
		return err
	}
	// The raw system call returns 20 - nice.
	cur := int32(20 - prio)
	if err := syscall.Setpriority(prioProcess, 0, int(cur+inc)); err != nil {
		if err == syscall.EACCES {
			err = syscall.EPERM
		}
		return err
	}
	return nil
}

// lock opens file for appending (created 0600) and takes an exclusive
// flock, waiting or not. The descriptor is not close-on-exec. It returns
// the failure message, "" on success.
func lock(file string, wait bool) string {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(file, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_APPEND|syscall.O_CREAT, 0600)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return "unable to open lock: " + file + ": " + errstr.Str(err)
	}
	how := syscall.LOCK_EX
	if !wait {
		how |= syscall.LOCK_NB
	}
	for {
		err = syscall.Flock(fd, how)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return "unable to lock: " + file + ": " + errstr.Str(err)
	}
	return ""
}

func die(text string) int {
	msg.Err(fatal, text)
	return 111
}

func gidInts(g []uint32) []int {
	out := make([]int, len(g))
	for i, v := range g {
		out[i] = int(v)
	}
	return out
}

func utoa(v uint32) string { return msg.Itoa(int64(v)) }
