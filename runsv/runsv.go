// Package runsv supervises one service directory the way runit's runsv
// does: it runs ./run (and ./finish), and log/run on a pipe it holds for its
// whole life, keeps the supervise/ files, and obeys the one-byte commands
// written to the control FIFO (supervise.ControlPath).
//
// One thread of control does everything: it sleeps in poll(2) on a
// self-pipe (fed by SIGCHLD and SIGTERM) and the control FIFOs, reaps
// children through the reaper, and executes commands. Unlike runit, the
// one-second restart throttle does not block: commands are handled while a
// service is held down, and the restart happens when the second is over.
package runsv

import (
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/lean"
	"gorunit/internal/msg"
	"gorunit/internal/sigact"
	"gorunit/internal/sigpipe"
	"gorunit/internal/supervise"
	"gorunit/reaper"
)

// Runsv is one service directory under a Host: the runsv process's only
// one, or one of process 1's. It holds the machine (machine.go), every
// descriptor of the directory and its children; it is the only place with
// system calls for them.
type Runsv struct {
	h       *Host
	dir     string // the directory argument, as given (for messages)
	wd      string // "" in the runsv process (cwd is the directory), else its path and "/"
	dfd     int    // unix.AT_FDCWD in the runsv process, else the directory
	hosted  bool   // one of many: no exit, no blocking, async errors
	slot    int    // index in h.svcs, -1 once dropped
	st      State  // the machine
	io      [2]svcIO
	logpipe [2]int

	gotTerm bool

	// Exits collected by the reaper, not yet given to the machine (one
	// process per service at a time).
	exits  [2]reaper.Exit
	exited [2]bool
	onExit [2]func(reaper.Exit)

	// A control script running for the machine (async): its pid, 0 if
	// none; the machine gets nothing else until it ends.
	script     int
	ctlReady   [2]bool               // epoll saw the control FIFO readable
	readyPend  [2]bool               // a readiness newline was read, not yet given
	timers     [2][NTimers]time.Time // armed timers, by Target and Timer
	exitCode   int                   // -1 until ActExit
	onGone     func(code int)
	tag        tagPipe // hosted, without log/: the output pipe
	mainSvc    bool    // hosted: the tree's main service (MainServiceFile)
	mainEnding bool

	cg  [2]cgState // cgroup containment, by Target (cgroup.go)
	add [2]addIO   // liveness checks, supervise/extra (extra.go)
}

