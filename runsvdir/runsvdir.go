// Package runsvdir implements runit's runsvdir: it starts one runsv for
// every service directory found in a directory and keeps them running.
//
// One thread of control does everything: a single poll(2) loop waits on a
// self-pipe fed by the signal handler (SIGCHLD, SIGTERM, SIGHUP, SIGALRM),
// an inotify descriptor watching the directory, and the read end of the
// readproctitle log pipe. Children are started with syscall.ForkExec
// through gorunit/reaper, which collects them with wait4(-1).
//
// runit's rules are kept (see the specification, section 3): services are
// identified by the device and inode of their directory, dot-names are
// skipped, the directory is rescanned when its mtime, inode or device
// changes, when a runsv exits or a new service was added, on SIGALRM, and
// at most once per second; idle, runsvdir wakes every 5 seconds. On top of
// that a runsv's exit wakes runsvdir at once (runit only notices it at the
// next periodic wake-up), inotify makes a new entry visible within a
// second, and each periodic wake-up checks that every service name still
// leads to the directory being supervised, so that a service directory
// removed or replaced behind a symlink is noticed.
package runsvdir

import (
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/initfiles"
	"gorunit/internal/lean"
	"gorunit/internal/msg"
	"gorunit/internal/proctitle"
	"gorunit/internal/sigact"
	"gorunit/internal/sigpipe"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
	"gorunit/reaper"
	"gorunit/runsv"
)

// MaxServices is runit's limit on the number of services one runsvdir
// supervises.
const MaxServices = 1000

const (
	second   = int64(time.Second)
	idleWait = 5 * second // poll timeout without pending work
	// hostedWait replaces idleWait in one-process mode with inotify:
	// every service directory is watched too (svWatch), so the periodic
	// look is only a fallback, and an idle tree sleeps.
	hostedWait = 60 * second
	checkWait  = 1 * second   // minimum time between two scans
	beatEvery  = 900 * second // readproctitle heartbeat period
	settle     = 1 * second   // a directory made in place gets this long to be filled
	coalesce   = second / 10  // a burst of changes gets this long to arrive before a scan
	logKeep    = 5            // bytes of the log argument never overwritten
	logMin     = 7            // shortest log argument accepted
	stampName  = "./.forced-rescan"
)

// bits in runner.pending, set from the signals read off the self-pipe.
const (
	sigChild uint32 = 1 << iota
	sigAlarm
)

type key struct{ dev, ino uint64 }

type service struct {
	key
	pid    int          // its runsv
	hs     *runsv.Runsv // or its machine, hosted here (one-process mode)
	name0  string       // the entry's name, NUL-terminated
	seen   bool         // met during the current scan
	gone   bool         // forgotten: its runsv's exit is ignored
	start  bool         // queued for a start at the end of the current scan
	fresh  bool         // added during the current scan
	onExit func(reaper.Exit)
}

func (s *service) name() string { return s.name0[:len(s.name0)-1] }

func (s *service) running() bool { return s.pid > 0 || s.hs != nil }

// term is runsvdir's SIGTERM to the service's runsv.
func (s *service) term() {
	if s.hs != nil {
		s.hs.Term()
	} else if s.pid > 0 {
		unix.Kill(s.pid, unix.SIGTERM)
	}
}

