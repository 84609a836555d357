// Package runsv supervises one service directory the way runit's runsv
// does: it runs ./run (and ./finish), and log/run on a pipe it holds for its
// whole life, keeps the supervise/ files, and obeys the one-byte commands
// written to supervise/control.
//
// One thread of control does everything: it sleeps in poll(2) on a
// self-pipe (fed by SIGCHLD and SIGTERM) and the control FIFOs, reaps
// children through the reaper, and executes commands. Unlike runit, the
// one-second restart throttle does not block: commands are handled while a
// service is held down, and the restart happens when the second is over.
package runsv

import (
	"os"
	"os/signal"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/lean"
	"gorunit/internal/msg"
	"gorunit/internal/sigact"
	status "gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/reaper"
)

// Runsv is the state of one runsv process.
type Runsv struct {
	dir     string // the directory argument, as given (for messages)
	env     []string
	main    service
	log     service
	haveLog bool
	logpipe [2]int

	self     [2]int // self-pipe: SIGCHLD and SIGTERM write a byte
	gotTerm  atomic.Bool
	reaper   *reaper.Reaper
	lastExit reaper.Exit // wait status of the last ./run, for ./finish

	logExiting bool // the log has been told to exit and the pipe closed
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
		logpipe: [2]int{-1, -1}}
	r.main.sup = "supervise/"
	r.log.sup = "log/supervise/"
	r.log.base = "log/"
	r.log.isLog = true
	r.main.readyR, r.log.readyR = -1, -1
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
		r.fatal("unable to create selfpipe: ", msg.E(err))
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGCHLD, unix.SIGTERM)
	go r.forwardSignals(sigs)
	// Every other signal does what it does to runit's runsv, but for
	// SIGPIPE: a warning to a log pipe nobody reads fails, runsv goes on.
	sigact.Daemon(unix.SIGCHLD, unix.SIGTERM, unix.SIGPIPE)

	if err := unix.Chdir(r.dir); err != nil {
		r.fatal("unable to change to directory: ", msg.E(err))
	}
	r.main.state = status.Down
	r.main.want = status.InternalWantUp
	if exists("down") {
		r.main.want = status.InternalWantDown
	}
	var st unix.Stat_t
	switch err := unix.Stat("log", &st); {
	case err == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR:
		r.haveLog = true
		r.log.state = status.Down
		r.log.want = status.InternalWantUp
		if exists("log/down") {
			r.log.want = status.InternalWantDown
		}
		if err := unix.Pipe2(r.logpipe[:], unix.O_CLOEXEC); err != nil {
			r.fatal("unable to create log pipe: ", msg.E(err))
		}
	case err == nil:
		r.warn("./log: not a directory.")
	case err != unix.ENOENT:
		r.warn("unable to stat() ./log: : ", msg.E(err))
	}
	now := tai64.Now()
	r.main.since, r.log.since = now, now
	// runit writes a pid file on a pid change, and counts start-up as one
	// for the main service only: log/supervise/pid appears once the
	// logger first runs.
	r.main.pidWritten, r.log.pidWritten = -1, 0

	r.mkSupervise("supervise", "")
	r.main.lock = r.lockFile("supervise/lock", true)
	if r.haveLog {
		r.mkSupervise("log/supervise", "log/")
		r.log.lock = r.lockFile("log/supervise/lock", false)
	}
	r.openControl(&r.main)
	r.writeStatus(&r.main)
	if r.haveLog {
		r.openControl(&r.log)
		r.writeStatus(&r.log)
	}
	r.main.ok = r.openOK("supervise/ok")
	if r.haveLog {
		r.log.ok = r.openOK("log/supervise/ok")
	}
}

func (r *Runsv) forwardSignals(sigs chan os.Signal) {
	one := []byte{0}
	for s := range sigs {
		if s == unix.SIGTERM {
			r.gotTerm.Store(true)
		}
		unix.Write(r.self[1], one)
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
			r.fatal("unable to readlink ./", path, ": ", msg.E(err))
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
		r.fatal("unable to open ", path, ": ", msg.E(err))
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
		r.fatal("unable to lock ", path, ": ", msg.E(err))
	}
	return fd
}

func (r *Runsv) mkfifo(path string) {
	if err := unix.Mkfifo(path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", msg.E(err))
	}
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		r.fatal("unable to stat ", path, ": ", msg.E(err))
	}
	if st.Mode&unix.S_IFMT != unix.S_IFIFO {
		r.fatal(path, " exists but is not a fifo")
	}
}

func (r *Runsv) openControl(s *service) {
	path := s.name("control")
	r.mkfifo(path)
	var err error
	s.ctlR, err = unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", msg.E(err))
	}
	s.ctlW, err = unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", msg.E(err))
	}
}

// openOK opens supervise/ok. Like runit, it does not insist on a FIFO
// here: an existing file of another type is opened as it is.
func (r *Runsv) openOK(path string) int {
	if err := unix.Mkfifo(path, 0600); err != nil && err != unix.EEXIST {
		r.fatal("unable to mkfifo ", path, ": ", msg.E(err))
	}
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatal("unable to open ", path, ": ", msg.E(err))
	}
	return fd
}

