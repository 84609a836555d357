package runsv

// The host's side of the liveness checks and the give-up (the rules are
// the machine's, machine.go; extras.go documents the files), and
// supervise/extra, the facts the 20-byte status record lacks.
//
// supervise/extra (and log/supervise/extra) is text, one fact per line,
// "key value\n", in this order; a key that is absent is unknown:
//
//	restarts N         times ./run was started since runsv began, minus 1
//	exit N             how ./run last ended: its exit code ...
//	signal N           ... or the signal that killed it (never both)
//	failed 0|1         1 while given up (max-restarts), until sv up
//	check ok|fail|none the last liveness check (none: no check-interval)
//	checkfails N       consecutive failed liveness checks
//	checked TAI64N     when the last liveness check ended
//	cgroup PATH        the service's cgroup directory, if it has one
//
// It is written through extra.new and rename(2), mode 0644, after a step
// of the machine changed it: writeExtra compares the new text with the
// last it wrote (no allocation when nothing changed).

import (
	"bytes"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/scan"
	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/reaper"
)

// extraFile is supervise/extra's name in the supervise directory.
const extraFile = "extra"

// Files of a service directory the additions read, by index in addIO.z.
const (
	zaCheck = iota
	zaInterval
	zaTimeout
	zaFailures
	zaMaxRestarts
	nza
)

// addIO is what the host holds for one service's additions.
type addIO struct {
	z [nza]zpath

	chkPid  int  // the running ./check (0: none, or its result is dropped)
	chkDone bool // its result waits to be given to the machine ...
	chkOK   bool // ... and is this
	onCheck func(reaper.Exit)

	buf     []byte // supervise/extra being built
	last    []byte // supervise/extra as last written ...
	written bool   // ... if it was
}

// initAdditions sets up the additions' paths and callbacks (after the
// svcIOs are initialised).
func (r *Runsv) initAdditions() {
	for t := MainSvc; t <= LogSvc; t++ {
		a := &r.add[t]
		base := r.io[t].base
		for i, name := range [nza]string{base + supervise.CheckFile, base + "check-interval",
			base + "check-timeout", base + "check-failures", base + "max-restarts"} {
			a.z[i] = mkz(name)
		}
		a.buf = make([]byte, 0, 128) // 128: a size class the runtime uses already
		a.last = make([]byte, 0, 128)
	}
	// The reaper may run these on another goroutine (process 1's):
	// they only post to the host's inbox (host.go).
	r.add[MainSvc].onCheck = func(e reaper.Exit) { r.h.post(inMsg{r: r, t: MainSvc, check: true, e: e}) }
	r.add[LogSvc].onCheck = func(e reaper.Exit) { r.h.post(inMsg{r: r, t: LogSvc, check: true, e: e}) }
}

// readAdditionConf fills the additions' fields of c (ConfCheck,
// ConfMaxRestarts) for t.
func (r *Runsv) readAdditionConf(t Target, need uint8, c *Conf) {
	a := &r.add[t]
	if need&ConfCheck != 0 {
		var st unix.Stat_t
		if statZ(r.dfd, &a.z[zaCheck], &st) == 0 && st.Mode&unix.S_IFMT == unix.S_IFREG && st.Mode&0111 != 0 {
			c.CheckInterval, _ = readNumber(r.dfd, &a.z[zaInterval])
		}
		if c.CheckInterval > 0 {
			c.CheckTimeout, _ = readNumber(r.dfd, &a.z[zaTimeout])
			c.CheckFailures, _ = readNumber(r.dfd, &a.z[zaFailures])
			n, ok := readNumber(r.dfd, &r.io[t].z[zNotify])
			c.Notify = ok && supervise.ValidNotifyFD(n)
		}
	}
	if need&ConfMaxRestarts != 0 {
		c.MaxRestarts, c.RestartWindow = readMaxRestarts(r.dfd, &a.z[zaMaxRestarts])
	}
}

