package runsv

// cgroup v2 containment, an addition switched on by a file `cgroup` in the
// service directory (log/cgroup for the log service). Without that file a
// service runs exactly as under runit.
//
//	cgroup           Its first line names the parent cgroup, a path on the
//	                 cgroup2 hierarchy relative to its root (a leading "/"
//	                 is allowed, "." and ".." components are not); empty:
//	                 "gorunit". The service's cgroup is
//	                 <root>/<parent>/<name>, where <name> is the last element
//	                 of runsv's directory argument (the entry's name under
//	                 runsvdir) and <name>.log for the log service.
//	                 <root> is /sys/fs/cgroup if a cgroup2 file system is
//	                 mounted there, else the first cgroup2 mount of
//	                 /proc/self/mountinfo (the unified hierarchy of a hybrid
//	                 system, e.g. /sys/fs/cgroup/unified). With no cgroup2
//	                 mounted the service runs without a cgroup, after one
//	                 warning.
//	cgroup.memory.max, cgroup.memory.high, cgroup.memory.swap.max,
//	cgroup.memory.oom.group, cgroup.pids.max, cgroup.cpu.max, cgroup.cpu.weight
//	                 Limits: the first line is written into the cgroup's
//	                 file of the same name without "cgroup." at each start
//	                 of ./run (a file removed since sets the kernel's default
//	                 again). Where the controller is not available (bound to
//	                 cgroup v1 on a hybrid host, or not delegated), one
//	                 warning, and the service runs without that limit.
//
// ./run and ./finish are put into the cgroup by the kernel at fork
// (clone3 with CLONE_INTO_CGROUP): a process forked at once by the service
// is in it too. When the service's process (./run, ./finish, log/run) has
// ended and runsv has collected its exit, and before the machine learns of
// it (so before ./finish, a restart, or the down state of `sv down`), every
// process left in the cgroup is killed: cgroup.kill (Linux 5.14), or
// SIGKILL to each pid of cgroup.procs every cgroupRekill on older
// kernels. The machine gets the exit once the cgroup is empty
// (cgroup.events: populated 0, which wakes the host's epoll with
// EPOLLPRI), or cgroupKillWait later with a warning; the host goes on
// with everything else meanwhile (it carries every service of process 1).
// A daemon that double-forks leaves no orphan behind. After a cgroup.kill the directory is made
// afresh before the next start (see cgroupRenew), and processes left in
// the cgroup by an earlier runsv of the service (killed with -9, say) are
// killed before ./run starts: names must be unique under one parent.
//
// runsv enables the memory and pids controllers (accounting: memory.current,
// pids.current) in cgroup.subtree_control of the root and every parent on
// the way where they are available, and cpu when a cgroup.cpu.* file asks
// for it. The cgroup directory is kept while runsv runs (and after), so
// that its accounting stays readable; supervise/extra has its path on a
// line `cgroup PATH`.

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/spawn"
)

// cgroupKillWait bounds the wait for a killed cgroup to be empty. SIGKILL
// ends a process at once unless it sleeps uninterruptibly in the kernel.
const cgroupKillWait = 5 * time.Second

// cgroupRekill: without cgroup.kill, how often the processes listed in
// cgroup.procs are killed again while the cgroup is not empty.
const cgroupRekill = 100 * time.Millisecond

// cgState is the cgroup of one service (Target).
type cgState struct {
	path     string // absolute path of the cgroup directory; "" if none
	fd       int    // the directory, open while path != ""
	root     string // the cgroup2 mount point and the parent below it
	parent   string
	killed   bool   // cgroup.kill was written: the directory is to be made afresh
	limits   uint16 // limit files that may be set in the cgroup (bits of cgLimits)
	enabled  uint8  // controllers enabled on the way down (bits of cgControllers)
	warned   uint16 // warnings given (cgw* bits): each once
	warnedLm uint16 // limit files warned about (bits of cgLimits)
	zfile    zpath  // "cgroup" or "log/cgroup", once zset
	zset     bool

	// A kill under way after the process ended (cgroupExited): the
	// machine gets the exit once the cgroup is empty.
	waiting  bool
	ev       int       // cgroup.events, in the host's epoll set while waiting
	deadline time.Time // give up waiting (cgroupKillWait)
	next     time.Time // without cgroup.kill: the next kill round
}

// Warnings given once per service.
const (
	cgwNoCgroup2 = 1 << iota
	cgwParent
	cgwCreate
	cgwClone
	cgwKill
)

var cgControllers = [...]string{"memory", "pids", "cpu"}

// Controllers enabled whether or not a limit asks for them (accounting).
const cgAlways = 1<<0 | 1<<1

