package runsv

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/msg"
	status "gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/reaper"
)

// service is one supervised process: the main service (./run, ./finish) or
// the log service (log/run).
type service struct {
	isLog bool
	sup   string // "supervise/" or "log/supervise/": prefix of the files

	state  byte // status.Down, status.Run, status.Finish
	want   int  // status.InternalWantUp, ...Down, ...Exit
	paused bool
	term   bool
	pid    int
	since  tai64.N

	// started is the monotonic time of the last start of ./run; a service
	// that goes down within a second of it waits until holdUntil before it
	// is started again (the restart throttle). Unlike runit, runsv keeps
	// handling commands meanwhile.
	started   time.Time
	holdUntil time.Time
	// once is set by 'o' while a start is held back by the throttle.
	once bool
	// downAt is when the process last ended; delay is the current backoff.
	downAt time.Time
	delay  time.Duration

	base string // "" or "log/": where the service's own files are

	// Additions (extras.go): the read end of the readiness pipe (-1 if
	// none), and a pending SIGKILL for killPid at killAt.
	readyR  int
	killAt  time.Time
	killPid int

	ctlR, ctlW int // supervise/control, read and write ends
	ok         int // supervise/ok, held open for reading
	lock       int // supervise/lock

	// pidWritten is the pid last written to supervise/pid (-1: never).
	pidWritten int

	// pending holds control bytes read but not yet executed (one byte is
	// executed per loop iteration, as runit does).
	pending [64]byte
	npend   int
	ppos    int
}

func (s *service) name(file string) string { return s.sup + file }

// held reports whether the restart throttle still holds the service down.
func (s *service) held(now time.Time) bool {
	return !s.holdUntil.IsZero() && now.Before(s.holdUntil)
}

// record is the 20-byte status record of the service.
func (s *service) record() status.Record {
	w := byte(status.WantUp)
	if s.want != status.InternalWantUp {
		w = status.WantDown
	}
	return status.Record{Since: s.since, PID: s.pid, Paused: s.paused, Want: w, Term: s.term, State: s.state}
}

// writeStatus updates supervise/pid (if the pid changed), supervise/stat
// and supervise/status, each through a .new file and rename.
func (r *Runsv) writeStatus(s *service) {
	if s.pid != s.pidWritten {
		var content string
		if s.pid != 0 {
			content = msg.Itoa(int64(s.pid)) + "\n"
		}
		if !r.replace(s, "pid", []byte(content)) {
			return
		}
		s.pidWritten = s.pid
	}
	if !r.replace(s, "stat", []byte(status.StatLine(s.state, s.paused, s.term, s.want))) {
		return
	}
	var b [status.Size]byte
	rec := s.record()
	rec.Encode(&b)
	r.replace(s, "status", b[:])
}

// replace writes data to <sup>/<file>.new and renames it over <sup>/<file>.
// A symbolic link planted as the .new file is removed, never followed.
func (r *Runsv) replace(s *service, file string, data []byte) bool {
	tmp := s.name(file + ".new")
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := unix.Open(tmp, flags, 0644)
	if err == unix.ELOOP {
		unix.Unlink(tmp)
		fd, err = unix.Open(tmp, flags, 0644)
	}
	if err != nil {
		r.warn("unable to open ", tmp, ": ", msg.E(err))
		return false
	}
	if err := writeAll(fd, data); err != nil {
		unix.Close(fd)
		r.warn("unable to write ", tmp, ": ", msg.E(err))
		return false
	}
	unix.Close(fd)
	if err := unix.Rename(tmp, s.name(file)); err != nil {
		r.warn("unable to rename ", file, ".new to ", s.name(file), ": ", msg.E(err))
		return false
	}
	return true
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// start runs ./run (or ./finish when the state is finish) for the main
// service, or log/run for the log service.
func (r *Runsv) start(s *service) {
	now := time.Now()
	if s.held(now) {
		return
	}
	s.holdUntil = time.Time{}
	s.once = false
	var argv []string
	var files []uintptr
	dir := ""
	finish := !s.isLog && s.state == status.Finish
	switch {
	case s.isLog:
		argv = []string{"./run"}
		files = []uintptr{uintptr(r.logpipe[0]), 1, 2}
		dir = "log"
	case finish:
		argv = []string{"./finish", r.finishArg1(), msg.Itoa(int64(r.lastExit.Low()))}
		files = r.mainFiles()
	default:
		r.custom(s, 'u')
		argv = []string{"./run"}
		files = r.mainFiles()
	}
	readyW := -1
	if !finish {
		r.clearReady(s)
		files, readyW = r.notifyFiles(s, files)
	}
	attr := &syscall.ProcAttr{Dir: dir, Env: r.env, Files: files}
	pid, err := r.reaper.Start(func() (int, error) {
		return syscall.ForkExec(argv[0], argv, attr)
	}, r.onExit(s))
	if readyW >= 0 {
		unix.Close(readyW)
	}
	if err != nil {
		r.closeReady(s)
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			// runit: the fork failed; try again in 5 seconds.
			r.warn("unable to fork, sleeping: ", msg.E(err))
			s.holdUntil = now.Add(5 * time.Second)
			return
		}
		// runit's child prints this and exits 111; there is no child
		// here (the exec failed before it became one), so do the same
		// bookkeeping as for a child that exited 111.
		what := argv[0]
		if s.isLog {
			what = "log/./run"
		}
		r.fatalMsg("unable to start ", what, ": ", msg.E(err))
		if !finish {
			r.started(s, now, 0)
		}
		r.exited(s, reaper.Exit{Status: unix.WaitStatus(111 << 8)})
		return
	}
	if finish {
		s.pid = pid
		r.writeStatus(s)
		r.armKill(s, "timeout-finish")
		return
	}
	r.started(s, now, pid)
}

