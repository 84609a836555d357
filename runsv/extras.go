package runsv

// Additions to runit's runsv, each switched on by a file in the service
// directory (or in log/ for the logger); a service directory without these
// files behaves exactly as under runit.
//
//	notification-fd  s6's readiness protocol: a number N >= 3. ./run gets the
//	                 write end of a pipe as fd N; when it writes a newline
//	                 there the service is ready, and runsv writes
//	                 supervise/ready (a TAI64N label and a newline), which is
//	                 removed when the process ends.
//	timeout-kill     s6's name: milliseconds. When runsv has sent SIGTERM
//	                 (down, exit, restart) and the process is still there that
//	                 long after, it gets SIGKILL.
//	timeout-finish   s6's name: milliseconds. A ./finish that runs longer is
//	                 killed with SIGKILL.
//	backoff          seconds (neither s6 nor dinit has a doubling backoff;
//	                 dinit's nearest is restart-delay). A service that goes
//	                 down before it has run that long waits 1 s before its
//	                 restart, then 2 s, 4 s, ... up to that many seconds; a
//	                 run that lasts longer resets the delay. Commands are
//	                 handled while it waits, and `sv up` cuts the wait short
//	                 (to runit's one second).

import (
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/msg"
	"gorunit/internal/scan"
	"gorunit/internal/tai64"
)

// readNumber reads a small file holding a decimal number. It reports false
// if the file does not exist or does not start with a digit.
func readNumber(path string) (uint64, bool) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	var buf [32]byte
	n, _ := unix.Read(fd, buf[:])
	unix.Close(fd)
	if n <= 0 {
		return 0, false
	}
	v, used := scan.Ulong(string(buf[:n]))
	return v, used > 0
}

// notifyFiles extends the child's descriptor table with the write end of
// a readiness pipe at the descriptor named in notification-fd. It returns
// the new table and the write end (-1 if readiness is not used).
func (r *Runsv) notifyFiles(s *service, files []uintptr) ([]uintptr, int) {
	n, ok := readNumber(s.base + "notification-fd")
	if !ok || n < 3 || n > 1023 {
		if ok {
			r.warn("invalid ", s.base, "notification-fd: must be a number from 3 to 1023")
		}
		return files, -1
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		r.warn("unable to create pipe for ", s.base, "notification-fd: ", msg.E(err))
		return files, -1
	}
	// The child's fds 3..N-1 that are not otherwise given are closed; the
	// write end must be blocking for the service.
	unix.SetNonblock(p[1], false)
	ext := make([]uintptr, n+1)
	copy(ext, files)
	for i := len(files); i < int(n); i++ {
		ext[i] = ^uintptr(0)
	}
	ext[n] = uintptr(p[1])
	s.readyR = p[0]
	return ext, p[1]
}

// readyPoll handles input on the readiness pipe: a newline means ready.
func (r *Runsv) readyPoll(s *service) {
	var buf [64]byte
	n, err := unix.Read(s.readyR, buf[:])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if n > 0 {
		for _, c := range buf[:n] {
			if c == '\n' {
				r.closeReady(s)
				r.replace(s, "ready", append(tai64.Now().AppendText(make([]byte, 0, tai64.TextLen+1)), '\n'))
				return
			}
		}
		return
	}
	// EOF or an error: the service closed the descriptor without a newline.
	r.closeReady(s)
}

func (r *Runsv) closeReady(s *service) {
	if s.readyR >= 0 {
		unix.Close(s.readyR)
		s.readyR = -1
	}
}

// clearReady forgets readiness when the service's process ends or starts.
func (r *Runsv) clearReady(s *service) {
	r.closeReady(s)
	unix.Unlink(s.name("ready"))
}


// armKill starts the timer of timeout-kill (after a SIGTERM) or
// timeout-finish (when ./finish starts) for the current process.
func (r *Runsv) armKill(s *service, file string) {
	ms, ok := readNumber(s.base + file)
	if !ok || ms == 0 || ms > maxKillMs || s.pid == 0 {
		return
	}
	s.killAt = time.Now().Add(time.Duration(ms) * time.Millisecond)
	s.killPid = s.pid
}

// checkKill sends SIGKILL when a kill timer has expired.
func (r *Runsv) checkKill(s *service, now time.Time) {
	if s.killAt.IsZero() || now.Before(s.killAt) {
		return
	}
	if s.pid != 0 && s.pid == s.killPid {
		unix.Kill(s.pid, unix.SIGKILL)
		unix.Kill(s.pid, unix.SIGCONT)
	}
	s.killAt = time.Time{}
}

// restartHold returns how long a service that has just gone down after
// running for ran waits before it is started again: runit's one second
// after a run shorter than a second, or the doubling backoff.
func (r *Runsv) restartHold(s *service, ran time.Duration) time.Duration {
	limit, ok := readNumber(s.base + "backoff")
	if !ok || limit <= 1 {
		s.delay = 0
		if ran < time.Second {
			return time.Second
		}
		return 0
	}
	// Beyond 2^32 s (136 years) the wait is capped: time.Duration would
	// overflow and wrap to no wait at all.
	max := time.Duration(min(limit, 1<<32)) * time.Second
	if ran >= max {
		s.delay = 0
		return 0
	}
	switch {
	case s.delay < time.Second:
		s.delay = time.Second
	case s.delay < max:
		s.delay *= 2
		if s.delay > max {
			s.delay = max
		}
	}
	return s.delay
}

// cutBackoff is `sv up` during a backoff wait: the start happens as soon
// as runit's own one-second rule allows.
func (r *Runsv) cutBackoff(s *service) {
	if s.holdUntil.IsZero() || s.downAt.IsZero() {
		return
	}
	if min := s.downAt.Add(time.Second); s.holdUntil.After(min) {
		s.holdUntil = min
		s.delay = 0
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
