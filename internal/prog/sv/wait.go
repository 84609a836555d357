package sv

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
)

// tick is runit's poll interval while waiting.
const tick = 420 * time.Millisecond

// waitLoop waits until every live service satisfies the conditions in
// s.acts or its time is up. Like runit it checks every service right away,
// then again 0.42 s after the end of each round (a "tick"); in addition a
// service is re-checked as soon as its runsv rewrites its status file or
// exits, so success is noticed sooner. Timeouts are decided on ticks only,
// exactly as runit does (elapsed time strictly greater than -w seconds), so
// a timeout is reported at the same moment and with the same status as
// runit's, never earlier.
func (s *sv) waitLoop(live []bool) {
	w := newWatcher()
	defer w.close()
	due := make([]bool, len(live))
	copy(due, live)
	first, tickRound := true, true
	var next time.Time
	for {
		elapsed := 0.0
		if !first {
			s.tnow = tai64.Now()
			elapsed = time.Since(s.start).Seconds()
		}
		pending := 0
		for i, name := range s.services {
			if !live[i] {
				continue
			}
			if !due[i] {
				pending++
				continue
			}
			s.cur = name
			if !s.enter(name, false) {
				live[i] = false
				continue
			}
			if first {
				w.add(i)
			}
			if s.check() != 0 {
				live[i] = false
			}
			if live[i] && tickRound && elapsed > float64(s.wait) {
				s.timeout()
				live[i] = false
			}
			if live[i] {
				pending++
			}
		}
		s.write()
		if pending == 0 {
			return
		}
		if tickRound {
			next = time.Now().Add(tick)
		}
		first = false
		tickRound = !w.wait(next, due, live)
		if tickRound {
			copy(due, live)
		}
	}
}

// timeout reports a service whose time is up; force-* commands also kill
// it.
func (s *sv) timeout() {
	if s.kill {
		s.outs("kill: ")
	} else {
		s.outs("timeout: ")
	}
	if s.statusGet() > 0 {
		s.statusPrint(s.cur)
		s.rc++
	}
	s.flush("\n")
	if s.kill {
		s.control(string(supervise.CmdKill))
	}
}

// check evaluates the wait conditions for the service in the current
// directory: 1 done (ok printed; or runsv gone while waiting for exit),
// 0 not yet, -1 given up (reported).
func (s *sv) check() int {
	r := s.statusGet()
	if r == -1 {
		return -1
	}
	for i := 0; i < len(s.acts); i++ {
		w := supervise.WaitOf(s.acts[i])
		if r == 0 {
			if w == supervise.WaitExit {
				return 1
			}
			return -1
		}
		rec := s.record()
		switch w.Judge(rec, s.tstart.Sec) {
		case supervise.NotYet:
			return 0
		case supervise.MetIfReadyAndCheck:
			if !s.ready(rec) || !s.checkScript() {
				return 0
			}
		case supervise.MetIfCheck:
			if !s.checkScript() {
				return 0
			}
		}
	}
	s.outs("ok: ")
	s.statusPrint(s.cur)
	s.flush("\n")
	return 1
}

// checkScript runs ./check in the current directory with stdout closed:
// true if there is none, or it exits 0 (or is killed by a signal: runit
// looks only at wstatus>>8), or it cannot be executed (runit's child then
// warns and exits 0). Unlike runit's, which waits for a hanging check for
// ever whatever -w says, the check runs in its own process group, which
// is killed (SIGKILL) when the -w time is up (giving the check at least
// one tick): the check failed, and the wait ends with timeout at the next
// tick (whose check gets one tick too).
func (s *sv) checkScript() bool {
	var fi unix.Stat_t
	if err := unix.Stat(supervise.CheckFile, &fi); err != nil {
		if err == unix.ENOENT {
			return true
		}
		s.errLine("warning: unable to stat ", s.cur, "/"+supervise.CheckFile+": ", errstr.Str(err))
		return false
	}
	s.write()
	files := []uintptr{0, ^uintptr(0), 2}
	for _, fd := range []int{0, 2} {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err != nil {
			files[fd] = ^uintptr(0) // closed in sv: closed in the child too
		}
	}
	pid, err := syscall.ForkExec(supervise.CheckFile, []string{"./" + supervise.CheckFile}, &syscall.ProcAttr{
		Env:   syscall.Environ(),
		Files: files,
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		// ForkExec reports fork and exec failures alike; only resource
		// shortage means the fork failed.
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			s.errLine("warning: unable to fork for ", s.cur, "/check: ", errstr.Str(err))
			return false
		}
		s.errLine("warning: unable to run ", s.cur, "/check: ", errstr.Str(err))
		return true
	}
	killed := !s.checkDone(pid)
	if killed {
		unix.Kill(-pid, unix.SIGKILL)
		s.errLine("warning: ", s.cur, "/check: timed out, killed")
	}
	var ws unix.WaitStatus
	for {
		_, err = unix.Wait4(pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		s.errLine("warning: unable to wait for child ", s.cur, "/check: ", errstr.Str(err))
		return false
	}
	return ws>>8 == 0 && !killed
}

// checkDone waits for the ./check child pid to exit (without reaping it)
// until the -w time is up, but at least one tick; false if it still runs
// then. Without pidfds (Linux < 5.3) it reports true at once and the
// caller waits as runit does.
func (s *sv) checkDone(pid int) bool {
	pfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return true
	}
	defer unix.Close(pfd)
	limit := time.Until(s.start.Add(time.Duration(s.wait) * time.Second))
	if limit < tick {
		limit = tick
	}
	end := time.Now().Add(limit)
	fds := []unix.PollFd{{Fd: int32(pfd), Events: unix.POLLIN}}
	for {
		d := time.Until(end)
		if d <= 0 {
			return false
		}
		n, err := unix.Poll(fds, int((d+time.Millisecond-1)/time.Millisecond))
		if err == unix.EINTR || (err == nil && n == 0) {
			continue
		}
		return true
	}
}