// started records that ./run (or log/run) has been started.
func (r *Runsv) started(s *service, now time.Time, pid int) {
	s.since = tai64.FromTime(now)
	s.since.Nano = s.since.Nano/1000*1000 + 500
	s.started = now
	s.state = status.Run
	s.pid = pid
	s.paused = false
	s.term = false
	r.writeStatus(s)
}

func (r *Runsv) mainFiles() []uintptr {
	if r.haveLog {
		return []uintptr{0, uintptr(r.logpipe[1]), 2}
	}
	return []uintptr{0, 1, 2}
}

func (r *Runsv) finishArg1() string {
	if r.lastExit.Signaled() {
		return "-1"
	}
	return msg.Itoa(int64(r.lastExit.Code()))
}

func (r *Runsv) onExit(s *service) func(reaper.Exit) {
	if s.isLog {
		return r.logExit
	}
	return r.mainExit
}

func (r *Runsv) mainExit(e reaper.Exit) { r.exited(&r.main, e) }
func (r *Runsv) logExit(e reaper.Exit)  { r.exited(&r.log, e) }

// exited handles the end of a service's process.
func (r *Runsv) exited(s *service, e reaper.Exit) {
	s.pid = 0
	s.term = false
	s.killAt = time.Time{}
	r.clearReady(s)
	if !s.isLog {
		r.lastExit = e
		if s.state != status.Finish && readable("finish") {
			s.state = status.Finish
			r.writeStatus(s)
			return
		}
	}
	s.state = status.Down
	now := time.Now()
	s.since = tai64.FromTime(now)
	s.since.Nano = s.since.Nano/1000*1000 + 500
	r.writeStatus(s)
	s.downAt = now
	if hold := r.restartHold(s, now.Sub(s.started)); hold > 0 {
		s.holdUntil = now.Add(hold)
	}
}

func readable(path string) bool {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// custom runs control/<c> if it exists and is executable by its owner,
// waiting for it, and reports whether it exited 0. Always false for the log
// service.
func (r *Runsv) custom(s *service, c byte) bool {
	if s.isLog {
		return false
	}
	path := "control/" + string([]byte{c})
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		if err != unix.ENOENT {
			r.warn("unable to stat ", path, ": ", msg.E(err))
		}
		return false
	}
	if st.Mode&0100 == 0 {
		return false
	}
	attr := &syscall.ProcAttr{Env: r.env, Files: r.mainFiles()}
	pid, err := r.reaper.Start(func() (int, error) {
		return syscall.ForkExec(path, []string{path}, attr)
	}, nil)
	if err != nil {
		r.fatalMsg("unable to run ", path, ": ", msg.E(err))
		return false
	}
	e, ok := r.reaper.WaitFor(pid)
	return ok && !e.Signaled() && e.Code() == 0
}

func (r *Runsv) signal(s *service, sig unix.Signal) {
	if s.pid > 0 {
		unix.Kill(s.pid, sig)
	}
}

// stop sends TERM (unless control/t says otherwise) and, for want down or
// exit, CONT and the control/d or control/x script.
func (r *Runsv) stop(s *service) {
	if s.pid != 0 && !r.custom(s, 't') {
		r.signal(s, unix.SIGTERM)
		s.term = true
		r.writeStatus(s)
		r.armKill(s, "timeout-kill")
	}
	switch s.want {
	case status.InternalWantDown:
		r.signal(s, unix.SIGCONT)
		r.custom(s, 'd')
	case status.InternalWantExit:
		r.signal(s, unix.SIGCONT)
		r.custom(s, 'x')
	}
}

// control executes one command byte for a service.
func (r *Runsv) control(s *service, c byte) {
	running := s.state == status.Run
	switch c {
	case 'u':
		s.want = status.InternalWantUp
		r.writeStatus(s)
		r.cutBackoff(s)
		if s.state == status.Down && s.pid == 0 {
			r.start(s)
		}
	case 'd':
		s.want = status.InternalWantDown
		s.once = false
		r.writeStatus(s)
		if running {
			r.stop(s)
		}
	case 'o':
		s.want = status.InternalWantDown
		r.writeStatus(s)
		if s.state == status.Down && s.pid == 0 {
			if s.held(time.Now()) {
				s.once = true
			} else {
				r.start(s)
			}
		}
	case 'x':
		if s.isLog {
			return
		}
		s.want = status.InternalWantExit
		s.once = false
		r.writeStatus(s)
		if running {
			r.stop(s)
		}
	case 't':
		if running {
			r.stop(s)
		}
	case 'k':
		if running && !r.custom(s, 'k') {
			r.signal(s, unix.SIGKILL)
		}
		// runit: the state is set to down without a status write.
		s.state = status.Down
	case 'p':
		if running && !r.custom(s, 'p') {
			r.signal(s, unix.SIGSTOP)
		}
		s.paused = true
		r.writeStatus(s)
	case 'c':
		if running && !r.custom(s, 'c') {
			r.signal(s, unix.SIGCONT)
		}
		s.paused = false
		r.writeStatus(s)
	case 'h', 'a', 'i', 'q', '1', '2':
		if running && !r.custom(s, c) {
			r.signal(s, signalFor(c))
		}
	}
}

func signalFor(c byte) unix.Signal {
	switch c {
	case 'h':
		return unix.SIGHUP
	case 'a':
		return unix.SIGALRM
	case 'i':
		return unix.SIGINT
	case 'q':
		return unix.SIGQUIT
	case '1':
		return unix.SIGUSR1
	}
	return unix.SIGUSR2
}
