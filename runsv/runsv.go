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

// Runsv is one runsv process: the host of one machine (machine.go). It
// owns every descriptor and child and is the only place with system calls.
type Runsv struct {
	dir     string // the directory argument, as given (for messages)
	env     []string
	st      State    // the machine
	acts    []Action // reused for every step
	io      [2]svcIO // per Target
	logpipe [2]int

	self    [2]int // self-pipe: SIGTERM (and SIGCHLD without pidfds) write a byte
	gotTerm bool
	reaper  *reaper.Reaper

	// Exits collected by the reaper, not yet given to the machine (one
	// process per service at a time).
	exits  [2]reaper.Exit
	exited [2]bool
	onExit [2]func(reaper.Exit)

	timers   [2][NTimers]time.Time // armed timers, by Target and Timer
	add      [2]addIO              // liveness checks, supervise/extra (extra.go)
	fds      [9]unix.PollFd
	exitCode int // -1 until ActExit
	statText [36]string
	buf      [readyRead]byte
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
	r := &Runsv{dir: args[1], reaper: reaper.New(), env: lean.Init(),
		logpipe: [2]int{-1, -1}, exitCode: -1}
	r.io[MainSvc].init(supervise.Prefix, "")
	r.io[LogSvc].init(supervise.LogPrefix, supervise.LogDir+"/")
	r.onExit[MainSvc] = r.mainExit
	r.onExit[LogSvc] = r.logExit
	r.initAdditions()
	r.acts = make([]Action, 0, 32)
	r.setup()
	return r.loop()
}

func (r *Runsv) warn(parts ...string) {
	msg.Err(append([]string{"runsv ", r.dir, ": warning: "}, parts...)...)
}

func (r *Runsv) fatalMsg(parts ...string) {
	msg.Err(append([]string{"runsv ", r.dir, ": fatal: "}, parts...)...)
}

func (r *Runsv) fatal(parts ...string) {
	r.fatalMsg(parts...)
	os.Exit(111)
}

// setup follows runit's start-up order, so that errors show the same way.
func (r *Runsv) setup() {
	if err := unix.Pipe2(r.self[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		r.fatal("unable to create selfpipe: ", errstr.Str(err))
	}
	// Child exits wake the loop through pidfds (and SIGCHLD, for a kernel
	// without them); SIGTERM and SIGCHLD come as bytes on the self-pipe,
	// polled with the rest (internal/sigpipe): no os/signal and its two
	// threads.
	sigpipe.Route(r.self[1], unix.SIGTERM, unix.SIGCHLD)
	// Every other signal does what it does to runit's runsv, but for
	// SIGPIPE: a warning to a log pipe nobody reads fails, runsv goes on.
	sigact.Daemon(unix.SIGCHLD, unix.SIGTERM, unix.SIGPIPE)

	if err := unix.Chdir(r.dir); err != nil {
		r.fatal("unable to change to directory: ", errstr.Str(err))
	}
	haveLog, logDown := false, false
	var st unix.Stat_t
	switch err := unix.Stat(supervise.LogDir, &st); {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		haveLog = true
		logDown = exists(supervise.LogDir + "/" + supervise.DownFile)
		if err := unix.Pipe2(r.logpipe[:], unix.O_CLOEXEC); err != nil {
			r.fatal("unable to create log pipe: ", errstr.Str(err))
		}
	case err == nil:
		r.warn("./log: not a directory.")
	case err != unix.ENOENT:
		r.warn("unable to stat() ./log: : ", errstr.Str(err))
	}
	r.st = New(haveLog, exists(supervise.DownFile), logDown, time.Now())
	// runit writes a pid file on a pid change, and counts start-up as one
	// for the main service only: log/supervise/pid appears once the
	// logger first runs.
	r.io[MainSvc].pidWritten, r.io[LogSvc].pidWritten = -1, 0

	r.mkSupervise(supervise.Dir, "")
	r.io[MainSvc].lock = r.lockFile(supervise.LockPath, true)
	if haveLog {
		r.mkSupervise(supervise.LogPrefix[:len(supervise.LogPrefix)-1], supervise.LogDir+"/")
		r.io[LogSvc].lock = r.lockFile(supervise.LogPrefix+supervise.LockFile, false)
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
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}

// mkSupervise creates the supervise directory, or, if it is a symbolic
// link, the directory it points to (one level; relative targets are
// relative to base, the directory holding the link).
func (r *Runsv) mkSupervise(path, base string) {
	if unix.Mkdir(path, 0700) == nil {
		return
	}
	var st unix.Stat_t
	if unix.Lstat(path, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return
	}
	buf := make([]byte, 256)
	n, err := unix.Readlink(path, buf)
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
	unix.Mkdir(target, 0700)
}

func (r *Runsv) lockFile(path string, nonblock bool) int {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_APPEND|unix.O_CREAT|unix.O_NONBLOCK|unix.O_CLOEXEC, 0600)
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
		r.fatal("unable to lock ", path, ": ", errstr.Str(err))
	}
	return fd
}

