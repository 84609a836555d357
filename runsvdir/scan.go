package runsvdir

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/lean"
	"gorunit/internal/spawn"
	"gorunit/internal/svlink"
	"gorunit/internal/sysio"
	"gorunit/reaper"
)

// scan reads the current directory (runsvdir has changed into dir): every
// subdirectory, or symlink to one, whose name does not start with a dot
// is a service identified by its device and inode. New services and known
// ones without a runsv get one; services no longer found get SIGTERM and
// are forgotten. New runsv processes are started after the forgotten ones
// were signalled, so that a replaced directory's old runsv is on its way
// out when the new one starts.
func (d *runner) scan() {
	fd, err := unix.Open(d.scanDir(), unix.O_RDONLY|unix.O_NONBLOCK|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		d.say("warning", "unable to open directory ", d.dir, ": ", errstr.Str(err))
		return
	}
	for _, s := range d.svcs {
		s.seen = false
	}
	d.queue = d.queue[:0]
	complete := true
	for complete {
		n, err := unix.Getdents(fd, d.dent)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			d.say("warning", "unable to read directory ", d.dir, ": ", errstr.Str(err))
			d.check = true
			complete = false
			break
		}
		if n <= 0 {
			break
		}
		for off := 0; off < n; {
			// struct linux_dirent64: ino, off, reclen, type, name (NUL-terminated)
			reclen := int(*(*uint16)(unsafe.Pointer(&d.dent[off+16])))
			name := d.dent[off+19 : off+reclen]
			off += reclen
			if name[0] == '.' {
				continue
			}
			nl := 0
			for nl < len(name) && name[nl] != 0 {
				nl++
			}
			d.entry(fd, name[:nl+1])
		}
	}
	unix.Close(fd)
	if complete {
		d.forget()
	}
	d.startQueued()
}

// entry handles one directory entry; name0 includes the terminating NUL
// and points into the dirent buffer.
func (d *runner) entry(fd int, name0 []byte) {
	name := unsafe.String(&name0[0], len(name0)-1)
	if err := statAt(fd, &name0[0], &d.st); err != nil {
		d.say("warning", "unable to stat ", name, ": ", errstr.Str(err))
		return
	}
	if d.st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	k := key{uint64(d.st.Dev), uint64(d.st.Ino)}
	if s := d.idx[k]; s != nil {
		s.seen = true
		// A service renamed (or whose other name went away) is known
		// by the name it has now: restarted under it, and checked under
		// it at each wake-up (namesMoved) instead of rescanning forever.
		if s.name() != name && (!s.running() || !d.leadsTo(fd, s)) {
			s.name0 = string(name0)
		}
		if !s.running() && !s.start {
			s.start = true
			d.queue = append(d.queue, s)
		}
		return
	}
	if len(d.svcs) >= MaxServices {
		d.say("warning", "unable to start runsv ", name, ": too many services.")
		return
	}
	s := &service{key: k, name0: string(name0), seen: true, start: true, fresh: true}
	s.onExit = func(e reaper.Exit) {
		d.execFailed(s, e)
		if s.pid == e.Pid {
			s.pid = 0
		}
		if !s.gone {
			d.check = true
		}
	}
	d.svcs = append(d.svcs, s)
	d.idx[k] = s
	d.queue = append(d.queue, s)
	d.check = true
}

// leadsTo reports whether s's name in the directory fd still leads to s's
// directory.
func (d *runner) leadsTo(fd int, s *service) bool {
	var st unix.Stat_t
	return statAt(fd, unsafe.StringData(s.name0), &st) == nil &&
		uint64(st.Dev) == s.dev && uint64(st.Ino) == s.ino
}

// forget signals and drops every service not met by the scan.
func (d *runner) forget() {
	j := 0
	for _, s := range d.svcs {
		if s.seen {
			d.svcs[j] = s
			j++
			continue
		}
		s.gone = true
		delete(d.idx, s.key)
		if s.running() {
			if d.replaced(s) {
				d.say("warning", "service directory ", s.name(), " was replaced: stopping its old runsv.")
			}
			s.term()
		}
	}
	for i := j; i < len(d.svcs); i++ {
		d.svcs[i] = nil
	}
	d.svcs = d.svcs[:j]
}

// replaced reports whether the scan found a new directory under gone's
// name (a service directory removed and made again while its runsv ran).
func (d *runner) replaced(gone *service) bool {
	for _, s := range d.queue {
		if s.fresh && s.name0 == gone.name0 {
			return true
		}
	}
	return false
}