// cgLimits are the limit files: cgroup.<file> in the service directory.
var cgLimits = [...]struct {
	file string
	ctrl uint8 // bit of cgControllers
	def  string
}{
	{"memory.max", 1 << 0, "max"},
	{"memory.high", 1 << 0, "max"},
	{"memory.swap.max", 1 << 0, "max"},
	{"memory.oom.group", 1 << 0, "0"},
	{"pids.max", 1 << 1, "max"},
	{"cpu.max", 1 << 2, "max"},
	{"cpu.weight", 1 << 2, "100"},
}

// cgroupTestFallback makes cgroupKill use the cgroup.procs loop even where
// cgroup.kill exists (tests of the fallback).
var cgroupTestFallback = false

// cgroup2 holds the cgroup2 mount point, found once.
var cgroup2 struct {
	root string
	done bool
}

func cgroup2Root() string {
	if !cgroup2.done {
		cgroup2.done = true
		if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
			cgroup2.root = findCgroup2(string(b))
		}
	}
	return cgroup2.root
}

// findCgroup2 returns the mount point of cgroup2 from mountinfo's text:
// /sys/fs/cgroup if it is cgroup2, else the first cgroup2 mount, else "".
func findCgroup2(mountinfo string) string {
	first := ""
	for _, l := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(l)
		if len(f) < 7 {
			continue
		}
		for i := 6; i+1 < len(f); i++ {
			if f[i] != "-" {
				continue
			}
			if f[i+1] == "cgroup2" {
				point := unescapeMount(f[4])
				if point == "/sys/fs/cgroup" {
					return point
				}
				if first == "" {
					first = point
				}
			}
			break
		}
	}
	return first
}

