// Package stages is process 1: runit's three stages, its signals, the
// shutdown sequence, container mode and the built-in stages.
package stages

import (
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/initfiles"
	"gorunit/internal/msg"
	"gorunit/internal/scan"
	"gorunit/internal/selfexe"
	"gorunit/reaper"
)

// Debian's paths (internal/initfiles).
const (
	fileStopit      = initfiles.Stopit
	fileReboot      = initfiles.Reboot
	fileNosync      = initfiles.Nosync
	fileCtrlAltDel  = initfiles.CtrlAltDel
	fileExitcode    = initfiles.Exitcode
	fileNoContainer = initfiles.NoContainer

	version = "$Id: 25da3b86f7bed4038b8a039d2f8e8c9bbcf0822b $"
)

var stageNames = initfiles.Stages

// stage is process 1's position in runit's sequence: the three stages,
// then the final sequence (kill everything, then reboot, halt or, in a
// container, exit).
type stage int

const (
	stage1 stage = iota
	stage2
	stage3
	stageFinal
)

// runit's timings.
const (
	// pollTimeout: process 1 wakes up at least this often (runit's
	// poll timeout).
	pollTimeout = 14 * time.Second
	// pause: after a failed fork, between TERM and KILL of stage 2,
	// and after stage 2 exits 111 before it is started again.
	pause = 5 * time.Second
)

// pid1 is process 1's whole state. Everything runs on the main goroutine;
// the reaper's callbacks run from Reap/WaitFor on that goroutine too.
type pid1 struct {
	r   *reaper.Reaper
	s   *sigs
	f   flags
	env []string

	container bool // reboot(CAD_OFF) failed with EINVAL or EPERM
	realInit  bool // reboot(CAD_OFF) worked: this is the machine's init
	// canReboot: a child PID namespace whose process 1 may call
	// reboot(2) (CAP_SYS_BOOT: LXC, systemd-nspawn, unshare --pid as
	// root; CAD_OFF fails with EINVAL there, with EPERM in Docker). A
	// reboot request then ends the namespace as runit's does (the parent
	// sees SIGHUP).
	canReboot bool

	st      stage
	started bool
	name    string // the stage's name in messages
	pid     int
	done    bool
	exit    reaper.Exit
	timer   *time.Timer

	// container mode: stage 2's own exit code, if it ended by itself.
	s2ended bool
	s2code  int

	// exitc carries the exits of stage processes: the reaper may run the
	// callback on the hosting goroutine (hosted.go), so it only posts.
	exitc chan reaper.Exit
	// One-process stage 2 (hosted.go): process 1 hosts the services.
	hosting  bool
	hostSig  int        // write end of the hosting loop's signal pipe
	mainEnd  chan int   // the main service ended: its exit code
	hostLock sync.Mutex // held by the hosting loop while awake
	frozen   bool
	// stage2Over: set (by process 1) when the hosted stage 2 ends, read
	// by the hosting goroutine (mainEnded).
	stage2Over atomic.Bool

	killed, rebooted bool

	s3 stage3Bound // stage3bound.go
}

// Main is runit's main (cmd/gorunit runs it under the name runit).
func Main() {
	if isHelper() {
		runHelper()
	}
	if os.Getpid() != 1 {
		fatal("must be run as process no 1.")
		os.Exit(111)
	}
	p := &pid1{}
	p.boot()
	for {
		protect(p.loop)
		time.Sleep(time.Second)
	}
}

// protect runs f, turning a panic into a warning: process 1 must never die.
func protect(f func()) {
	defer func() {
		if r := recover(); r != nil {
			warn("internal error, continuing")
		}
	}()
	f()
}

func (p *pid1) boot() {
	unix.Setsid()
	err := unix.Reboot(unix.LINUX_REBOOT_CMD_CAD_OFF)
	p.realInit = err == nil
	if err == unix.EINVAL || err == unix.EPERM {
		p.container = !exists(fileNoContainer)
		p.canReboot = err == unix.EINVAL
	}
	p.s = newSigs(p.container)
	setupConsole()
	info(version, ": booting.")
	p.env = os.Environ()
	p.r = reaper.New()
	p.exitc = make(chan reaper.Exit, 4)
	p.mainEnd = make(chan int, 1)
	p.hostSig = -1
	// A leftover from an earlier run in the same container filesystem
	// must not decide this run's exit code.
	unix.Unlink(fileExitcode)
	p.r.Reap()
	p.timer = time.NewTimer(pollTimeout)
}