func (r *Runsv) mkfifo(path string) {
	if err := unix.Mkfifo(path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", errstr.Str(err))
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
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
	s.ctlR, err = unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
	s.ctlW, err = unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
}

// openOK opens the ok FIFO (supervise.OKPath). Like runit, it does not insist on a FIFO
// here: an existing file of another type is opened as it is.
func (r *Runsv) openOK(path string) int {
	if err := unix.Mkfifo(path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", errstr.Str(err))
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", errstr.Str(err))
	}
	return fd
}

// loop is runsv's main loop: one goroutine, one blocking point (poll on
// the self-pipe, the control FIFOs, the readiness pipes and the pidfds
// of the children). It returns the exit code.
func (r *Runsv) loop() int {
	r.step(Event{Kind: EvBegin})
	for r.exitCode < 0 {
		now := time.Now()
		timeout := -1
		if r.io[MainSvc].pending() || r.io[LogSvc].pending() || r.exited[MainSvc] || r.exited[LogSvc] || r.checksPending() {
			// Bytes to execute, or exits collected while a control
			// script ran: do not sleep.
			timeout = 0
		} else {
			for t := range r.timers {
				for _, at := range r.timers[t] {
					timeout = deadlineTimeout(at, now, timeout)
				}
			}
		}
		fds := r.fds[:0]
		fds = append(fds, unix.PollFd{Fd: int32(r.self[0]), Events: unix.POLLIN})
		for t := MainSvc; t <= LogSvc; t++ {
			s := &r.io[t]
			if t == LogSvc && !r.st.HaveLog {
				break
			}
			fds = append(fds, unix.PollFd{Fd: int32(s.ctlR), Events: unix.POLLIN})
			if s.readyR >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(s.readyR), Events: unix.POLLIN})
			}
			if s.pidfd >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(s.pidfd), Events: unix.POLLIN})
			}
			if s.stalefd >= 0 {
				fds = append(fds, unix.PollFd{Fd: int32(s.stalefd), Events: unix.POLLIN})
			}
		}
		unix.Poll(fds, timeout)
		for _, f := range fds[1:] {
			if f.Revents == 0 {
				continue
			}
			for t := MainSvc; t <= LogSvc; t++ {
				if int(f.Fd) == r.io[t].readyR {
					r.readyPoll(t)
				}
			}
		}

		now = time.Now()
		for t := MainSvc; t <= LogSvc; t++ {
			for tm := TimerHold; tm < NTimers; tm++ {
				if at := r.timers[t][tm]; !at.IsZero() && !now.Before(at) {
					r.timers[t][tm] = time.Time{}
					r.step(Event{Kind: EvTimer, Target: t, Timer: tm})
				}
			}
		}

		if sigpipe.Drain(r.self[0])&sigact.Bit(unix.SIGTERM) != 0 {
			r.gotTerm = true
		}
		r.reaper.Reap()
		r.deliverExits()
		r.deliverChecks()

		if c, ok := r.io[MainSvc].nextByte(); ok {
			r.step(Event{Kind: EvControl, Target: MainSvc, Byte: c})
		}
		if r.st.HaveLog {
			if c, ok := r.io[LogSvc].nextByte(); ok {
				r.step(Event{Kind: EvControl, Target: LogSvc, Byte: c})
			}
		}
		if r.gotTerm {
			r.gotTerm = false
			r.step(Event{Kind: EvTerm})
		}
	}
	return r.exitCode
}

// step gives e to the machine and carries out the actions, answering the
// machine's questions (Start, Script) until it has none.
func (r *Runsv) step(e Event) {
	for r.exitCode < 0 {
		if need := NeedConf(&e); need != 0 {
			e.Conf = r.readConf(e.Target, need)
		}
		var acts []Action
		r.st, acts = Step(r.st, e, time.Now(), r.acts[:0])
		r.acts = acts[:0]
		var answer bool
		for i := range acts {
			if r.do(&acts[i], &e) {
				answer = true
			}
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
		if r.exited[t] {
			r.exited[t] = false
			r.step(Event{Kind: EvExit, Target: t, Pid: r.exits[t].Pid, Status: syscall.WaitStatus(r.exits[t].Status)})
		}
	}
}

func (r *Runsv) mainExit(e reaper.Exit) { r.collected(MainSvc, e) }
func (r *Runsv) logExit(e reaper.Exit)  { r.collected(LogSvc, e) }

func (r *Runsv) collected(t Target, e reaper.Exit) {
	if e.Pid != r.st.Svc(t).Pid {
		// A process 'k' left behind and 'u' replaced: runit ignores its
		// exit too; it keeps no slot for the current process's exit.
		if s := &r.io[t]; s.stalefd >= 0 {
			unix.Close(s.stalefd)
			s.stalefd = -1
		}
		return
	}
	r.exits[t], r.exited[t] = e, true
	if s := &r.io[t]; s.pidfd >= 0 {
		unix.Close(s.pidfd)
		s.pidfd = -1
	}
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