// wantsStart reports whether s should be started now (by the loop).
func (r *Runsv) wantsStart(s *service, now time.Time) bool {
	if s.pid != 0 || s.held(now) {
		return false
	}
	if s.isLog {
		return s.state == status.Down && s.want == status.InternalWantUp && !r.logExiting
	}
	return s.state == status.Finish || s.want == status.InternalWantUp || s.once
}

// loop is runsv's main loop. It returns the exit code.
func (r *Runsv) loop() int {
	fds := make([]unix.PollFd, 0, 5)
	var drain [64]byte
	for {
		now := time.Now()
		if r.haveLog && r.wantsStart(&r.log, now) {
			r.start(&r.log)
		}
		if r.wantsStart(&r.main, now) {
			r.start(&r.main)
		}

		timeout := -1
		if r.main.npend > 0 || (r.haveLog && r.log.npend > 0) {
			timeout = 0
		} else {
			timeout = r.holdTimeout(&r.main, now, timeout)
			timeout = deadlineTimeout(r.main.killAt, now, timeout)
			if r.haveLog {
				timeout = r.holdTimeout(&r.log, now, timeout)
				timeout = deadlineTimeout(r.log.killAt, now, timeout)
			}
		}
		fds = fds[:0]
		fds = append(fds, unix.PollFd{Fd: int32(r.self[0]), Events: unix.POLLIN})
		fds = append(fds, unix.PollFd{Fd: int32(r.main.ctlR), Events: unix.POLLIN})
		if r.haveLog {
			fds = append(fds, unix.PollFd{Fd: int32(r.log.ctlR), Events: unix.POLLIN})
		}
		if r.main.readyR >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(r.main.readyR), Events: unix.POLLIN})
		}
		if r.log.readyR >= 0 {
			fds = append(fds, unix.PollFd{Fd: int32(r.log.readyR), Events: unix.POLLIN})
		}
		unix.Poll(fds, timeout)
		for _, f := range fds[1:] {
			if f.Revents != 0 && (int(f.Fd) == r.main.readyR || int(f.Fd) == r.log.readyR) {
				if int(f.Fd) == r.main.readyR {
					r.readyPoll(&r.main)
				} else {
					r.readyPoll(&r.log)
				}
			}
		}
		now = time.Now()
		r.checkKill(&r.main, now)
		if r.haveLog {
			r.checkKill(&r.log, now)
		}

		for {
			n, err := unix.Read(r.self[0], drain[:])
			if n <= 0 || err != nil {
				break
			}
		}
		r.reaper.Reap()

		if c, ok := r.nextByte(&r.main); ok {
			r.control(&r.main, c)
		}
		if r.haveLog {
			if c, ok := r.nextByte(&r.log); ok {
				r.control(&r.log, c)
			}
		}
		if r.gotTerm.Swap(false) {
			r.control(&r.main, 'x')
		}

		if r.main.want == status.InternalWantExit && r.main.state == status.Down {
			if !r.haveLog || r.log.pid == 0 {
				return 0
			}
			if !r.logExiting {
				r.logExiting = true
				r.log.want = status.InternalWantExit
				r.writeStatus(&r.log)
				if err := unix.Close(r.logpipe[1]); err != nil {
					r.warn("unable to close logpipe[1]: ", msg.E(err))
				}
				if err := unix.Close(r.logpipe[0]); err != nil {
					r.warn("unable to close logpipe[0]: ", msg.E(err))
				}
			}
		}
	}
}

// holdTimeout lowers timeout (milliseconds, -1 for none) to the end of
// s's restart hold, if s is waiting for it.
func (r *Runsv) holdTimeout(s *service, now time.Time, timeout int) int {
	if !s.held(now) || s.pid != 0 {
		return timeout
	}
	ms := int(s.holdUntil.Sub(now)/time.Millisecond) + 1
	if timeout < 0 || ms < timeout {
		return ms
	}
	return timeout
}

// nextByte returns the next pending control byte of s, reading more from
// the FIFO when none is pending.
func (r *Runsv) nextByte(s *service) (byte, bool) {
	if s.ppos >= s.npend {
		s.ppos, s.npend = 0, 0
		n, err := unix.Read(s.ctlR, s.pending[:])
		if err != nil || n <= 0 {
			return 0, false
		}
		s.npend = n
	}
	// Bytes that are no command are no-ops: skip them now rather than one
	// per loop iteration, so a flood of garbage is drained quickly.
	for s.ppos < s.npend {
		c := s.pending[s.ppos]
		s.ppos++
		if isCommand(c) {
			return c, true
		}
	}
	return 0, false
}

func isCommand(c byte) bool {
	switch c {
	case 'u', 'd', 'o', 'x', 't', 'k', 'p', 'c', 'h', 'a', 'i', 'q', '1', '2':
		return true
	}
	return false
}
