package runsv

import (
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/spawn"
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
	"gorunit/reaper"
)

// zpath is a NUL-terminated path for the system calls of the loop, which
// take no Go string (a string would be copied on every call).
type zpath [128]byte

func mkz(s string) zpath {
	var z zpath
	copy(z[:len(z)-1], s)
	return z
}

func (z *zpath) ptr() uintptr { return uintptr(unsafe.Pointer(&z[0])) }

// The *Z calls take the directory they are relative to: unix.AT_FDCWD in
// the runsv process (it changed into the service directory), the
// directory's descriptor for a hosted service.

func openZ(dfd int, z *zpath, flags int, mode uint32) (int, unix.Errno) {
	fd, _, e := unix.Syscall6(unix.SYS_OPENAT, uintptr(dfd), z.ptr(), uintptr(flags), uintptr(mode), 0, 0)
	return int(fd), e
}

func unlinkZ(dfd int, z *zpath) unix.Errno {
	_, _, e := unix.Syscall(unix.SYS_UNLINKAT, uintptr(dfd), z.ptr(), 0)
	return e
}

func renameZ(dfd int, from, to *zpath) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_RENAMEAT, uintptr(dfd), from.ptr(), uintptr(dfd), to.ptr(), 0, 0)
	return e
}

func statZ(dfd int, z *zpath, st *unix.Stat_t) unix.Errno {
	_, _, e := unix.Syscall6(unix.SYS_NEWFSTATAT, uintptr(dfd), z.ptr(), uintptr(unsafe.Pointer(st)), 0, 0, 0)
	return e
}

// supervised files, by index in svcIO.z
const (
	zStatus = iota
	zStatusNew
	zStat
	zStatNew
	zPid
	zPidNew
	zReady
	zReadyNew
	zNotify
	zTimeoutKill
	zTimeoutFinish
	zBackoff
	zExtra // supervise/extra and extra.new (extra.go)
	zExtraNew
	nz
)

// svcIO is what the host holds for one service: descriptors, paths and
// the control bytes read but not yet given to the machine.
type svcIO struct {
	sup  string // "supervise/" or "log/supervise/": prefix of the files
	base string // "" or "log/": where the service's own files are
	z    [nz]zpath

	ctlR, ctlW int // the control FIFO, read and write ends
	ok         int // the ok FIFO, held open for reading
	lock       int // supervise/lock
	readyR     int // read end of the readiness pipe, -1 if none
	readySeen  int // bytes read from it without a newline
	pidfd      int // pidfd of the service's process, -1 if none
	stalefd    int // pidfd of a process 'k' left behind and 'u' replaced, -1 if none

	prog Prog // what the process last started runs (for reportExecError)

	// pidWritten is the pid last written to supervise/pid (-1: never).
	pidWritten int

	// pending holds control bytes read but not yet executed (one byte is
	// executed per loop iteration, as runit does).
	buf   [64]byte
	npend int
	ppos  int
}

func (s *svcIO) init(sup, base string) {
	s.sup, s.base = sup, base
	s.readyR, s.pidfd, s.stalefd = -1, -1, -1
	// None open yet: the log's stay so without log/ (0 would be the
	// host's stdin, closed by release and the host's drop).
	s.ctlR, s.ctlW, s.ok, s.lock = -1, -1, -1, -1
	for i, name := range [nz]string{
		sup + supervise.StatusFile, sup + supervise.StatusFile + ".new",
		sup + supervise.StatFile, sup + supervise.StatFile + ".new",
		sup + supervise.PIDFile, sup + supervise.PIDFile + ".new",
		sup + supervise.ReadyFile, sup + supervise.ReadyFile + ".new",
		base + supervise.NotificationFDFile, base + "timeout-kill", base + "timeout-finish", base + "backoff",
		sup + extraFile, sup + extraFile + ".new",
	} {
		s.z[i] = mkz(name)
	}
}

// pending reports whether control bytes wait in the buffer.
func (s *svcIO) pending() bool { return s.ppos < s.npend }

// nextByte returns the next pending control byte, reading more from the
// FIFO when none is pending.
func (s *svcIO) nextByte() (byte, bool) {
	if s.ppos >= s.npend {
		s.ppos, s.npend = 0, 0
		n, err := unix.Read(s.ctlR, s.buf[:])
		if err != nil || n <= 0 {
			return 0, false
		}
		s.npend = n
	}
	// Bytes that are no command are no-ops: skip them now rather than one
	// per loop iteration, so a flood of garbage is drained quickly.
	for s.ppos < s.npend {
		c := s.buf[s.ppos]
		s.ppos++
		if supervise.IsCommand(c) {
			return c, true
		}
	}
	return 0, false
}