type runner struct {
	dir    string
	dir0   string // dir, NUL-terminated
	pgrp   bool
	curdir int // the original working directory

	svcs  []*service
	idx   map[key]*service
	queue []*service // services to start at the end of a scan
	r     *reaper.Reaper
	env   []string
	path  string // $PATH, or /bin:/usr/bin
	attr  syscall.ProcAttr

	// runsv's start-up environment with internal/lean's marker, for
	// gorunit's own runsv; the last runsv found in $PATH and whether it
	// is gorunit's.
	leanAttr syscall.ProcAttr
	prog     string
	progID   progID
	progLean bool

	// what the last successful stat of dir showed
	ddev, dino     uint64
	dmtime, dctime unix.Timespec

	check  bool  // runit's check flag: rescan within a second
	dirty  bool  // inotify saw a change
	forced bool  // SIGALRM
	notYet int64 // no inotify-triggered scan before this (monotonic ns)

	lastStat int64 // monotonic ns of the last round
	statWall int64 // wall-clock seconds of the last round

	ifd        int // inotify, -1 if unavailable
	wd         int32
	wdev, wino uint64

	logr     int // read end of the log pipe, -1 if none
	area     *proctitle.Area
	tee      int // with LogStderrEnv set: the original stderr, else -1
	nextBeat int64

	sigr, sigw int
	pending    atomic.Uint32

	// One-process mode: every service's machine is hosted here, no
	// runsv is started (see OneProcessFile and Hosted).
	host     *runsv.Host
	keep     bool // process 1: on SIGTERM stop scanning, go on hosting
	stopping bool // SIGTERM or SIGHUP seen (one-process mode)
	code     int  // exit code once every hosted service is gone

	onMainEnd func(code int) // process 1's, in Hosted
	lock      *sync.Mutex    // process 1's, in Hosted
	svWatch   map[int32]bool // one-process mode: watches of the service directories
	exitReq   atomic.Int32   // 0, or the exit code the last SIGTERM/SIGHUP asked for + 1

	t0   time.Time
	st   unix.Stat_t
	dent []byte
	ibuf []byte
	lbuf []byte
	mbuf []byte
	tbuf [tai64.TextLen]byte
}

// Main runs runsvdir with the given arguments (args[0] is the program
// name) and returns its exit code. The log argument is overwritten in
// place, so args must be os.Args itself for it to show in ps.
func Main(args []string) int {
	prog := "runsvdir"
	if len(args) > 0 {
		prog = args[0]
		args = args[1:]
	}
	pgrp, args, ok := parseArgs(args)
	if !ok {
		msg.Usage(1, prog, " [-P] dir")
	}
	d := &runner{
		dir:  args[0],
		dir0: args[0] + "\x00",
		pgrp: pgrp,
		idx:  make(map[key]*service),
		r:    reaper.New(),
		ifd:  -1,
		wd:   -1,
		logr: -1,
		tee:  -1,
		t0:   time.Now(),
		dent: make([]byte, 8192),
		mbuf: make([]byte, 0, 256),
	}
	if len(args) > 1 {
		return d.run(args[1], true)
	}
	return d.run("", false)
}

// parseArgs handles runsvdir's arguments (without the program name):
// only the first is looked at, and only its second byte: -P... sets -P
// mode, --... is skipped; any other -x is the directory. It returns the
// remaining arguments (dir [log] ...), or ok == false if dir is missing.
func parseArgs(args []string) (pgrp bool, rest []string, ok bool) {
	if len(args) == 0 {
		return false, nil, false
	}
	if a := args[0]; len(a) > 1 && a[0] == '-' {
		switch a[1] {
		case 'P':
			pgrp = true
			args = args[1:]
		case '-':
			args = args[1:]
		}
	}
	return pgrp, args, len(args) > 0
}

func (d *runner) now() int64 { return int64(time.Since(d.t0)) }

func (d *runner) run(logArg string, hasLog bool) int {
	p, err := pipe()
	if err != nil {
		d.say("fatal", "unable to create pipe: ", errstr.Str(err))
		return 111
	}
	d.sigr, d.sigw = p[0], p[1]
	// The signals come as bytes on the self-pipe, polled with the rest
	// (internal/sigpipe): no os/signal and its two threads.
	sigpipe.Route(d.sigw, unix.SIGTERM, unix.SIGHUP, unix.SIGALRM, unix.SIGCHLD)
	// Every other signal does what it does to runit's runsvdir, but for
	// SIGPIPE (a full log area's reader gone: runsvdir goes on).
	sigact.Daemon(unix.SIGTERM, unix.SIGHUP, unix.SIGALRM, unix.SIGCHLD, unix.SIGPIPE)

	d.curdir, err = unix.Open(".", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		d.say("fatal", "unable to open current directory: ", errstr.Str(err))
		return 100
	}
	if hasLog {
		d.setupLog(logArg)
	}
	d.env = withoutVar(syscall.Environ(), LogStderrEnv)
	if d.oneProcess() {
		// Hosted services write to runsvdir's standard output; their
		// complaints go to its standard error (the log area) as runsv's.
		h, err := runsv.NewHost(d.r, d.env)
		if err != nil {
			d.say("fatal", "unable to create pipe: ", errstr.Str(err))
			return 111
		}
		h.TagOutput(1, !d.untagged())
		h.OnMainEnd = func(code int) { d.mainEnded(code) }
		d.host = h
	}
	return d.loop()
}