// startQueued starts a runsv for every service queued by the scan.
func (d *runner) startQueued() {
	if len(d.queue) == 0 {
		return
	}
	if d.host != nil {
		// Every new service set up first, then all started (runsv.Start).
		for _, s := range d.queue {
			s.start, s.fresh = false, false
			if !s.gone {
				d.host1(s)
			}
		}
		for i, s := range d.queue {
			d.queue[i] = nil
			if s.hs != nil && !s.gone {
				s.hs.Start()
			}
		}
		d.queue = d.queue[:0]
		return
	}
	prog, perr := sysio.LookPath("runsv", d.path, &d.st)
	attr := &d.attr
	if perr == nil && d.leanRunsv(prog, &d.st) {
		attr = &d.leanAttr
	}
	for i, s := range d.queue {
		d.queue[i] = nil
		s.start, s.fresh = false, false
		if s.gone {
			continue
		}
		if perr != nil {
			// runit's child prints this and exits 100, which makes
			// runsvdir try again at the next scan.
			d.say("fatal", "unable to start runsv ", s.name(), ": ", errstr.Str(perr))
			d.check = true
			continue
		}
		d.start(s, prog, attr)
	}
	d.queue = d.queue[:0]
}

// leanRunsv reports whether prog, whose stat is st, is gorunit's runsv, to
// which the start-up marker of internal/lean may be passed: each runsv then
// starts lean at once instead of executing itself a second time. The
// answer is kept for as long as the file looks the same.
func (d *runner) leanRunsv(prog string, st *unix.Stat_t) bool {
	id := progID{uint64(st.Dev), uint64(st.Ino), st.Size, st.Mtim, st.Ctim}
	if id != d.progID || prog != d.prog {
		d.prog, d.progID = prog, id
		d.progLean = lean.Built(prog, "runsv")
	}
	return d.progLean
}

// progID tells whether the runsv found in $PATH is still the same file.
type progID struct {
	dev, ino   uint64
	size       int64
	mtim, ctim unix.Timespec
}

// host1 hosts s in this process (one-process mode) instead of starting a
// runsv for it. A service that cannot be set up (runsv's fatal message
// was written) is tried again at the next scan, as a runsv that exits is.
func (d *runner) host1(s *service) {
	path := d.dir + "/" + s.name()
	svlink.Prepare(path)
	hs, err := d.host.Add(path, s.name(), func(int) {
		s.hs = nil
		if !s.gone {
			d.check = true
		}
	})
	if err != nil {
		d.check = true
		return
	}
	s.hs = hs
	if d.ifd >= 0 {
		if wd, err := unix.InotifyAddWatch(d.ifd, path, unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_ONLYDIR); err == nil {
			if d.svWatch == nil {
				d.svWatch = map[int32]bool{}
			}
			d.svWatch[int32(wd)] = true
		}
	}
}

// start forks a runsv for s (internal/spawn: without waiting for its
// exec, as runit's runsvdir forks). A failure to execute prog shows as the
// child's exit 111, when s.onExit reports it (execFailed).
func (d *runner) start(s *service, prog string, attr *syscall.ProcAttr) {
	argv := []string{"runsv", s.name()}
	// A supervise symlink into an empty /run (read-only root).
	svlink.Prepare(argv[1])
	a := spawn.Attr{Setsid: attr.Sys != nil && attr.Sys.Setsid}
	pid, err := d.r.Start(func() (int, error) {
		pid, _, err := spawn.Start(prog, argv, attr.Env, "", attr.Files, &a)
		return pid, err
	}, s.onExit)
	if err != nil {
		if err == syscall.EAGAIN {
			d.say("warning", "unable to fork for ", s.name(), ": ", errstr.Str(err))
		} else {
			d.say("fatal", "unable to start runsv ", s.name(), ": ", errstr.Str(err))
		}
		d.check = true
		return
	}
	s.pid = pid
}

// execFailed prints, when the exit e of s's runsv is collected, the
// message for a runsv that could not be executed (the child's exit 111
// with internal/spawn's record), as runit's child prints it.
func (d *runner) execFailed(s *service, e reaper.Exit) {
	if e.Signaled() || e.Code() != spawn.ExitCode {
		return
	}
	if errno, ok := spawn.ExecError(e.Pid); ok {
		d.say("fatal", "unable to start runsv ", s.name(), ": ", errstr.Str(errno))
	}
}