// do carries out one action. For a question (Start, Script) it stores
// the answer in e and reports true.
func (r *Runsv) do(a *Action, e *Event) bool {
	t := a.Target
	switch a.Kind {
	case ActStart:
		*e = r.start(t, a.Prog, a.ExitStatus)
		return true
	case ActScript:
		if !r.custom(a.C) {
			*e = Event{Kind: EvScriptDone, Target: t}
			return true
		}
	case ActSignal:
		r.signal(a.Pid, a.Sig)
	case ActWriteStatus:
		r.writeStatus(t, a.Status)
	case ActArmTimer:
		r.timers[t][a.Timer] = a.At
	case ActCancelTimer:
		r.timers[t][a.Timer] = time.Time{}
	case ActClearReady:
		r.clearReady(t)
	case ActWriteReady:
		r.closeReady(t)
		b := append(tai64.Now().AppendText(r.h.buf[:0]), '\n')
		r.replace(t, zReady, supervise.ReadyFile, b)
	case ActCloseLogPipe:
		if err := unix.Close(r.logpipe[1]); err != nil {
			r.warn("unable to close logpipe[1]: ", errstr.Str(err))
		}
		if err := unix.Close(r.logpipe[0]); err != nil {
			r.warn("unable to close logpipe[0]: ", errstr.Str(err))
		}
	case ActExit:
		r.exitCode = a.Code
	default:
		r.doAddition(a) // extra.go
	}
	return false
}