func (p *pid1) loop() {
	for {
		switch {
		case p.st == stageFinal:
			p.final()
		case !p.started:
			p.started = true
			p.start()
		default:
			p.step()
		}
	}
}

// next moves on to stage st (restarting the current one if st == p.st).
func (p *pid1) next(st stage) {
	p.st = st
	p.started = false
}

// wait sleeps until a signal arrives or 14 s pass (runit's poll timeout)
// and records every pending signal.
func (p *pid1) wait() {
	p.timer.Reset(p.stage3Wait(pollTimeout))
	s := p.s
	select {
	case <-s.chld:
	case <-s.cont:
		p.f.cont = true
	case <-s.intr:
		p.f.intr = true
	case <-s.pwr:
		p.f.pwr = true
	case <-s.alrm:
		p.f.alrm = true
	case <-s.term:
		p.f.term = true
	case <-s.discard:
	case e := <-p.exitc:
		p.done, p.exit = true, e
	case <-p.mainEnd:
		if p.st == stage2 {
			p.f.term = true
		}
	case <-p.timer.C:
	}
	s.drain(&p.f)
	p.stage3Check()
	if p.container && p.f.intr && p.st != stage2 {
		// In a container SIGINT (^C on `docker run -it`) stops it; in
		// stage 2 step runs /etc/runit/ctrlaltdel first.
		p.f.intr = false
		p.f.term = true
	}
}

// step is one wake-up of runit's main loop.
func (p *pid1) step() {
	if !p.done {
		p.wait()
		p.collect()
	}
	regetStderr()
	if p.done {
		p.ended()
		return
	}
	if !p.f.any() {
		return
	}
	if p.st != stage2 {
		warn("signals only work in stage 2.")
		p.f.cont, p.f.intr = false, false
		if p.st == stage3 {
			p.f.term = false
		}
		return
	}
	shutdown := false
	if p.f.intr && ownerExec(fileCtrlAltDel) {
		info("ctrl-alt-del request...")
		p.ctrlaltdel()
		p.f.cont = true
	}
	if p.f.intr && p.container {
		// In a container SIGINT stops it, after the script if any.
		shutdown = true
	}
	if p.f.pwr || p.f.term || (p.f.cont && ownerExec(fileStopit)) {
		shutdown = true
	}
	if shutdown {
		p.f.cont, p.f.intr, p.f.alrm, p.f.term = false, false, false, false
		p.stopStage2()
		info("leave stage: ", p.name)
		p.next(stage3)
		return
	}
	if p.f.alrm {
		if p.hosting {
			p.tellHost(unix.SIGALRM)
		} else {
			unix.Kill(p.pid, unix.SIGALRM)
		}
	}
	p.f = flags{}
}

// ended handles the end of the current stage process.
func (p *pid1) ended() {
	code := p.exit.Code()
	if p.st == stage2 {
		p.s2ended = true
		p.s2code = code
		if p.exit.Signaled() {
			p.s2code = 128 + int(p.exit.Status.Signal())
		}
	}
	if code != 0 {
		warn("child failed: ", p.name)
		if p.st == stage1 && code == 100 {
			info("leave stage: ", p.name)
			warn("skipping stage 2...")
			p.next(stage3)
			return
		}
		if p.st == stage2 && code == 111 {
			warn("killing all processes in stage 2...")
			unix.Kill(-p.pid, unix.SIGKILL)
			time.Sleep(pause)
			warn("restarting.")
			p.next(stage2)
			return
		}
	}
	info("leave stage: ", p.name)
	if p.st == stage1 && p.container && p.f.term {
		// Stopped while booting: do not start the services.
		warn("skipping stage 2...")
		p.next(stage3)
		return
	}
	p.next(p.st + 1)
}