// OneProcessFile, in the directory runsvdir watches, makes runsvdir host
// every service's supervision itself (the runsv state machine, once per
// service, in runsvdir's own loop) instead of starting a runsv process for
// each: supervise/ is kept exactly as runsv keeps it, so sv (ours and
// runit's) cannot tell the difference, but if runsvdir dies, supervision
// of every service dies with it. UntaggedFile turns off the name prefix
// of the hosted services' output lines. Both are dot-files: no service.
const (
	OneProcessFile = ".one-process"
	UntaggedFile   = ".untagged"
)

func (d *runner) oneProcess() bool { return fileIn(d.dir, OneProcessFile) }

func (d *runner) untagged() bool { return fileIn(d.dir, UntaggedFile) }

func fileIn(dir, name string) bool {
	var st unix.Stat_t
	return unix.Stat(dir+"/"+name, &st) == nil
}

// mainEnded: the main service of a hosted tree ended for good. runsvdir
// leaves its exit code for process 1 (initfiles.Exitcode) and stops as on
// SIGTERM; process 1 is told (Hosted's OnMainEnd).
func (d *runner) mainEnded(code int) {
	if d.stopping {
		return // taken down with the rest: not its own end
	}
	if d.onMainEnd != nil {
		d.onMainEnd(code)
		return
	}
	initfiles.WriteExitcode(code)
	d.exitReq.Store(1)
}

// scanDir is what scan opens: runsvdir changes into its directory for a
// scan, as runit's does; the one-process mode never changes directory
// (process 1's goroutines share it).
func (d *runner) scanDir() string {
	if d.host != nil {
		return d.dir
	}
	return "."
}

func (d *runner) loop() int {
	d.loopInit()
	return d.loopRun()
}

func (d *runner) loopInit() {
	if fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC); err == nil {
		d.ifd = fd
		d.ibuf = make([]byte, 4096)
	}

	d.path = "/bin:/usr/bin"
	for _, e := range d.env {
		if len(e) > 5 && e[:5] == "PATH=" {
			d.path = e[5:]
		}
	}
	d.attr = syscall.ProcAttr{Env: d.env, Files: []uintptr{0, 1, 2}}
	if d.pgrp {
		d.attr.Sys = &syscall.SysProcAttr{Setsid: true}
	}
	d.leanAttr = d.attr
	d.leanAttr.Env = lean.Env(d.env, "runsv")

	d.check = true
	d.lastStat = -idleWait
}

func (d *runner) loopRun() int {
	var fds [4]unix.PollFd
	if d.lock != nil {
		// Held except while asleep in poll: process 1 takes it for
		// good before its last KILL (HostedConfig.Lock).
		d.lock.Lock()
		defer d.lock.Unlock()
	}
	for {
		bits := d.pending.Swap(0)
		if bits&sigChild != 0 {
			d.r.Reap()
		}
		if bits&sigAlarm != 0 {
			d.forced = true
		}
		now := d.now()
		wall := time.Now().Unix()
		if d.statWall != 0 && wall < d.statWall-3 {
			d.say("warning", "time warp: resetting time stamp.")
			d.statWall = wall
			d.lastStat = now - idleWait
		}
		if !d.stopping && now >= d.due() {
			d.round(now, wall)
		}
		if d.area != nil && now >= d.nextBeat {
			sysio.WriteAll(2, []byte{'.'})
			d.nextBeat = now + beatEvery
		}

		ms := -1
		if !d.stopping {
			wake := d.due()
			if d.area != nil && d.nextBeat < wake {
				wake = d.nextBeat
			}
			ms = 0
			if wait := wake - d.now(); wait > 0 {
				ms = int((wait + int64(time.Millisecond) - 1) / int64(time.Millisecond))
			}
		}
		n := 0
		fds[n] = unix.PollFd{Fd: int32(d.sigr), Events: unix.POLLIN}
		n++
		if d.ifd >= 0 && !d.stopping {
			fds[n] = unix.PollFd{Fd: int32(d.ifd), Events: unix.POLLIN}
			n++
		}
		if d.logr >= 0 {
			fds[n] = unix.PollFd{Fd: int32(d.logr), Events: unix.POLLIN}
			n++
		}
		if d.host != nil {
			fds[n] = unix.PollFd{Fd: int32(d.host.Fd()), Events: unix.POLLIN}
			n++
			if t := d.host.Timeout(); t >= 0 && (ms < 0 || t < ms) {
				ms = t
			}
		}
		if d.lock != nil {
			d.lock.Unlock()
		}
		if _, err := unix.Poll(fds[:n], ms); err != nil && err != unix.EINTR {
			// Cannot happen with valid descriptors; do not spin.
			time.Sleep(time.Second)
		}
		if d.lock != nil {
			d.lock.Lock()
		}
		d.signals()
		if d.ifd >= 0 {
			d.readInotify()
		}
		if d.logr >= 0 {
			d.readLog()
		}
		if d.host != nil {
			if d.pending.Load()&sigChild != 0 {
				d.pending.And(^sigChild)
				d.r.Reap()
			}
			d.host.Dispatch(0)
		}
		switch req := d.exitReq.Load(); {
		case req == 0:
		case d.host != nil:
			if done, code := d.stopHosting(int(req)); done {
				return code
			}
		case req == 1:
			return 0
		case req == 2:
			for _, s := range d.svcs {
				s.term()
			}
			return 111
		}
	}
}