// readMaxRestarts reads max-restarts: N or N/SECONDS (window 0: the
// default).
func readMaxRestarts(dfd int, z *zpath) (n, window uint64) {
	fd, err := openZ(dfd, z, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != 0 {
		return 0, 0
	}
	var buf [64]byte
	m, _ := unix.Read(fd, buf[:])
	unix.Close(fd)
	if m <= 0 {
		return 0, 0
	}
	return parseMaxRestarts(buf[:m])
}

// parseMaxRestarts parses "N" or "N/SECONDS" (leading digits, as runit
// reads numbers).
func parseMaxRestarts(b []byte) (n, window uint64) {
	s := string(b) // no allocation: does not escape
	n, used := scan.Ulong(s)
	if used > 0 && used < len(s) && s[used] == '/' {
		window, _ = scan.Ulong(s[used+1:])
	}
	return n, window
}

// doAddition carries out the additions' actions.
func (r *Runsv) doAddition(a *Action) {
	t := a.Target
	switch a.Kind {
	case ActCheck:
		r.startCheck(t)
	case ActKillCheck:
		r.killCheck(t)
	case ActWarn:
		base := r.io[t].base
		n := msg.Itoa(int64(a.N))
		switch a.Warn {
		case WarnCheckRestart:
			r.warn(base, "check failed ", n, " times, restarting")
		case WarnGiveUp:
			r.warn(base, "run ended ", n, " times within ", msg.Itoa(int64(a.Window)),
				" seconds, not restarted until sv up (max-restarts)")
		}
	}
}

// startCheck starts t's ./check in a process group of its own (so that a
// check that times out is killed with its children); its exit comes to
// checkExited and is given to the machine by deliverChecks.
func (r *Runsv) startCheck(t Target) {
	a := &r.add[t]
	a.chkDone = false
	argv := []string{"./" + supervise.CheckFile}
	dir, what := r.wd, argv[0]
	files := []uintptr{0, 1, 2}
	if t == LogSvc {
		dir, what = r.wd+supervise.LogDir, supervise.LogDir+"/"+argv[0]
	} else {
		files = r.mainFiles()
	}
	attr := &syscall.ProcAttr{Dir: dir, Env: r.h.Env, Files: files, Sys: &syscall.SysProcAttr{Setpgid: true}}
	pid, err := r.h.R.Start(func() (int, error) {
		return syscall.ForkExec(argv[0], argv, attr)
	}, a.onCheck)
	if err != nil {
		r.warn("unable to start ", what, ": ", errstr.Str(err))
		a.chkDone, a.chkOK = true, false // a failed check
		return
	}
	a.chkPid = pid
}

// checkExited is the reaper's callback for a check.
func (r *Runsv) checkExited(t Target, e reaper.Exit) {
	a := &r.add[t]
	if e.Pid != a.chkPid {
		return // killed and dropped
	}
	a.chkPid = 0
	a.chkDone, a.chkOK = true, !e.Signaled() && e.Code() == 0
}

// killCheck kills t's running check (and its process group) and drops its
// result; the reaper collects it later.
func (r *Runsv) killCheck(t Target) {
	a := &r.add[t]
	if a.chkPid != 0 {
		unix.Kill(-a.chkPid, unix.SIGKILL)
		a.chkPid = 0
	}
	a.chkDone = false
}

// checksPending reports whether a check's result waits for the machine.
func (r *Runsv) checksPending() bool { return r.add[MainSvc].chkDone || r.add[LogSvc].chkDone }

// deliverChecks gives the machine the results of the checks that ended.
func (r *Runsv) deliverChecks() {
	for t := MainSvc; t <= LogSvc; t++ {
		if a := &r.add[t]; a.chkDone {
			a.chkDone = false
			r.step(Event{Kind: EvCheckDone, Target: t, OK: a.chkOK})
		}
	}
}

// syncExtra writes supervise/extra (and log/supervise/extra) where it
// changed.
func (r *Runsv) syncExtra() {
	r.writeExtra(MainSvc)
	if r.st.HaveLog {
		r.writeExtra(LogSvc)
	}
}

// writeExtra writes t's supervise/extra if its text changed.
func (r *Runsv) writeExtra(t Target) {
	a := &r.add[t]
	a.buf = r.extraText(t, a.buf[:0])
	if a.written && bytes.Equal(a.buf, a.last) {
		return
	}
	if r.replace(t, zExtra, extraFile, a.buf) {
		a.last = append(a.last[:0], a.buf...)
		a.written = true
	}
}

// extraText appends t's supervise/extra to b.
func (r *Runsv) extraText(t Target, b []byte) []byte {
	s := r.st.Svc(t)
	if s.Starts > 0 {
		b = appendFact(b, "restarts ", s.Starts-1)
	}
	if s.HasEnded {
		if s.Ended.Signaled() {
			b = appendFact(b, "signal ", uint64(s.Ended.Signal()))
		} else {
			b = appendFact(b, "exit ", uint64(s.Ended.ExitStatus()))
		}
	}
	b = appendFact(b, "failed ", uint64(b2i(s.Failed)))
	switch {
	case s.Starts == 0:
		// Unknown: the files are read when ./run starts.
	case !s.CheckOn:
		b = append(b, "check none\n"...)
	case s.Result == CheckOK:
		b = append(b, "check ok\n"...)
	case s.Result == CheckFail:
		b = append(b, "check fail\n"...)
	}
	b = appendFact(b, "checkfails ", s.CheckFails)
	if !s.CheckedAt.IsZero() {
		b = append(b, "checked "...)
		b = append(tai64.FromTime(s.CheckedAt).AppendText(b), '\n')
	}
	// The cgroup line ("cgroup PATH\n") comes last.
	return r.cgroupExtraLine(t, b)
}

// cgroupExtraChanged writes supervise/extra again after t's cgroup
// changed.
func (r *Runsv) cgroupExtraChanged(t Target) { r.writeExtra(t) }

func appendFact(b []byte, key string, v uint64) []byte {
	return append(strconv.AppendUint(append(b, key...), v, 10), '\n')
}