// stopStage2 is runit's shutdown request in stage 2: TERM to the stage-2
// process, about 5 s, then KILL.
func (p *pid1) stopStage2() {
	p.s2ended = false
	if p.hosting {
		p.stopHosting()
		return
	}
	unix.Chmod(fileStopit, 0)
	unix.Kill(p.pid, unix.SIGTERM)
	deadline := time.Now().Add(pause)
	for {
		p.collect()
		if p.done {
			return
		}
		d := time.Until(deadline)
		if d <= 0 {
			break
		}
		p.timer.Reset(d)
		select {
		case <-p.s.chld:
		case e := <-p.exitc:
			p.done, p.exit = true, e
		case <-p.timer.C:
		}
	}
	warn("stage 2 not terminated, sending sigkill...")
	unix.Kill(p.pid, unix.SIGKILL)
	if e, ok := p.r.WaitFor(p.pid); ok {
		p.exit = e
	} else {
		warn("wait_pid: ", errstr.Str(unix.ECHILD))
	}
	p.done = true
}

// collect reaps every exited child and takes the stage process's exit, if
// it came.
func (p *pid1) collect() {
	p.r.Reap()
	for {
		select {
		case e := <-p.exitc:
			p.done, p.exit = true, e
		default:
			return
		}
	}
}

// start forks the current stage, retrying every 5 s while fork fails.
func (p *pid1) start() {
	st := p.st
	p.name = stageNames[st]
	p.done = false
	if st == stage2 {
		p.s2ended = false
	}
	builtin := false
	var fi unix.Stat_t
	if e := unix.Lstat(p.name, &fi); e == unix.ENOENT || e == unix.ENOTDIR {
		builtin = true
		p.name += " (built-in)"
	}
	if builtin && st == stage2 && p.hostStage2() {
		return
	}
	onExit := func(e reaper.Exit) { p.exitc <- e }
	var err error
	p.pid, err = forkRetry(p.name, func() (int, error) {
		switch {
		case builtin:
			extra := ""
			if p.container {
				extra += "c"
			}
			if p.realInit {
				extra += "r"
			}
			return p.spawn(modeBuiltin, stageNames[st][len(stageNames[st])-1:], extra, st != stage1, onExit)
		case st == stage1:
			return p.spawn(modeStage1, p.name, "", false, onExit)
		default:
			return p.spawn(modeStage, p.name, "", true, onExit)
		}
	})
	if err == nil {
		return
	}
	if !builtin {
		// The helper (this binary) could not be executed again: start
		// the stage directly, with Go's signal state for children.
		info("enter stage: ", p.name)
		files := []uintptr{0, 1, 2}
		if st == stage1 {
			if fd, e := unix.Open("/dev/console", unix.O_RDWR|unix.O_CLOEXEC, 0); e == nil {
				defer unix.Close(fd)
				files[0] = uintptr(fd)
			}
		}
		attr := &syscall.ProcAttr{Env: p.env, Files: files, Sys: &syscall.SysProcAttr{Setsid: st != stage1}}
		p.pid, err = forkRetry(p.name, func() (int, error) {
			return p.r.Start(func() (int, error) {
				return syscall.ForkExec(p.name, []string{p.name}, attr)
			}, onExit)
		})
		if err == nil {
			return
		}
	}
	fatal("unable to start child: ", p.name, ": ", errstr.Str(err))
	p.done, p.exit = true, reaper.Exit{}
}

// forkRetry calls start until it succeeds or fails other than in fork,
// with runit's message and a pause after each failed fork.
func forkRetry(name string, start func() (int, error)) (int, error) {
	for {
		pid, err := start()
		if err == nil || !forkFailed(err) {
			return pid, err
		}
		fatal("unable to fork for \"", name, "\" pausing: ", errstr.Str(err))
		time.Sleep(pause)
	}
}

// forkFailed tells fork's own failures (retried) from exec failures.
func forkFailed(err error) bool {
	return err == unix.EAGAIN || err == unix.ENOMEM
}

// spawn starts this binary again as a helper (see helper.go).
func (p *pid1) spawn(mode, arg, extra string, setsid bool, onExit func(reaper.Exit)) (int, error) {
	argv := []string{helperMarker, mode, arg}
	if extra != "" {
		argv = append(argv, extra)
	}
	attr := &syscall.ProcAttr{Env: p.env, Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{Setsid: setsid}}
	var err error
	for _, exe := range []string{selfexe.Path(), selfexe.ExecFn(), initfiles.Runit} {
		if exe == "" {
			continue
		}
		var pid int
		pid, err = p.r.Start(func() (int, error) { return syscall.ForkExec(exe, argv, attr) }, onExit)
		if err == nil || forkFailed(err) {
			return pid, err
		}
	}
	return 0, err
}

