package runsv

// Additions to runit's runsv, each switched on by a file in the service
// directory (or in log/ for the logger); a service directory without these
// files behaves exactly as under runit.
//
//	notification-fd  s6's readiness protocol: a number N from 3 to 1023.
//	                 ./run gets the write end of a pipe as fd N; when it
//	                 writes a newline there the service is ready, and runsv
//	                 writes supervise/ready (a TAI64N label and a newline),
//	                 which is removed when the process ends. A line longer
//	                 than maxReadyLine bytes closes the pipe with a warning.
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
//	check-interval   liveness, seconds, with an executable ./check (log/check
//	                 for the logger): runsv runs ./check that often while the
//	                 service runs, is not paused and got no TERM (with
//	                 notification-fd: once it is ready), asynchronously, in
//	                 a process group of its own. Exit 0 is a success; a
//	                 non-zero exit, a signal or a run longer than
//	                 check-timeout is a failure.
//	check-timeout    seconds (default: the interval); the check is then
//	                 killed (SIGKILL to its group).
//	check-failures   failures in a row (default 3, a success resets the
//	                 count) after which runsv warns "check failed N times,
//	                 restarting" and sends SIGTERM (no control/t; timeout-kill
//	                 applies); the service restarts as usual. A check still
//	                 running when the service ends is killed, its result
//	                 dropped.
//	max-restarts     give up: N or N/SECONDS (default 60). When ./run ends
//	                 N times within the window (begun at the first end
//	                 counted, as systemd's StartLimitBurst) without being
//	                 asked (no TERM of d, t, x; no k; a liveness restart
//	                 counts) while it wants up, runsv warns once and the
//	                 service stays down, want up, failed, until 'u' or 'o'.
//	                 The status record is that of any service down that
//	                 wants up, so `sv status` prints what runit's would.
//
// runsv also writes supervise/extra (and log/supervise/extra) for every
// service, with the facts the status record lacks (extra.go has the
// format); runit's sv ignores it.
//
// The rules are the machine's (machine.go); here the host reads the files
// and runs the readiness pipe; extra.go runs the checks and writes
// supervise/extra.

import (
	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/scan"
	"gorunit/internal/supervise"
)

// readNumber reads a small file holding a decimal number. It reports false
// if the file does not exist or does not start with a digit.
func readNumber(dfd int, z *zpath) (uint64, bool) {
	fd, err := openZ(dfd, z, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != 0 {
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

var zFinish = mkz(supervise.FinishFile)

// readConf reads the files the machine asks for (NeedConf) for t.
func (r *Runsv) readConf(t Target, need uint8) Conf {
	s := &r.io[t]
	var c Conf
	if need&ConfFinish != 0 && t == MainSvc {
		if fd, err := openZ(r.dfd, &zFinish, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0); err == 0 {
			unix.Close(fd)
			c.Finish = true
		}
	}
	if need&ConfTimeoutKill != 0 {
		c.TimeoutKill, _ = readNumber(r.dfd, &s.z[zTimeoutKill])
	}
	if need&ConfTimeoutFinish != 0 {
		c.TimeoutFinish, _ = readNumber(r.dfd, &s.z[zTimeoutFinish])
	}
	if need&ConfBackoff != 0 {
		c.Backoff, _ = readNumber(r.dfd, &s.z[zBackoff])
	}
	r.readAdditionConf(t, need, &c)
	return c
}

// maxReadyLine is the longest readiness line taken: a service that writes
// more on its notification-fd without a newline is never ready (its pipe
// is closed with a warning), so it cannot keep runsv busy.
const maxReadyLine = 4096

const maxReadyLineText = "4096"

// readyRead is how much of the readiness pipe is read per wake-up.
const readyRead = 512

// notifyFiles extends the child's descriptor table with the write end of
// a readiness pipe at the descriptor named in notification-fd. It returns
// the new table and the write end (-1 if readiness is not used).
func (r *Runsv) notifyFiles(t Target, files []uintptr) ([]uintptr, int) {
	s := &r.io[t]
	n, ok := readNumber(r.dfd, &s.z[zNotify])
	if !ok || !supervise.ValidNotifyFD(n) {
		if ok {
			r.warn("invalid ", s.base, supervise.NotificationFDFile, ": ", supervise.NotifyFDRule)
		}
		return files, -1
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		r.warn("unable to create pipe for ", s.base, supervise.NotificationFDFile, ": ", errstr.Str(err))
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
	s.readyR, s.readySeen = p[0], 0
	r.h.add(s.readyR, r.slot, kReady+int(t))
	return ext, p[1]
}

// readyPoll handles input on the readiness pipe: a newline means ready.
// It reads at most readyRead bytes per wake-up.
func (r *Runsv) readyPoll(t Target) {
	s := &r.io[t]
	n, err := unix.Read(s.readyR, r.h.buf[:])
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if n <= 0 {
		// EOF or an error: the service closed the descriptor without a newline.
		r.closeReady(t)
		return
	}
	line := n
	for i, c := range r.h.buf[:n] {
		if c == '\n' {
			line = i
			break
		}
	}
	s.readySeen += line
	if s.readySeen > maxReadyLine {
		r.closeReady(t)
		r.warn(s.base, supervise.NotificationFDFile, ": readiness line longer than ", maxReadyLineText, " bytes, pipe closed")
		return
	}
	if line < n {
		r.closeReady(t)
		r.readyPend[t] = true
	}
}

func (r *Runsv) closeReady(t Target) {
	r.h.closeFd(&r.io[t].readyR)
}

// clearReady forgets readiness when the service's process ends or starts.
func (r *Runsv) clearReady(t Target) {
	r.closeReady(t)
	r.readyPend[t] = false
	unlinkZ(r.dfd, &r.io[t].z[zReady])
}