// Main runs runsv with the given argv and returns its exit code (it only
// returns on usage and start-up errors or after exit).
func Main(args []string) int {
	prog := "runsv"
	if len(args) > 0 {
		prog = args[0]
	}
	if len(args) != 2 {
		msg.Usage(1, prog, " dir")
	}
	env := lean.Init()
	var self [2]int
	if err := unix.Pipe2(self[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		msg.Err("runsv ", args[1], ": fatal: unable to create selfpipe: ", errstr.Str(err), "\n")
		return 111
	}
	h, err := NewHost(reaper.New(), env)
	if err != nil {
		msg.Err("runsv ", args[1], ": fatal: unable to create selfpipe: ", errstr.Str(err), "\n")
		return 111
	}
	// Child exits wake the loop through pidfds (and SIGCHLD, for a kernel
	// without them); SIGTERM and SIGCHLD come as bytes on the self-pipe,
	// watched with the rest (internal/sigpipe): no os/signal and its two
	// threads.
	sigpipe.Route(self[1], unix.SIGTERM, unix.SIGCHLD)
	// Every other signal does what it does to runit's runsv, but for
	// SIGPIPE: a warning to a log pipe nobody reads fails, runsv goes on.
	sigact.Daemon(unix.SIGCHLD, unix.SIGTERM, unix.SIGPIPE)

	r := newRunsv(h, args[1])
	if v, _ := syscall.Getenv(HostedEnv); v != "" {
		// As process 1 hosts a service: through the directory's
		// descriptor, without changing into it.
		r.hosted = true
		fd, err := unix.Open(r.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err != nil {
			r.fatalMsg("unable to change to directory: ", errstr.Str(err))
			return 111
		}
		r.dfd, r.wd = fd, r.dir+"/"
	} else if err := unix.Chdir(r.dir); err != nil {
		r.fatal("unable to change to directory: ", errstr.Str(err))
	}
	h.Watch(self[0], func() {
		bits := sigpipe.Drain(self[0])
		if bits&sigact.Bit(unix.SIGTERM) != 0 {
			r.gotTerm = true
		}
		if bits&sigact.Bit(unix.SIGCHLD) != 0 {
			h.needReap = true
		}
	})
	if err := r.setup(); err != nil {
		os.Exit(111)
	}
	r.begin()
	for r.exitCode < 0 {
		h.Dispatch(h.Timeout())
	}
	return r.exitCode
}

// HostedEnv, set to a non-empty value in runsv's environment, makes runsv
// supervise its directory the way process 1 (and runsvdir's one-process
// mode) host a service: through a descriptor of the directory, without
// changing into it, the services started there by path. It is how the
// tests run the whole runsv suite against the hosted code; the runsv
// process behaves the same either way.
const HostedEnv = "RUNSV_HOSTED"

func newRunsv(h *Host, dir string) *Runsv {
	r := &Runsv{h: h, dir: dir, dfd: unix.AT_FDCWD, logpipe: [2]int{-1, -1}, exitCode: -1, slot: -1}
	r.tag.r, r.tag.w = -1, -1
	r.io[MainSvc].init(supervise.Prefix, "")
	r.io[LogSvc].init(supervise.LogPrefix, supervise.LogDir+"/")
	r.onExit[MainSvc] = func(e reaper.Exit) { h.post(inMsg{r: r, t: MainSvc, e: e}) }
	r.onExit[LogSvc] = func(e reaper.Exit) { h.post(inMsg{r: r, t: LogSvc, e: e}) }
	r.initAdditions()
	return r
}

// begin places r in its host and starts what should run.
func (r *Runsv) begin() {
	r.place()
	r.Start()
}

// place puts r in its host's loop.
func (r *Runsv) place() {
	r.h.place(r)
	for t := MainSvc; t <= LogSvc; t++ {
		if t == LogSvc && !r.st.HaveLog {
			break
		}
		r.h.add(r.io[t].ctlR, r.slot, kCtl+int(t))
	}
	if r.tag.r >= 0 {
		r.h.add(r.tag.r, r.slot, kTag)
	}
}

func (r *Runsv) warn(parts ...string) {
	msg.Err(append([]string{"runsv ", r.dir, ": warning: "}, parts...)...)
}

func (r *Runsv) fatalMsg(parts ...string) {
	msg.Err(append([]string{"runsv ", r.dir, ": fatal: "}, parts...)...)
}

// errSetup: a fatal start-up error, already reported (hosted).
type errSetup struct{}

func (errSetup) Error() string { return "runsv: set-up failed" }

// fatal reports a start-up error; the runsv process exits 111 as runit's
// does, a hosted service is not started (setup returns the error).
func (r *Runsv) fatal(parts ...string) {
	r.fatalMsg(parts...)
	if !r.hosted {
		os.Exit(111)
	}
	panic(errSetup{})
}

// setup follows runit's start-up order, so that errors show the same way.
// The runsv process exits on a fatal error; a hosted service returns it.
func (r *Runsv) setup() (err error) {
	if r.hosted {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(errSetup); !ok {
					panic(p)
				}
				r.release()
				err = errSetup{}
			}
		}()
	}
	haveLog, logDown := false, false
	var st unix.Stat_t
	switch err := unix.Fstatat(r.dfd, supervise.LogDir, &st, 0); {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		haveLog = true
		logDown = r.exists(supervise.LogDir + "/" + supervise.DownFile)
		if err := unix.Pipe2(r.logpipe[:], unix.O_CLOEXEC); err != nil {
			r.fatal("unable to create log pipe: ", errstr.Str(err))
		}
	case err == nil:
		r.warn("./log: not a directory.")
	case err != unix.ENOENT:
		r.warn("unable to stat() ./log: : ", errstr.Str(err))
	}
	r.st = New(haveLog, r.exists(supervise.DownFile), logDown, time.Now())
	// runit writes a pid file on a pid change, and counts start-up as one
	// for the main service only: log/supervise/pid appears once the
	// logger first runs.
	r.io[MainSvc].pidWritten, r.io[LogSvc].pidWritten = -1, 0

	r.mkSupervise(supervise.Dir, "")
	r.io[MainSvc].lock = r.lockFile(supervise.LockPath, true)
	if haveLog {
		r.mkSupervise(supervise.LogPrefix[:len(supervise.LogPrefix)-1], supervise.LogDir+"/")
		// runit's runsv waits for the log's lock; hosted, a busy lock
		// fails like the main one (the scan tries again).
		r.io[LogSvc].lock = r.lockFile(supervise.LogPrefix+supervise.LockFile, r.hosted)
	}
	r.openControl(MainSvc)
	r.writeStatus(MainSvc, r.st.Main.Snapshot())
	if haveLog {
		r.openControl(LogSvc)
		r.writeStatus(LogSvc, r.st.Log.Snapshot())
	}
	r.io[MainSvc].ok = r.openOK(supervise.OKPath)
	if haveLog {
		r.io[LogSvc].ok = r.openOK(supervise.LogPrefix + supervise.OKFile)
	}
	if r.hosted {
		r.hostedSetup(haveLog)
	}
	return nil
}