// stopHosting is SIGTERM (req 1) or SIGHUP (req 2) in one-process mode:
// runsvdir stops scanning and, as it would have to leave its runsv
// processes running but has none, takes every service down (their
// machines' 'x': TERM, ./finish, then the loggers) and exits with 0 or
// 111 once all are gone. Process 1's hosting (keep) only stops
// scanning: stage 3 takes the services down through their FIFOs.
func (d *runner) stopHosting(req int) (bool, int) {
	if !d.stopping {
		d.stopping = true
		d.code = 0
		if req == 2 {
			d.code = 111
		}
		if !d.keep {
			for _, s := range d.svcs {
				s.term()
			}
		}
	}
	if d.keep {
		d.exitReq.Store(0)
		return false, 0
	}
	return d.host.Len() == 0, d.code
}

// signals reads the signals delivered (internal/sigpipe: one byte each,
// in order) into bits and exitReq. SIGTERM and SIGHUP share one variable:
// the last one delivered decides.
func (d *runner) signals() {
	var b [64]byte
	var seen uint64
	for {
		n, err := unix.Read(d.sigr, b[:])
		if err == unix.EINTR {
			continue
		}
		for _, s := range b[:max(n, 0)] {
			if s >= 1 && s <= 64 {
				seen |= 1 << (s - 1)
			}
			switch unix.Signal(s) {
			case unix.SIGCHLD:
				d.pending.Or(sigChild)
			case unix.SIGALRM:
				d.pending.Or(sigAlarm)
			case unix.SIGTERM:
				d.exitReq.Store(1)
			case unix.SIGHUP:
				d.exitReq.Store(2)
			}
		}
		if n < len(b) {
			break
		}
	}
	// Signals whose byte a full pipe dropped (not in order, then).
	missed := sigpipe.Pending() &^ seen
	if missed&sigact.Bit(unix.SIGCHLD) != 0 {
		d.pending.Or(sigChild)
	}
	if missed&sigact.Bit(unix.SIGALRM) != 0 {
		d.pending.Or(sigAlarm)
	}
	if missed&sigact.Bit(unix.SIGHUP) != 0 {
		d.exitReq.Store(2)
	}
	if missed&sigact.Bit(unix.SIGTERM) != 0 {
		d.exitReq.Store(1)
	}
}

// due is when the next round (stat of dir, maybe a scan) may happen.
func (d *runner) due() int64 {
	if d.check || d.dirty || d.forced {
		t := d.lastStat + checkWait
		if d.dirty && d.notYet > t {
			t = d.notYet
		}
		return t
	}
	if d.host != nil && d.wd >= 0 {
		return d.lastStat + hostedWait
	}
	return d.lastStat + idleWait
}