// unescapeMount undoes mountinfo's \ooo escapes.
func unescapeMount(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' &&
			s[i+2] >= '0' && s[i+2] <= '7' && s[i+3] >= '0' && s[i+3] <= '7' {
			b = append(b, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

// cgroupParent returns the parent cgroup named by the content of the file
// `cgroup`: its first line without surrounding blanks and slashes, or
// "gorunit" if that is empty. It reports false for a "." or ".."
// component.
func cgroupParent(content string) (string, bool) {
	if i := strings.IndexByte(content, '\n'); i >= 0 {
		content = content[:i]
	}
	content = strings.Trim(content, " \t\r/")
	if content == "" {
		return "gorunit", true
	}
	var parts []string
	for _, c := range strings.Split(content, "/") {
		switch c {
		case "":
			continue
		case ".", "..":
			return "", false
		}
		parts = append(parts, c)
	}
	return strings.Join(parts, "/"), true
}

// cgroupName is the last element of the directory argument ("foo" for
// /etc/service/foo/), or of the working directory for "." and the like.
func (r *Runsv) cgroupName() string {
	name := filepath.Base(filepath.Clean(r.dir))
	if name == "." || name == ".." || name == "/" {
		if wd, err := os.Getwd(); err == nil {
			name = filepath.Base(wd)
		}
	}
	return name
}

// readFirstLine reads a small file's first line; false if it is absent.
func readFirstLine(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", false
	}
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s), true
}

func (r *Runsv) cgWarn(t Target, bit uint16, parts ...string) {
	c := &r.cg[t]
	if c.warned&bit != 0 {
		return
	}
	c.warned |= bit
	r.warn(parts...)
}

// cgroupSetup prepares the cgroup of t for a start of p and returns its
// directory's descriptor, or -1 if t runs without one. ./finish runs in
// the cgroup ./run had.
func (r *Runsv) cgroupSetup(t Target, p Prog) int {
	c := &r.cg[t]
	if p == ProgFinish {
		if c.path == "" {
			return -1
		}
		if c.killed {
			r.cgroupRenew(t)
			r.cgroupLimits(t)
		}
		return c.fd
	}
	base := r.io[t].base
	if !c.zset {
		c.zfile, c.zset = mkz(base+"cgroup"), true
	}
	// Without the file (the usual case): a stat, no allocation.
	var st unix.Stat_t
	content, ok := "", statZ(r.dfd, &c.zfile, &st) == 0
	if ok {
		content, ok = readFirstLine(r.wd + base + "cgroup")
	}
	if !ok {
		r.cgroupSet(t, "", -1)
		return -1
	}
	root := cgroup2Root()
	if root == "" {
		r.cgWarn(t, cgwNoCgroup2, base, "cgroup: no cgroup2 file system mounted, running without a cgroup")
		r.cgroupSet(t, "", -1)
		return -1
	}
	parent, ok := cgroupParent(content)
	if !ok {
		r.cgWarn(t, cgwParent, base, "cgroup: invalid parent ", content, ": no . or .. allowed, running without a cgroup")
		r.cgroupSet(t, "", -1)
		return -1
	}
	leaf := r.cgroupName()
	if t == LogSvc {
		leaf += ".log"
	}
	path := root + "/" + parent + "/" + leaf
	if path != c.path {
		dir := root
		var err error
		for _, comp := range strings.Split(parent+"/"+leaf, "/") {
			dir += "/" + comp
			if err = unix.Mkdir(dir, 0755); err == unix.EEXIST {
				err = nil
			}
			if err != nil {
				break
			}
		}
		fd := -1
		if err == nil {
			fd, err = unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		}
		if err != nil {
			r.cgWarn(t, cgwCreate, base, "cgroup: unable to create ", dir, ": ", errstr.Str(err), ", running without a cgroup")
			r.cgroupSet(t, "", -1)
			return -1
		}
		r.cgroupSet(t, path, fd)
		// A cgroup left by an earlier runsv (killed with -9, say) is
		// emptied (its processes are the service's, started again
		// now) and made afresh.
		r.cgroupKill(t)
		c.killed = true
	}
	r.cgroupRenew(t)
	if c.path == "" {
		return -1
	}
	c.root, c.parent = root, parent
	r.cgroupLimits(t)
	return c.fd
}

// cgroupRenew makes t's cgroup afresh after a cgroup.kill. Linux since
// the fix of a race between fork and cgroup.kill (6.14, and the stable
// kernels it went to, e.g. 6.1.129) compares the kill count of the
// forking process's cgroup with that of the target: after one
// cgroup.kill, every process cloned into the cgroup would be killed at
// birth. A new directory has a count of 0, as runsv's own has.
func (r *Runsv) cgroupRenew(t Target) {
	c := &r.cg[t]
	if !c.killed {
		return
	}
	c.killed = false
	unix.Close(c.fd)
	err := unix.Rmdir(c.path)
	if err == nil {
		if err = unix.Mkdir(c.path, 0755); err == nil || err == unix.EEXIST {
			c.fd, err = unix.Open(c.path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		}
	}
	if err != nil {
		r.cgWarn(t, cgwCreate, r.io[t].base, "cgroup: unable to make ", c.path, " afresh: ", errstr.Str(err), ", running without a cgroup")
		c.path, c.fd = "", -1
		r.cgroupExtraChanged(t)
		return
	}
	// Each limit is set again (or back to its default).
	c.limits = 1<<len(cgLimits) - 1
}

// cgroupSet records t's cgroup (path "" and fd -1: none).
func (r *Runsv) cgroupSet(t Target, path string, fd int) {
	c := &r.cg[t]
	if path == c.path {
		return
	}
	if c.path != "" {
		unix.Close(c.fd)
		unix.Rmdir(c.path) // best effort: fails if it is not empty
	}
	c.path, c.fd, c.enabled = path, fd, 0
	r.cgroupExtraChanged(t)
}

// cgroupLimits enables the controllers the limit files need and writes the
// limits into t's cgroup.
func (r *Runsv) cgroupLimits(t Target) {
	c := &r.cg[t]
	base := r.io[t].base
	var vals [len(cgLimits)]string
	var have uint16
	want := uint8(cgAlways)
	for i, l := range cgLimits {
		if v, ok := readFirstLine(r.wd + base + "cgroup." + l.file); ok {
			vals[i], have = v, have|1<<i
			want |= l.ctrl
		}
	}
	if want&^c.enabled != 0 {
		c.enabled |= enableControllers(c.root, c.parent, want&^c.enabled)
	}
	for i, l := range cgLimits {
		v := vals[i]
		if have&(1<<i) == 0 {
			if c.limits&(1<<i) == 0 {
				continue
			}
			v = l.def
		}
		fd, err := unix.Openat(c.fd, l.file, unix.O_WRONLY|unix.O_CLOEXEC, 0)
		if err == nil {
			_, err = unix.Write(fd, []byte(v))
			unix.Close(fd)
		}
		if have&(1<<i) == 0 {
			c.limits &^= 1 << i // the default, set or not: nothing to undo
			continue
		}
		c.limits |= 1 << i
		if err != nil && c.warnedLm&(1<<i) == 0 {
			c.warnedLm |= 1 << i
			why := errstr.Str(err)
			if err == unix.ENOENT {
				why = "controller " + controllerName(l.ctrl) + " not available (bound to cgroup v1, not delegated, or processes in a parent)"
			}
			r.warn(base, "cgroup.", l.file, ": unable to set ", v, " in ", c.path, ": ", why)
		}
	}
}

func controllerName(bit uint8) string {
	for i, n := range cgControllers {
		if bit == 1<<i {
			return n
		}
	}
	return "?"
}

// enableControllers writes +<controller> into cgroup.subtree_control of
// root and of each parent below it, for the controllers in want, stopping
// for a controller where it is not available. It returns those enabled
// all the way down.
func enableControllers(root, parent string, want uint8) uint8 {
	dirs := []string{root}
	d := root
	for _, comp := range strings.Split(parent, "/") {
		d += "/" + comp
		dirs = append(dirs, d)
	}
	var done uint8
	for i, name := range cgControllers {
		if want&(1<<i) == 0 {
			continue
		}
		ok := true
		for _, dir := range dirs {
			if !hasController(dir, name) {
				ok = false
				break
			}
			fd, err := unix.Open(dir+"/cgroup.subtree_control", unix.O_WRONLY|unix.O_CLOEXEC, 0)
			if err == nil {
				_, err = unix.Write(fd, []byte("+"+name))
				unix.Close(fd)
			}
			if err != nil {
				ok = false
				break
			}
		}
		if ok {
			done |= 1 << i
		}
	}
	return done
}

// hasController reports whether the controller is listed in dir's
// cgroup.controllers (available to dir, to be enabled for its children).
func hasController(dir, name string) bool {
	b, err := os.ReadFile(dir + "/cgroup.controllers")
	if err != nil {
		return false
	}
	for _, f := range strings.Fields(string(b)) {
		if f == name {
			return true
		}
	}
	return false
}

// forkExec starts p (internal/spawn) with a pidfd, into t's cgroup if it
// has one. Should the kernel refuse the cgroup (no clone3, a cgroup it
// will not take), the start is tried once more without, after a warning.
func (r *Runsv) forkExec(t Target, p Prog, argv []string, dir string, files []uintptr) (int, int, error) {
	a := spawn.Attr{PidFD: true}
	fd := r.cgroupSetup(t, p)
	if fd < 0 {
		return spawn.Start(argv[0], argv, r.h.Env, dir, files, &a)
	}
	a.UseCgroupFD, a.CgroupFD = true, fd
	pid, pidfd, err := spawn.Start(argv[0], argv, r.h.Env, dir, files, &a)
	if err == nil || err == syscall.EAGAIN || err == syscall.ENOMEM {
		// EAGAIN: perhaps pids.max; runsv tries again later.
		return pid, pidfd, err
	}
	a.UseCgroupFD = false
	pid, pidfd, err2 := spawn.Start(argv[0], argv, r.h.Env, dir, files, &a)
	if err2 == nil {
		r.cgWarn(t, cgwClone, r.io[t].base, "cgroup: unable to start in ", r.cg[t].path, ": ", errstr.Str(err), ", running without a cgroup")
	}
	return pid, pidfd, err2
}

// cgroupExited is called by the host when it has collected the exit of
// t's process: every process left in t's cgroup is killed, and the
// machine gets the exit only once the cgroup is empty (cgroupSettled), or
// cgroupKillWait later. Meanwhile the host sleeps: cgroup.events wakes it
// (EPOLLPRI) when the cgroup empties.
func (r *Runsv) cgroupExited(t Target) {
	c := &r.cg[t]
	if c.path == "" || c.waiting {
		return
	}
	ev, ok := r.cgroupKillStart(t)
	if !ok {
		return
	}
	now := time.Now()
	c.ev, c.waiting = ev, true
	c.deadline, c.next = now.Add(cgroupKillWait), now.Add(cgroupRekill)
	ee := unix.EpollEvent{Events: unix.EPOLLPRI, Fd: int32(r.slot), Pad: int32(kCg + int(t))}
	unix.EpollCtl(r.h.ep, unix.EPOLL_CTL_ADD, ev, &ee)
}

// cgroupSettled reports whether t's exit may go to the machine: no kill
// is under way, or the cgroup is empty now, or the time is over (with a
// warning). Without cgroup.kill, the processes listed are killed again
// every cgroupRekill (those forked meanwhile).
func (r *Runsv) cgroupSettled(t Target) bool {
	c := &r.cg[t]
	if !c.waiting {
		return true
	}
	if populated(c.ev) {
		now := time.Now()
		if now.Before(c.deadline) {
			if !c.killed && !now.Before(c.next) {
				killProcs(c.fd)
				c.next = now.Add(cgroupRekill)
			}
			return false
		}
		r.cgWarn(t, cgwKill, r.io[t].base, "cgroup: processes left in ", c.path, " after SIGKILL")
	}
	c.waiting = false
	r.h.closeFd(&c.ev)
	return true
}

// cgroupEvent reads cgroup.events after epoll reported a change: the read
// re-arms the notification (which stays up until then, even while a
// control script holds the exit back); the pass decides (cgroupSettled).
func (r *Runsv) cgroupEvent(t Target) {
	if c := &r.cg[t]; c.waiting {
		populated(c.ev)
	}
}

// cgroupTimeout lowers the host's timeout (ms, -1 for none) to r's next
// kill round or deadline.
func (r *Runsv) cgroupTimeout(now time.Time, timeout int) int {
	for t := range r.cg {
		if c := &r.cg[t]; c.waiting {
			at := c.deadline
			if !c.killed && c.next.Before(at) {
				at = c.next
			}
			timeout = deadlineTimeout(at, now, timeout)
		}
	}
	return timeout
}

// cgroupRelease closes r's cgroup descriptors when the host drops it.
func (r *Runsv) cgroupRelease() {
	for t := range r.cg {
		c := &r.cg[t]
		if c.waiting {
			c.waiting = false
			r.h.closeFd(&c.ev)
		}
		if c.path != "" {
			unix.Close(c.fd)
			c.path, c.fd = "", -1
		}
	}
}

// cgroupKillStart kills every process in t's cgroup (cgroup.kill, else
// SIGKILL to each listed) and returns an open cgroup.events and true, or
// false if the cgroup was empty already.
func (r *Runsv) cgroupKillStart(t Target) (int, bool) {
	c := &r.cg[t]
	ev, err := unix.Openat(c.fd, "cgroup.events", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1, false
	}
	if !populated(ev) {
		unix.Close(ev)
		return -1, false
	}
	c.killed = false
	if !cgroupTestFallback {
		if fd, err := unix.Openat(c.fd, "cgroup.kill", unix.O_WRONLY|unix.O_CLOEXEC, 0); err == nil {
			_, err = unix.Write(fd, []byte("1"))
			unix.Close(fd)
			c.killed = err == nil
		}
	}
	if !c.killed {
		killProcs(c.fd)
	}
	return ev, true
}

// cgroupKill kills every process in t's cgroup and waits, at most
// cgroupKillWait, until it is empty: for what an earlier runsv left, at
// set-up.
func (r *Runsv) cgroupKill(t Target) {
	c := &r.cg[t]
	ev, ok := r.cgroupKillStart(t)
	if !ok {
		return
	}
	defer unix.Close(ev)
	end := time.Now().Add(cgroupKillWait)
	for populated(ev) {
		left := time.Until(end)
		if left <= 0 {
			r.cgWarn(t, cgwKill, r.io[t].base, "cgroup: processes left in ", c.path, " after SIGKILL")
			return
		}
		// cgroup.events signals a change of populated with POLLPRI.
		fds := [1]unix.PollFd{{Fd: int32(ev), Events: unix.POLLPRI}}
		unix.Poll(fds[:], int(min(left, cgroupRekill)/time.Millisecond)+1)
		if !c.killed {
			killProcs(c.fd)
		}
	}
}

// populated reads cgroup.events (from its start, which also re-arms its
// poll notification) and reports whether the cgroup has processes.
func populated(ev int) bool {
	var buf [128]byte
	n, err := unix.Pread(ev, buf[:], 0)
	if err != nil || n <= 0 {
		return false
	}
	s := string(buf[:n])
	i := strings.Index(s, "populated ")
	return i >= 0 && i+10 < len(s) && s[i+10] != '0'
}

// killProcs sends SIGKILL to every process listed in cgroup.procs of the
// cgroup directory dirfd.
func killProcs(dirfd int) {
	fd, err := unix.Openat(dirfd, "cgroup.procs", unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return
	}
	var b []byte
	var buf [4096]byte
	for {
		n, err := unix.Read(fd, buf[:])
		if n <= 0 || err != nil {
			break
		}
		b = append(b, buf[:n]...)
	}
	unix.Close(fd)
	for _, f := range strings.Fields(string(b)) {
		pid := 0
		for _, ch := range f {
			pid = pid*10 + int(ch-'0')
		}
		if pid > 1 {
			unix.Kill(pid, unix.SIGKILL)
		}
	}
}

// cgroupExtraLine appends supervise/extra's `cgroup PATH` line for t, if
// t has a cgroup, to b.
func (r *Runsv) cgroupExtraLine(t Target, b []byte) []byte {
	if p := r.cg[t].path; p != "" {
		b = append(append(append(b, "cgroup "...), p...), '\n')
	}
	return b
}