// release closes what setup opened (after a failed hosted setup, or when
// the host drops the service: its polled descriptors are closed first).
func (r *Runsv) release() {
	for t := MainSvc; t <= LogSvc; t++ {
		s := &r.io[t]
		for _, fd := range []*int{&s.ctlR, &s.ctlW, &s.ok, &s.lock} {
			if *fd >= 0 {
				unix.Close(*fd)
				*fd = -1
			}
		}
	}
	for i := range r.logpipe {
		if r.logpipe[i] >= 0 {
			unix.Close(r.logpipe[i])
			r.logpipe[i] = -1
		}
	}
	r.closeTag()
	if r.dfd >= 0 {
		unix.Close(r.dfd)
		r.dfd = -1
	}
}

func (r *Runsv) exists(path string) bool {
	var st unix.Stat_t
	return unix.Fstatat(r.dfd, path, &st, 0) == nil
}

// mkSupervise creates the supervise directory, or, if it is a symbolic
// link, the directory it points to (one level; relative targets are
// relative to base, the directory holding the link).
func (r *Runsv) mkSupervise(path, base string) {
	if unix.Mkdirat(r.dfd, path, 0700) == nil {
		return
	}
	var st unix.Stat_t
	if unix.Fstatat(r.dfd, path, &st, unix.AT_SYMLINK_NOFOLLOW) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return
	}
	buf := make([]byte, 256)
	n, err := unix.Readlinkat(r.dfd, path, buf)
	if err != nil {
		if err != unix.ENOENT && err != unix.EINVAL {
			r.fatal("unable to readlink ./", path, ": ", errstr.Str(err))
		}
		return
	}
	if n >= len(buf) {
		r.fatal("unable to readlink ./", path, ": name too long")
	}
	target := string(buf[:n])
	if target[0] != '/' {
		target = base + target
	}
	unix.Mkdirat(r.dfd, target, 0700)
}

func (r *Runsv) lockFile(path string, nonblock bool) int {
	fd, err := unix.Openat(r.dfd, path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_NONBLOCK|unix.O_CLOEXEC, 0600)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
	how := unix.LOCK_EX
	if nonblock {
		how |= unix.LOCK_NB
	}
	for {
		err = unix.Flock(fd, how)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		r.fatal("unable to lock ", path, ": ", errstr.Str(err))
	}
	return fd
}

func (r *Runsv) mkfifo(path string) {
	if err := unix.Mkfifoat(r.dfd, path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", errstr.Str(err))
	}
	var st unix.Stat_t
	if err := unix.Fstatat(r.dfd, path, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		r.fatal("unable to stat ", path, ": ", errstr.Str(err))
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		r.fatal(path, " exists but is not a fifo")
	}
}