// round is one visit of the directory: stat it, and scan it if something
// asks for a scan or it changed.
func (d *runner) round(now, wall int64) {
	d.lastStat = now
	d.statWall = wall
	if err := statAt(unix.AT_FDCWD, unsafe.StringData(d.dir0), &d.st); err != nil {
		d.say("warning", "unable to stat ", d.dir, ": ", errstr.Str(err))
		d.dirty = false // inotify has nothing more to say; retry as runit does
		return
	}
	dev, ino, mt, ct := uint64(d.st.Dev), uint64(d.st.Ino), d.st.Mtim, d.st.Ctim
	if d.ifd >= 0 && (d.wd < 0 || dev != d.wdev || ino != d.wino) {
		d.watch(dev, ino)
	}
	// runit looks at mtime, inode and device; the change time also
	// catches a chmod that makes an unreadable directory readable.
	trigger := d.check || d.dirty || d.forced ||
		dev != d.ddev || ino != d.dino || mt != d.dmtime || ct != d.dctime
	if !trigger && !d.namesMoved() {
		return
	}
	if d.host == nil {
		if err := unix.Chdir(d.dir); err != nil {
			d.say("warning", "unable to change directory to ", d.dir, ": ", errstr.Str(err))
			return
		}
	}
	d.ddev, d.dino, d.dmtime, d.dctime = dev, ino, mt, ct
	forced := d.forced
	d.check, d.dirty, d.forced = false, false, false
	d.scan()
	if forced {
		d.stamp()
	}
	if d.ifd < 0 && wall <= mt.Sec {
		// Without inotify, a change later in the same second as the
		// directory's mtime would go unnoticed: look again in a second
		// (runit sleeps a second before scanning instead).
		d.check = true
	}
	for d.host == nil {
		err := unix.Fchdir(d.curdir)
		if err == nil {
			break
		}
		d.say("warning", "unable to change directory, pausing: ", errstr.Str(err))
		time.Sleep(5 * time.Second)
	}
}

// watch points the inotify watch at dir (which now has dev/ino).
func (d *runner) watch(dev, ino uint64) {
	const mask = unix.IN_CREATE | unix.IN_MOVED_TO | unix.IN_DELETE | unix.IN_MOVED_FROM |
		unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF | unix.IN_ONLYDIR
	wd, err := unix.InotifyAddWatch(d.ifd, d.dir, mask)
	if err != nil {
		return // the periodic stat is the fallback
	}
	if d.wd >= 0 && int32(wd) != d.wd {
		unix.InotifyRmWatch(d.ifd, uint32(d.wd))
	}
	d.wd, d.wdev, d.wino = int32(wd), dev, ino
}

// namesMoved reports whether some service's name no longer leads to the
// directory its runsv supervises (removed or replaced behind a symlink,
// which leaves dir's own mtime alone).
func (d *runner) namesMoved() bool {
	if len(d.svcs) == 0 {
		return false
	}
	fd, err := unix.Open(d.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer unix.Close(fd)
	for _, s := range d.svcs {
		if !d.leadsTo(fd, s) {
			return true
		}
	}
	return false
}

// readInotify consumes pending events and notes whether a scan is due.
func (d *runner) readInotify() {
	for {
		n, err := unix.Read(d.ifd, d.ibuf)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		now := d.now()
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&d.ibuf[off]))
			name := d.ibuf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				d.dirty = true
				continue
			}
			if ev.Wd != d.wd {
				if d.svWatch[ev.Wd] {
					// A hosted service's directory was removed or
					// moved (behind its name): look at once.
					if ev.Mask&unix.IN_IGNORED != 0 {
						delete(d.svWatch, ev.Wd)
					}
					d.dirty = true
				}
				continue // an old watch
			}
			if ev.Mask&unix.IN_IGNORED != 0 {
				d.wd = -1
				d.dirty = true
				continue
			}
			if len(name) > 0 && name[0] == '.' {
				continue // dot-names are not services
			}
			if !d.dirty {
				// The first change after a scan: wait a moment for the
				// rest of a burst (ln -s in a loop), not longer.
				if t := now + coalesce; t > d.notYet {
					d.notYet = t
				}
			}
			d.dirty = true
			if ev.Mask&(unix.IN_CREATE|unix.IN_ISDIR) == unix.IN_CREATE|unix.IN_ISDIR {
				// A directory made in place is probably being filled:
				// give it a second, as runit does.
				if t := now + settle; t > d.notYet {
					d.notYet = t
				}
			}
		}
	}
}

func (d *runner) lbufOr() []byte {
	if d.lbuf == nil {
		d.lbuf = make([]byte, 512)
	}
	return d.lbuf
}