// ctrlaltdel runs /etc/runit/ctrlaltdel and waits for it.
func (p *pid1) ctrlaltdel() {
	pid, err := forkRetry(fileCtrlAltDel, func() (int, error) {
		return p.spawn(modeCtrlAltDel, fileCtrlAltDel, "", false, nil)
	})
	if err != nil {
		fatal("unable to start child: ", fileCtrlAltDel, ": ", errstr.Str(err))
	} else if e, ok := p.r.WaitFor(pid); !ok {
		warn("wait_pid: ", errstr.Str(unix.ECHILD))
	} else if e.Signaled() {
		warn("child crashed: ", fileCtrlAltDel)
	}
	info("leave stage: ", fileCtrlAltDel)
}

// final is runit's final sequence; in container mode process 1 exits,
// unless a reboot was asked for where reboot(2) is permitted: then it
// reboots as runit does, and the parent of the PID namespace sees process
// 1 killed by SIGHUP (LXC and systemd-nspawn restart the container).
func (p *pid1) final() {
	if !p.killed {
		p.killed = true
		// No hosted service may be started again from here on.
		p.freezeHost()
		regetStderr()
		info("sending KILL signal to all processes...")
		unix.Kill(-1, unix.SIGKILL)
	}
	if p.container && !(p.canReboot && !p.f.pwr && ownerExec(fileReboot)) {
		p.containerExit()
	}
	if !p.rebooted {
		p.rebooted = true
		how := "r"
		if p.f.pwr {
			how = "p"
		}
		pid, err := p.spawn(modeReboot, how, "", false, nil)
		if err != nil {
			rebootChild(p.f.pwr)
		} else {
			p.r.WaitFor(pid)
		}
	}
	// Never exit: keep reaping whatever is left.
	for {
		select {
		case <-p.s.chld:
			p.collect()
		case <-p.exitc:
		case <-p.mainEnd:
		case <-p.s.cont:
		case <-p.s.intr:
		case <-p.s.pwr:
		case <-p.s.alrm:
		case <-p.s.term:
		case <-p.s.discard:
		}
	}
}

// containerExit ends process 1 in container mode with the number in
// /run/runit.exitcode, else stage 2's own exit code if it ended by
// itself, else 0.
func (p *pid1) containerExit() {
	code := 0
	if v, ok := readExitcode(); ok {
		code = v
	} else if p.s2ended {
		code = p.s2code
	}
	if !exists(fileNosync) {
		unix.Sync()
	}
	info("exit ", msg.Itoa(int64(code)), ".")
	os.Exit(code)
}

func readExitcode() (int, bool) {
	fd, err := unix.Open(fileExitcode, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, false
	}
	defer unix.Close(fd)
	var buf [32]byte
	n, _ := unix.Read(fd, buf[:])
	if n <= 0 {
		return 0, false
	}
	return parseExitcode(buf[:n])
}

// parseExitcode reads the leading decimal number of /run/runit.exitcode
// (runit's scan_ulong rules); exit codes are taken modulo 256, as exit(3)
// does.
func parseExitcode(b []byte) (int, bool) {
	v, l := scan.Ulong(string(b))
	if l == 0 {
		return 0, false
	}
	return int(v & 0xff), true
}

// rebootChild reboots, or powers off and then halts, as runit's final
// child does. pwr: the shutdown came from SIGPWR (never reboot).
func rebootChild(pwr bool) {
	nosync := exists(fileNosync)
	doSync := func() {
		if !nosync {
			unix.Sync()
		}
	}
	if !pwr && ownerExec(fileReboot) {
		info("system reboot.")
		doSync()
		unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART)
		return
	}
	info("power off...")
	doSync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	time.Sleep(2 * time.Second)
	info("system halt.")
	doSync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_HALT)
}

// ownerExec reports whether path exists (following symlinks) with the
// owner-execute bit set: the only test runit makes on its flag files.
func ownerExec(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil && st.Mode&unix.S_IXUSR != 0
}

func exists(path string) bool {
	var st unix.Stat_t
	return unix.Stat(path, &st) == nil
}