func (r *Runsv) openControl(t Target) {
	s := &r.io[t]
	path := s.sup + supervise.ControlFile
	r.mkfifo(path)
	var err error
	s.ctlR, err = unix.Openat(r.dfd, path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
	s.ctlW, err = unix.Openat(r.dfd, path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
}

// openOK opens the ok FIFO (supervise.OKPath). Like runit, it does not insist on a FIFO
// here: an existing file of another type is opened as it is.
func (r *Runsv) openOK(path string) int {
	if err := unix.Mkfifoat(r.dfd, path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", errstr.Str(err))
	}
	fd, err := unix.Openat(r.dfd, path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
	return fd
}

// event handles one epoll event of r (kind as in host.go).
func (r *Runsv) event(kind int) {
	switch {
	case kind >= kCg:
		r.cgroupEvent(Target(kind - kCg))
	case kind == kTag:
		r.readTag()
	case kind >= kPid: // kPid, kStale: a process ended
		r.h.needReap = true
	case kind >= kReady:
		r.h.protect(r, func() { r.readyPoll(Target(kind - kReady)) })
	default:
		r.ctlReady[kind-kCtl] = true
	}
}

// busy reports whether r has work for the next pass without waiting:
// control bytes read, exits collected or a readiness line.
func (r *Runsv) busy() bool {
	return r.io[MainSvc].pending() || r.io[LogSvc].pending() ||
		r.exited[MainSvc] && !r.cg[MainSvc].waiting || r.exited[LogSvc] && !r.cg[LogSvc].waiting || r.readyPend[MainSvc] || r.readyPend[LogSvc] ||
		r.ctlReady[MainSvc] || r.ctlReady[LogSvc] || r.gotTerm || r.checksPending()
}

// pass is one turn of runit's loop for r: due timers, collected exits,
// one control byte for each service, SIGTERM. Nothing is given to the
// machine while a control script runs.
func (r *Runsv) pass() {
	if r.script != 0 || r.exitCode >= 0 {
		return
	}
	for t := MainSvc; t <= LogSvc; t++ {
		if r.readyPend[t] {
			r.readyPend[t] = false
			r.step(Event{Kind: EvReady, Target: t})
		}
	}
	now := time.Now()
	for t := MainSvc; t <= LogSvc; t++ {
		for tm := TimerHold; tm < NTimers; tm++ {
			if at := r.timers[t][tm]; !at.IsZero() && !now.Before(at) && r.script == 0 {
				r.timers[t][tm] = time.Time{}
				r.step(Event{Kind: EvTimer, Target: t, Timer: tm})
			}
		}
	}
	r.deliverExits()
	if r.script == 0 && r.exitCode < 0 {
		r.deliverChecks()
	}
	for t := MainSvc; t <= LogSvc; t++ {
		if t == LogSvc && !r.st.HaveLog {
			break
		}
		if r.script != 0 || r.exitCode >= 0 {
			return
		}
		if c, ok := r.nextByte(t); ok {
			r.step(Event{Kind: EvControl, Target: t, Byte: c})
		}
	}
	if r.gotTerm && r.script == 0 && r.exitCode < 0 {
		r.gotTerm = false
		r.step(Event{Kind: EvTerm})
	}
}

// nextByte returns t's next control byte, reading the FIFO only when
// epoll said it was readable.
func (r *Runsv) nextByte(t Target) (byte, bool) {
	s := &r.io[t]
	if !s.pending() {
		if !r.ctlReady[t] {
			return 0, false
		}
		r.ctlReady[t] = false
	}
	return s.nextByte()
}

// step gives e to the machine and carries out the actions, answering the
// machine's questions (Start) until it has none. A Script is answered
// later, when the script ends (scriptEnded).
func (r *Runsv) step(e Event) {
	for r.exitCode < 0 {
		if need := NeedConf(&e); need != 0 {
			e.Conf = r.readConf(e.Target, need)
		}
		var acts []Action
		r.st, acts = Step(r.st, e, time.Now(), r.h.acts[:0])
		r.h.acts = acts[:0]
		var answer bool
		for i := range acts {
			if r.do(&acts[i], &e) {
				answer = true
			}
		}
		if r.exitCode >= 0 {
			r.h.drop(r)
			return
		}
		if !answer {
			break
		}
	}
	r.syncExtra()
}

// deliverExits gives the machine the exits the reaper collected.
func (r *Runsv) deliverExits() {
	for t := MainSvc; t <= LogSvc; t++ {
		if r.exited[t] && r.script == 0 && r.exitCode < 0 && r.cgroupSettled(t) {
			r.exited[t] = false
			e := r.exits[t]
			if t == MainSvc && r.mainSvc {
				r.mainExited(e)
			}
			r.step(Event{Kind: EvExit, Target: t, Pid: e.Pid, Status: syscall.WaitStatus(e.Status)})
		}
	}
}

func (r *Runsv) collected(t Target, e reaper.Exit) {
	r.reportExecError(t, e) // service.go
	if e.Pid != r.st.Svc(t).Pid {
		// A process 'k' left behind and 'u' replaced: runit ignores its
		// exit too; it keeps no slot for the current process's exit.
		r.h.closeFd(&r.io[t].stalefd)
		return
	}
	r.exits[t], r.exited[t] = e, true
	r.cgroupExited(t) // kill what it left in its cgroup (cgroup.go)
	r.h.closeFd(&r.io[t].pidfd)
}

// deadlineTimeout lowers timeout (ms, -1 for none) to the time left until t.
func deadlineTimeout(t, now time.Time, timeout int) int {
	if t.IsZero() {
		return timeout
	}
	ms := 0
	if t.After(now) {
		ms = int(t.Sub(now)/time.Millisecond) + 1
	}
	if timeout < 0 || ms < timeout {
		return ms
	}
	return timeout
}
