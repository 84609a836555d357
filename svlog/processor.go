package svlog

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/reaper"
)

// restartDelay is the least time between two starts of a processor that
// keeps failing. runit restarts a failed processor at once, which makes a
// broken processor fork hundreds of times a second; one second keeps the
// retry without the storm.
const restartDelay = time.Second

// processor is the state of a directory's `!` processor.
type processor struct {
	pid     int    // running processor, 0 if none
	base    string // "@<24 hex>" of the file being processed ("" if none)
	cmd     string
	dirfd   int   // the directory, kept open until the file is processed
	started int64 // unix nanoseconds of the latest start
	restart int64 // when to start again after a failure, 0 if not pending
}

// pending reports whether a file is being processed (running, or waiting
// to be restarted after a failure).
func (p *processor) pending() bool { return p.base != "" }

// start runs the processor on base+".u": /bin/sh -c cmd in the directory
// with the file on stdin, base+".t" on stdout, state on fd 4 and newstate
// on fd 5.
func (p *processor) start(d *logdir, base, cmd string) {
	if !p.pending() {
		fd, err := unix.Dup(d.dirfd)
		if err != nil {
			d.warn("unable to start processor: ", err)
			return
		}
		unix.CloseOnExec(fd)
		p.dirfd, p.base, p.cmd = fd, base, cmd
	}
	p.restart = 0
	d.info("processing: ", d.name, "/", base, ".u")
	var fds [4]int
	for i := range fds {
		fds[i] = -1
	}
	defer func() {
		for _, fd := range fds {
			if fd >= 0 {
				unix.Close(fd)
			}
		}
	}()
	var err error
	if fds[0], err = unix.Openat(p.dirfd, base+".u", unix.O_RDONLY|unix.O_CLOEXEC, 0); err != nil {
		// Nothing left to process.
		msg.Err("svlogd: warning: unable to open input for processor: ", d.name, "/", base, ".u: ", errstr.Str(err))
		p.done()
		return
	}
	if fds[1], err = unix.Openat(p.dirfd, base+".t", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0644); err != nil {
		p.retry(d, "unable to open output for processor: ", err)
		return
	}
	if fds[2], err = unix.Openat(p.dirfd, "state", unix.O_RDONLY|unix.O_CREAT|unix.O_CLOEXEC, 0644); err != nil {
		p.retry(d, "unable to open state for processor: ", err)
		return
	}
	if fds[3], err = unix.Openat(p.dirfd, "newstate", unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_CLOEXEC, 0644); err != nil {
		p.retry(d, "unable to open newstate for processor: ", err)
		return
	}
	attr := &syscall.ProcAttr{
		Dir:   d.name,
		Env:   syscall.Environ(),
		Files: []uintptr{uintptr(fds[0]), uintptr(fds[1]), 2, ^uintptr(0), uintptr(fds[2]), uintptr(fds[3])},
	}
	p.started = time.Now().UnixNano()
	pid, err := d.sv.reaper.Start(func() (int, error) {
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", cmd}, attr)
	}, func(e reaper.Exit) { p.exited(d, e) })
	if err != nil {
		p.retry(d, "unable to start processor: ", err)
		return
	}
	p.pid = pid
}

func (p *processor) retry(d *logdir, what string, err error) {
	d.warn(what, err)
	p.restart = time.Now().UnixNano() + int64(restartDelay)
}

func (p *processor) done() {
	if p.dirfd >= 0 {
		unix.Close(p.dirfd)
	}
	p.dirfd, p.base, p.pid, p.restart = -1, "", 0, 0
}

// exited does the bookkeeping after the processor ended: on success (exit
// 0) the output becomes base.s (0744), the input is deleted and newstate
// becomes state, and a file left unprocessed by an earlier svlogd is
// queued next; on failure the output is deleted and the processor runs
// again. A processor killed by a signal failed: runit counts it as exit 0
// and deletes the input, losing what was not processed yet.
func (p *processor) exited(d *logdir, e reaper.Exit) {
	p.pid = 0
	if e.Code() != 0 || e.Signaled() {
		msg.Err("svlogd: warning: processor failed, restart: ", d.name)
		unix.Unlinkat(p.dirfd, p.base+".t", 0)
		p.restart = p.started + int64(restartDelay)
		if now := time.Now().UnixNano(); p.restart < now {
			p.restart = now
		}
		return
	}
	for {
		err := unix.Renameat(p.dirfd, p.base+".t", p.dirfd, p.base+".s")
		if err == nil {
			break
		}
		d.pause("unable to rename processed: ", err)
	}
	unix.Fchmodat(p.dirfd, p.base+".s", 0744, 0)
	unix.Unlinkat(p.dirfd, p.base+".u", 0)
	for {
		err := unix.Renameat(p.dirfd, "newstate", p.dirfd, "state")
		if err == nil {
			break
		}
		d.pause("unable to rename newstate: ", err)
	}
	d.info("processed: ", d.name, "/", p.base, ".s")
	p.done()
	p.leftover(d)
}

// leftover queues the oldest file an earlier svlogd left unprocessed
// (@….u, after a kill -9 or a crash, and current renamed to @….u at open)
// when a processor is configured and none is pending: the main loop's
// timers (or wait) start it. A @….u whose @….s exists was processed and
// only not deleted: it is deleted now (and newstate becomes state); a
// half-written @….t is deleted and the file processed again. runit
// processes only the files it rotates itself and leaves these forever.
func (p *processor) leftover(d *logdir) {
	if d.cfg.Processor == "" || p.pending() || d.dirfd < 0 {
		return
	}
	for {
		var oldest [27]byte
		found := false
		eachEntry(d.dirfd, func(name []byte) {
			if isOld(name) && name[25] == '.' && name[26] == 'u' &&
				(!found || string(name) < string(oldest[:])) {
				copy(oldest[:], name)
				found = true
			}
		})
		if !found {
			return
		}
		base := string(oldest[:25])
		var st unix.Stat_t
		if unix.Fstatat(d.dirfd, base+".s", &st, unix.AT_SYMLINK_NOFOLLOW) == nil {
			unix.Unlinkat(d.dirfd, base+".u", 0)
			unix.Renameat(d.dirfd, "newstate", d.dirfd, "state")
			continue
		}
		unix.Unlinkat(d.dirfd, base+".t", 0)
		fd, err := unix.Dup(d.dirfd)
		if err != nil {
			d.warn("unable to start processor: ", err)
			return
		}
		unix.CloseOnExec(fd)
		p.dirfd, p.base, p.cmd = fd, base, d.cfg.Processor
		p.restart = time.Now().UnixNano()
		return
	}
}

// due starts a failed processor again when its restart time has come and
// returns the time of a restart still to come (0 if none).
func (p *processor) due(d *logdir, now int64) int64 {
	if p.restart == 0 || p.pid != 0 {
		return 0
	}
	if now >= p.restart {
		p.start(d, p.base, p.cmd)
		return p.restart
	}
	return p.restart
}

// wait blocks until the file being processed is done, restarting the
// processor after failures (runit waits likewise before a rotation and
// at exit).
func (p *processor) wait(d *logdir) {
	for p.pending() {
		if p.pid == 0 {
			if p.restart == 0 {
				p.done()
				return
			}
			if dt := p.restart - time.Now().UnixNano(); dt > 0 {
				time.Sleep(time.Duration(dt))
			}
			p.start(d, p.base, p.cmd)
			continue
		}
		pid := p.pid
		e, ok := d.sv.reaper.WaitFor(pid)
		if !ok {
			p.pid = 0
			p.restart = 0
			continue
		}
		p.exited(d, e)
	}
}