// readLog moves everything waiting in the log pipe into the log area.
func (d *runner) readLog() {
	b := d.lbufOr()
	for {
		n, err := unix.Read(d.logr, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return
		}
		d.area.Write(b[:n])
		if d.tee >= 0 && !onlyDots(b[:n]) {
			// One try: a full pipe (a slow docker logs) must not stop
			// runsvdir; what is dropped is still in the log area.
			unix.Write(d.tee, b[:n])
		}
	}
}

// LogStderrEnv, set to a non-empty value in runsvdir's environment (the
// built-in stage 2 sets it in container mode), makes runsvdir also copy
// what goes to its log area to its original standard error, so that
// `docker logs` shows runsv's and the services' complaints. The heartbeat
// dots are not copied. The variable is not passed on to runsv.
const LogStderrEnv = "RUNSVDIR_LOG_STDERR"

func onlyDots(b []byte) bool {
	for _, c := range b {
		if c != '.' {
			return false
		}
	}
	return true
}

// withoutVar returns env without the entries for name.
func withoutVar(env []string, name string) []string {
	out := env[:0:0]
	for _, e := range env {
		if len(e) > len(name) && e[len(name)] == '=' && e[:len(name)] == name {
			continue
		}
		out = append(out, e)
	}
	return out
}

// setupLog makes fd 2 the write end of a pipe whose read end feeds the
// readproctitle area in the log argument.
func (d *runner) setupLog(arg string) {
	if len(arg) < logMin {
		d.say("warning", "log must have at least seven characters.")
		d.say("warning", "log service disabled.")
		return
	}
	p, err := pipe()
	if err != nil {
		d.say("warning", "unable to create pipe for log.")
		d.say("warning", "log service disabled.")
		return
	}
	if v, _ := syscall.Getenv(LogStderrEnv); v != "" {
		d.tee = teeFd()
	}
	if err := unix.Dup3(p[1], 2, 0); err != nil {
		unix.Close(p[0])
		unix.Close(p[1])
		if d.tee >= 0 {
			unix.Close(d.tee)
			d.tee = -1
		}
		d.say("warning", "unable to set filedescriptor for log.")
		d.say("warning", "log service disabled.")
		return
	}
	unix.Close(p[1])
	d.logr = p[0]
	d.area = proctitle.New(arg, logKeep)
}

// stamp writes a TAI64N label into ./.forced-rescan after a forced scan
// (Debian).
func (d *runner) stamp() {
	label := tai64.Now().AppendText(d.tbuf[:0])
	name := stampName
	if d.host != nil {
		name = d.dir + "/" + stampName
	}
	fd, err := unix.Open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NONBLOCK|unix.O_CLOEXEC, 0o644)
	if err != nil {
		d.say("warning", "failed to open", stampName, unsafe.String(&label[0], len(label)))
		return
	}
	if sysio.WriteAll(fd, label) != nil {
		d.say("warning", "failed to write", stampName, unsafe.String(&label[0], len(label)))
	}
	unix.Close(fd)
}

// say writes "runsvdir <dir>: <kind>: <parts>" to stderr in one write.
func (d *runner) say(kind string, parts ...string) {
	b := append(d.mbuf[:0], "runsvdir "...)
	b = append(b, d.dir...)
	b = append(b, ": "...)
	b = append(b, kind...)
	b = append(b, ": "...)
	for _, p := range parts {
		b = append(b, p...)
	}
	b = append(b, '\n')
	sysio.WriteAll(2, b)
	if cap(b) <= 4096 {
		d.mbuf = b[:0]
	}
}

// pipe makes a non-blocking, close-on-exec pipe whose descriptors are
// above 2 (so that neither end can be mistaken for a standard one).
func pipe() ([2]int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		return p, err
	}
	for i := range p {
		if p[i] > 2 {
			continue
		}
		fd, err := unix.FcntlInt(uintptr(p[i]), unix.F_DUPFD_CLOEXEC, 3)
		if err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return p, err
		}
		unix.Close(p[i])
		p[i] = fd
	}
	return p, nil
}

// teeFd returns a descriptor for the copy of the log area on the original
// standard error, or -1. A pipe (docker's) is opened again, non-blocking,
// through /proc/self/fd/2: a handle of its own, so that process 1's
// standard error, which shares the pipe, stays blocking; anything else is
// duplicated.
func teeFd() int {
	if fd := sysio.NonblockingPipe(2); fd >= 0 {
		return fd
	}
	if fd, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3); err == nil {
		return fd
	}
	return -1
}