// statLine is supervise.StatLine, kept once per combination.
func (r *Runsv) statLine(s Snapshot) string {
	i := (int(s.State)%3)*12 + s.Want%3*4 + b2i(s.Paused)*2 + b2i(s.Term)
	if r.h.statText[i] == "" {
		r.h.statText[i] = supervise.StatLine(s.State, s.Paused, s.Term, s.Want)
	}
	return r.h.statText[i]
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// writeStatus updates supervise/pid (if the pid changed), supervise/stat
// and the status record, each through a .new file and rename.
func (r *Runsv) writeStatus(t Target, snap Snapshot) {
	s := &r.io[t]
	if snap.Pid != s.pidWritten {
		var b [24]byte
		content := b[:0]
		if snap.Pid != 0 {
			content = append(strconv.AppendInt(content, int64(snap.Pid), 10), '\n')
		}
		if !r.replace(t, zPid, supervise.PIDFile, content) {
			return
		}
		s.pidWritten = snap.Pid
	}
	line := r.statLine(snap)
	var sb [64]byte
	if !r.replace(t, zStat, supervise.StatFile, append(sb[:0], line...)) {
		return
	}
	var b [supervise.Size]byte
	rec := snap.Record()
	rec.Encode(&b)
	r.replace(t, zStatus, supervise.StatusFile, b[:])
}

// replace writes data to <sup>/<file>.new and renames it over
// <sup>/<file> (z is the index of <file>, z+1 that of <file>.new). A
// symbolic link planted as the .new file is removed, never followed.
func (r *Runsv) replace(t Target, z int, file string, data []byte) bool {
	s := &r.io[t]
	tmp := &s.z[z+1]
	flags := unix.O_WRONLY | unix.O_CREAT | unix.O_TRUNC | unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	fd, err := openZ(r.dfd, tmp, flags, 0644)
	if err == unix.ELOOP {
		unlinkZ(r.dfd, tmp)
		fd, err = openZ(r.dfd, tmp, flags, 0644)
	}
	if err != 0 {
		r.warn("unable to open ", s.sup, file, ".new: ", errstr.Str(err))
		return false
	}
	if err := sysio.WriteAll(fd, data); err != nil {
		unix.Close(fd)
		r.warn("unable to write ", s.sup, file, ".new: ", errstr.Str(err))
		return false
	}
	unix.Close(fd)
	if err := renameZ(r.dfd, tmp, &s.z[z]); err != 0 {
		r.warn("unable to rename ", file, ".new to ", s.sup, file, ": ", errstr.Str(err))
		return false
	}
	return true
}

// start carries out ActStart: ./run (after control/u, which the machine
// asked for), ./finish or log/run. It returns the machine's answer.
func (r *Runsv) start(t Target, p Prog, ws syscall.WaitStatus) Event {
	var argv []string
	var files []uintptr
	dir := r.wd
	switch p {
	case ProgLogRun:
		argv = []string{"./" + supervise.RunFile}
		files = []uintptr{uintptr(r.logpipe[0]), 1, 2}
		dir = r.wd + supervise.LogDir
	case ProgFinish:
		arg1 := "-1"
		if !ws.Signaled() {
			arg1 = msg.Itoa(int64(ws>>8) & 0xff)
		}
		argv = []string{"./" + supervise.FinishFile, arg1, msg.Itoa(int64(ws & 0xff))}
		files = r.mainFiles()
	default:
		argv = []string{"./" + supervise.RunFile}
		files = r.mainFiles()
	}
	readyW := -1
	if p != ProgFinish {
		files, readyW = r.notifyFiles(t, files)
	}
	// The child is forked and the status written at once, while it
	// executes its program (internal/spawn). A failure to execute shows
	// as its exit 111 (reportExecError), as with runit's child.
	pidfd := -1
	pid, err := r.h.R.Start(func() (pid int, err error) {
		pid, pidfd, err = r.forkExec(t, p, argv, dir, files) // into its cgroup, if any (cgroup.go)
		return pid, err
	}, r.onExit[t])
	if readyW >= 0 {
		unix.Close(readyW)
	}
	if err != nil {
		r.closeReady(t)
		if err == syscall.EAGAIN || err == syscall.ENOMEM {
			// runit: the fork failed; try again in 5 seconds.
			r.warn("unable to fork, sleeping: ", errstr.Str(err))
			return Event{Kind: EvStartFailed, Target: t, Retry: true}
		}
		// Arguments the kernel cannot take (a NUL byte), a cgroup
		// refused twice: there is no child, so the machine does the
		// same bookkeeping as for a child that exited 111.
		r.fatalMsg("unable to start ", progName(t, p), ": ", errstr.Str(err))
		return Event{Kind: EvStartFailed, Target: t}
	}
	r.io[t].prog = p
	if s := &r.io[t]; s.pidfd >= 0 {
		// The old process still runs ('k' then 'u'): its pidfd stays a
		// wake-up so that it is reaped when it ends.
		r.h.closeFd(&s.stalefd)
		s.stalefd = s.pidfd
		r.h.mod(s.stalefd, r.slot, kStale+int(t), true)
	}
	r.io[t].pidfd = pidfd
	if pidfd >= 0 {
		r.h.add(pidfd, r.slot, kPid+int(t))
	}
	return Event{Kind: EvStarted, Target: t, Pid: pid}
}

// progName is how runit's messages name the program p of t.
func progName(t Target, p Prog) string {
	switch {
	case t == LogSvc:
		return supervise.LogDir + "/./" + supervise.RunFile
	case p == ProgFinish:
		return "./" + supervise.FinishFile
	}
	return "./" + supervise.RunFile
}

// reportExecError is called when the exit e of t's process is collected:
// if the process exited 111 because it could not execute its program
// (internal/spawn's record), it prints the message runit's child prints
// before it exits 111.
func (r *Runsv) reportExecError(t Target, e reaper.Exit) {
	if e.Signaled() || e.Code() != spawn.ExitCode {
		return
	}
	if errno, ok := spawn.ExecError(e.Pid); ok {
		r.fatalMsg("unable to start ", progName(t, r.io[t].prog), ": ", errstr.Str(errno))
	}
}

func (r *Runsv) mainFiles() []uintptr {
	if r.st.HaveLog {
		return []uintptr{0, uintptr(r.logpipe[1]), 2}
	}
	if r.tag.w >= 0 {
		return []uintptr{0, uintptr(r.tag.w), uintptr(r.tag.w)}
	}
	return []uintptr{0, 1, 2}
}

// signal sends sig to pid, unless pid's exit was collected already (while
// a control script ran): its pid may be reused.
func (r *Runsv) signal(pid int, sig syscall.Signal) {
	for t := MainSvc; t <= LogSvc; t++ {
		if r.exited[t] && r.exits[t].Pid == pid {
			return
		}
	}
	unix.Kill(pid, sig)
}

// custom starts control/<c> (the machine asks only for the main service)
// if it exists and is executable by its owner, and reports whether it
// started: the machine's answer (EvScriptDone) then waits until it ends
// (scriptEnded); meanwhile the machine gets nothing else, as runit's runsv
// does nothing else while it waits for the script, but the host's other
// services go on.
func (r *Runsv) custom(c byte) bool {
	z := mkz("control/")
	z[len("control/")] = c
	var st unix.Stat_t
	if err := statZ(r.dfd, &z, &st); err != 0 {
		if err != unix.ENOENT {
			r.warn("unable to stat control/", string([]byte{c}), ": ", errstr.Str(err))
		}
		return false
	}
	if st.Mode&0100 == 0 {
		return false
	}
	path := "control/" + string([]byte{c})
	attr := &syscall.ProcAttr{Dir: r.wd, Env: r.h.Env, Files: r.mainFiles()}
	pid, err := r.h.R.Start(func() (int, error) {
		return syscall.ForkExec(path, []string{path}, attr)
	}, func(e reaper.Exit) { r.h.post(inMsg{r: r, script: true, e: e}) })
	if err != nil {
		r.fatalMsg("unable to run ", path, ": ", errstr.Str(err))
		return false
	}
	r.script = pid
	// Bytes stay in the FIFOs meanwhile: do not let epoll report them.
	for t := MainSvc; t <= LogSvc; t++ {
		if t == MainSvc || r.st.HaveLog {
			r.h.mod(r.io[t].ctlR, r.slot, kCtl+int(t), false)
		}
	}
	return true
}

// scriptEnded answers the machine's Script with how control/<c> ended.
func (r *Runsv) scriptEnded(e reaper.Exit) {
	if e.Pid != r.script {
		return
	}
	r.script = 0
	for t := MainSvc; t <= LogSvc; t++ {
		if t == MainSvc || r.st.HaveLog {
			r.h.mod(r.io[t].ctlR, r.slot, kCtl+int(t), true)
		}
	}
	r.step(Event{Kind: EvScriptDone, Target: MainSvc, OK: !e.Signaled() && e.Code() == 0})
}