// watcher wakes the wait loop when a runsv renames status.new to status
// (or ready.new to ready) in supervise/, or closes the ok FIFO, which only
// runsv holds open for reading, i.e. exits. sv's own accesses (status read, ok opened
// write-only) trigger neither, so idle waiting costs one wake-up per tick.
// A nil watcher (no inotify) just sleeps until the next tick.
type watcher struct {
	fd  int
	dir map[int32][]int // watch on supervise/ -> services
	ok  map[int32][]int // watch on the ok FIFO -> services
	buf [4096]byte
}

func newWatcher() *watcher {
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	return &watcher{fd: fd, dir: map[int32][]int{}, ok: map[int32][]int{}}
}

func (w *watcher) close() {
	if w != nil {
		unix.Close(w.fd)
	}
}

// add watches the service (index i) in the current directory. Failures
// only mean no early wake-up.
func (w *watcher) add(i int) {
	if w == nil {
		return
	}
	if wd, err := unix.InotifyAddWatch(w.fd, supervise.Dir, unix.IN_MOVED_TO|unix.IN_ONLYDIR); err == nil {
		w.dir[int32(wd)] = append(w.dir[int32(wd)], i)
	}
	if wd, err := unix.InotifyAddWatch(w.fd, supervise.OKPath, unix.IN_CLOSE_NOWRITE); err == nil {
		w.ok[int32(wd)] = append(w.ok[int32(wd)], i)
	}
}

// wait sleeps until next or until a watched service changes. It returns
// true with due set to the live services that changed, or false when the
// tick is reached (or events were lost): then every service is due.
func (w *watcher) wait(next time.Time, due, live []bool) bool {
	for {
		d := time.Until(next)
		if d <= 0 {
			return false
		}
		if w == nil {
			time.Sleep(d)
			continue
		}
		ms := int((d + time.Millisecond - 1) / time.Millisecond)
		fds := []unix.PollFd{{Fd: int32(w.fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, ms)
		if err == unix.EINTR || n == 0 {
			continue
		}
		if err != nil {
			time.Sleep(d)
			return false
		}
		for i := range due {
			due[i] = false
		}
		any, lost := w.read(due, live)
		if lost {
			return false
		}
		if any {
			return true
		}
	}
}

// read drains the inotify descriptor, marking the live services with
// relevant events in due.
func (w *watcher) read(due, live []bool) (any, lost bool) {
	for {
		n, err := unix.Read(w.fd, w.buf[:])
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			if err != nil && err != unix.EAGAIN {
				return any, true
			}
			return any, false
		}
		b := w.buf[:n]
		for len(b) >= unix.SizeofInotifyEvent {
			wd := int32(uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24)
			mask := uint32(b[4]) | uint32(b[5])<<8 | uint32(b[6])<<16 | uint32(b[7])<<24
			l := int(uint32(b[12]) | uint32(b[13])<<8 | uint32(b[14])<<16 | uint32(b[15])<<24)
			if unix.SizeofInotifyEvent+l > len(b) {
				break
			}
			name := b[unix.SizeofInotifyEvent : unix.SizeofInotifyEvent+l]
			b = b[unix.SizeofInotifyEvent+l:]
			if mask&unix.IN_Q_OVERFLOW != 0 {
				lost = true
				continue
			}
			var svc []int
			if s, ok := w.ok[wd]; ok && mask&unix.IN_CLOSE_NOWRITE != 0 {
				svc = s
			} else if s, ok := w.dir[wd]; ok && mask&unix.IN_MOVED_TO != 0 && isStatusFile(cstr(name)) {
				svc = s
			}
			for _, i := range svc {
				if live[i] {
					due[i] = true
					any = true
				}
			}
		}
	}
}

func cstr(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// isStatusFile tells whether a file renamed into supervise/ can change
// the outcome of a wait: status, or ready (readiness, see ready.go).
func isStatusFile(name string) bool {
	return name == supervise.StatusFile || name == supervise.ReadyFile
}
