// Package sv is runit's sv(8): it sends commands to the runsv processes
// supervising services, reports their status, and waits for commands to
// take effect (with ./check scripts and timeouts). Invoked under another
// name (a symlink in /etc/init.d) it is an LSB init script for the service
// of that name.
//
// Output, exit codes and quirks follow runit 2.1.2 (Debian 2.1.2-54),
// section 5 of the specification. The only deliberate difference is that
// the wait loop also wakes up when runsv rewrites its status file or exits
// (inotify), so it notices changes sooner than runit's 0.42 s poll, never
// later.
package sv

import (
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/scan"
	"gorunit/internal/sgetopt"
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
)

const (
	versionID    = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $"
	synopsis     = " [-v] [-w sec] command service ..."
	synopsisLSB  = " [-w sec] command"
	defaultSvdir = "/etc/service/"
	defaultWait  = 7
)

// What the command does to each service before waiting.
const (
	actNone    = iota // check: nothing is sent
	actControl        // write acts to the control FIFO
	actStatus         // print the status line
)

// config is the result of parsing the command line.
type config struct {
	prog     string   // basename of argv[0]
	lsb      bool     // invoked under a name other than "sv"
	verbose  bool     // -v or -w
	wait     uint64   // timeout in seconds
	act      int      // actNone, actControl or actStatus
	acts     string   // bytes to send, or the wait conditions
	waits    bool     // whether to run the wait loop (runit's cbk)
	kill     bool     // force-*: send k on timeout
	json     bool     // -j: status as JSON lines (json.go)
	services []string // as given
}

// usageError is returned by parse for every usage error; sv prints the
// usage text (after the version line for -V) and exits 100, or 2 in LSB
// mode.
type usageError struct{ version bool }

// parse interprets argv (with argv[0]) and the SVWAIT value as sv does.
// Unless quiet, it prints getopt's complaints about bad options itself.
func parse(argv []string, svwait string, haveSvwait, quiet bool) (*config, *usageError) {
	c, action, uerr := parseArgs(argv, svwait, haveSvwait, quiet)
	if uerr == nil && !c.command(action) {
		return nil, &usageError{}
	}
	return c, uerr
}

// parseArgs is parse without looking at the command word, which runit
// checks only after it has opened the current directory.
func parseArgs(argv []string, svwait string, haveSvwait, quiet bool) (*config, string, *usageError) {
	c := &config{wait: defaultWait, act: actControl, waits: true}
	arg0 := ""
	if len(argv) > 0 {
		arg0 = argv[0]
		argv = argv[1:]
	}
	c.prog = basename(arg0)
	c.lsb = c.prog != "sv"
	if haveSvwait {
		c.wait = scan.Value(svwait)
	}
	opts := "w:vV"
	if !c.lsb {
		opts += jsonOpt
	}
	p := sgetopt.New(c.prog, argv, opts)
	p.Quiet = quiet
	for {
		o, a := p.Next()
		if o == 0 {
			break
		}
		switch o {
		case 'w':
			c.wait = scan.Value(a)
			c.verbose = true
		case 'v':
			c.verbose = true
		case 'V':
			return nil, "", &usageError{version: true}
		case jsonOpt[0]:
			c.json = true
		default:
			return nil, "", &usageError{}
		}
	}
	rest := p.Rest()
	if len(rest) == 0 {
		return nil, "", &usageError{}
	}
	action := rest[0]
	if c.lsb {
		c.services = []string{c.prog}
	} else {
		c.services = rest[1:]
		if len(c.services) == 0 && !c.json {
			return nil, "", &usageError{}
		}
	}
	return c, action, nil
}

// command sets act, acts, waits and kill from the command word (as
// supervise.SvCommand reads it); false means a usage error.
func (c *config) command(action string) bool {
	a, ok := supervise.SvCommand(action)
	if !ok || (c.json && a.Kind != supervise.SvStatus) {
		return false
	}
	switch a.Kind {
	case supervise.SvStatus:
		if c.lsb && action != "status" {
			return false
		}
		c.act, c.acts, c.waits = actStatus, a.Bytes, false
		return true
	case supervise.SvCheck:
		c.act = actNone
	}
	c.acts, c.kill = a.Bytes, a.Force
	if !a.Always {
		c.waits = c.verbose
	}
	return true
}

func basename(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

// exitNow unwinds to Main with an exit code (runit's done() and fatal
// errors exit from deep inside).
type exitNow int

// sv is the state of one run.
type sv struct {
	*config
	svdir  string
	curdir int
	rc     int // errors so far

	tstart tai64.N   // when sv started (whole seconds compared with since)
	start  time.Time // the same, for the elapsed time of the wait loop
	tnow   tai64.N   // time of the current round, for the status lines

	away  bool   // the working directory is not curdir
	done  int    // s.out[:done] is ready to be written
	cur   string // service being handled, for messages
	islog bool   // handling <service>/log in the status command
	st    supervise.Buf
	out   []byte // stdout buffer, written at runit's flush points
	path  []byte // $SVDIR/name, reused for every service (chdirIn)
	jerr  string // -j: the message of the last failure (json.go)
}

// Main runs sv with argv (argv[0] included) and returns the exit code.
// It changes the working directory while it runs and restores it before
// returning.
func Main(argv []string) (code int) {
	svwait, haveSvwait := syscall.Getenv("SVWAIT")
	c, action, uerr := parseArgs(argv, svwait, haveSvwait, false)
	if uerr != nil {
		return usage(argv, uerr.version)
	}
	// One output buffer for the whole run: flush writes it out once it
	// holds 4096 bytes, so it does not grow with the number of services.
	s := &sv{config: c, svdir: defaultSvdir, curdir: -1, out: make([]byte, 0, 8192)}
	if d, ok := syscall.Getenv("SVDIR"); ok {
		s.svdir = d
	}
	defer func() {
		if s.curdir >= 0 {
			if s.away {
				unix.Fchdir(s.curdir)
			}
			unix.Close(s.curdir)
		}
		if r := recover(); r != nil {
			e, ok := r.(exitNow)
			if !ok {
				panic(r)
			}
			s.write() // what runit had written; a partial line is lost
			code = int(e)
		}
	}()
	s.tstart = tai64.Now()
	s.start = time.Now()
	s.tnow = s.tstart
	fd, err := unix.Open(".", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		s.fatal("unable to open current directory", err)
	}
	s.curdir = fd
	if !c.command(action) {
		return usage(argv, false)
	}
	return s.run()
}

// usage prints the usage text (after the version for -V) and returns the
// exit code for it.
func usage(argv []string, version bool) int {
	prog := ""
	if len(argv) > 0 {
		prog = basename(argv[0])
	}
	if version {
		msg.Err(versionID)
	}
	if prog != "sv" {
		msg.Err("usage: ", prog, synopsisLSB, "\n")
		return 2
	}
	msg.Err("usage: ", prog, synopsis, "\n")
	return 100
}

func (s *sv) run() int {
	if s.json {
		return s.jsonRun()
	}

	// Send (or print) in argument order; a service whose directory or
	// status cannot be used is dropped.
	live := make([]bool, len(s.services))
	for i, name := range s.services {
		s.cur = name
		ok := s.enter(name, true)
		if ok && s.act != actNone {
			var r int
			if s.act == actControl {
				r = s.control(s.acts)
			} else {
				r = s.status()
			}
			ok = r != -1
		}
		live[i] = ok
	}
	if s.waits {
		s.waitLoop(live)
	}
	s.write()
	if s.rc > 99 {
		return 99
	}
	return s.rc
}

// enter changes to the directory of service name: a name not starting
// with '/' or '.' is looked up in $SVDIR. In the first pass (full) names
// that are empty or end in '/' are also taken relative to the current
// directory; the waiting phase applies only the first-character test
// (runit's QUIRK).
//
// runit does chdir($SVDIR), chdir(name) and, after each service,
// fchdir(original). sv does the same with fewer system calls: one
// chdir($SVDIR/name) when $SVDIR is absolute (the two-step way only to
// report an error, so the errno is the same), and the return to the
// original directory only when a relative path is about to be used.
func (s *sv) enter(name string, full bool) bool {
	inSvdir := name == "" || (name[0] != '/' && name[0] != '.')
	if full {
		inSvdir = name != "" && name[0] != '/' && name[0] != '.' && name[len(name)-1] != '/'
	}
	var err error
	switch {
	case !inSvdir:
		if name == "" || name[0] != '/' {
			s.home()
		}
		err = s.chdir(name)
	case s.svdir != "" && s.svdir[0] == '/' && len(s.svdir)+1+len(name) < unix.PathMax:
		if err = s.chdirIn(s.svdir, name); err == nil {
			break
		}
		fallthrough
	default:
		if s.svdir == "" || s.svdir[0] != '/' {
			s.home()
		}
		if err = s.chdir(s.svdir); err == nil {
			err = s.chdir(name)
		}
	}
	if err != nil {
		s.fail("unable to change to service directory", err)
		return false
	}
	return true
}

func (s *sv) chdir(dir string) error {
	s.away = true
	return sysio.RawChdir(dir)
}

// chdirIn is chdir(dir + "/" + name) with the path built in s.path, which
// is reused for every service (sysio.RawChdir copies it and keeps nothing).
func (s *sv) chdirIn(dir, name string) error {
	s.path = append(s.path[:0], dir...)
	s.path = append(s.path, '/')
	s.path = append(s.path, name...)
	return s.chdir(unsafe.String(unsafe.SliceData(s.path), len(s.path)))
}

// home returns to the directory sv was started in, if it left it.
func (s *sv) home() {
	if !s.away {
		return
	}
	if err := unix.Fchdir(s.curdir); err != nil {
		s.fatal("unable to change to original directory", err)
	}
	s.away = false
}

// Output. Lines for stdout are collected in s.out; flush marks the point
// up to which runit would have written them (the end of each message).
// Marked lines are written in batches, and always before anything goes to
// stderr, before a ./check child starts, before sleeping and at the end, so
// stdout and stderr interleave exactly as runit's do (odd combinations
// such as "timeout: " followed by a warning included). Write errors are
// ignored.

func (s *sv) outs(parts ...string) {
	for _, p := range parts {
		s.out = append(s.out, p...)
	}
}

func (s *sv) flush(p string) {
	s.outs(p)
	s.done = len(s.out)
	if s.done >= 4096 {
		s.write()
	}
}

// write writes the lines marked by flush.
func (s *sv) write() {
	b := s.out[:s.done]
	for len(b) > 0 {
		n, err := unix.Write(1, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			break
		}
		b = b[n:]
	}
	s.out = s.out[:copy(s.out, s.out[s.done:])]
	s.done = 0
}

// errLine writes one line to stderr, after the pending stdout lines.
func (s *sv) errLine(parts ...string) {
	s.write()
	msg.Err(parts...)
}

func (s *sv) who() {
	s.outs(s.cur)
	if s.islog {
		s.outs("/log")
	}
	s.outs(": ")
}

func (s *sv) fail(m string, err error) {
	s.rc++
	if s.json {
		s.jerr = m + ": " + errstr.Str(err)
		return
	}
	s.outs("fail: ")
	s.who()
	s.outs(m, ": ", errstr.Str(err))
	s.flush("\n")
}

func (s *sv) failx(m string) {
	s.rc++
	s.outs("fail: ")
	s.who()
	s.outs(m)
	s.flush("\n")
}

func (s *sv) warn(m string, err error) {
	s.rc++
	s.outs("warning: ")
	s.who()
	s.outs(m)
	if err != nil {
		s.outs(": ", errstr.Str(err))
	}
	s.flush("\n")
}

func (s *sv) ok(m string) {
	s.outs("ok: ")
	s.who()
	s.outs(m)
	s.flush("\n")
}

func (s *sv) fatal(m string, err error) {
	s.errLine("fatal: ", m, ": ", errstr.Str(err))
	if s.lsb {
		panic(exitNow(151))
	}
	panic(exitNow(100))
}

// statusGet checks that runsv runs and reads the status file into s.st:
// 1 on success, 0 if runsv is not running, -1 on errors (all reported).
func (s *sv) statusGet() int {
	err := supervise.Running("")
	if err == nil {
		// One read straight into the buffer, like runit: a longer file
		// is accepted, a short one leaves the buffer partly overwritten.
		err = supervise.ReadStatus("", s.st[:])
	}
	switch {
	case err == nil:
		return 1
	case supervise.NotRunning(err):
		s.notRunning(s.acts[0])
		return 0
	}
	s.warnOp(err)
	return -1
}

// notRunning reports a service without runsv: fine for exit (c), a
// failure otherwise.
func (s *sv) notRunning(c byte) {
	if c == supervise.CmdExit {
		s.ok("runsv not running")
	} else {
		s.failx("runsv not running")
	}
}

// warnOp reports a failed supervise call (an *supervise.OpError) with
// runit's message.
func (s *sv) warnOp(err error) {
	e, ok := err.(*supervise.OpError)
	switch {
	case !ok:
		s.warn(err.Error(), nil)
	case e.Err == supervise.ErrFormat:
		s.warn(e.Error(), nil)
	default:
		s.warn(e.What(), e.Err)
	}
}

func (s *sv) record() supervise.Record { return s.st.Record() }

// statusPrint appends the status line of the current directory's service
// under name (without newline): 1 if it has a process, 2 if not, 0 if the
// down file could not be checked (then nothing is printed).
func (s *sv) statusPrint(name string) int {
	normallyUp := false
	if err := sysio.RawStat(supervise.DownFile); err != nil {
		if err != unix.ENOENT {
			s.errLine("warning: unable to stat ", s.cur, "/"+supervise.DownFile+": ", errstr.Str(err))
			return 0
		}
		normallyUp = true
	}
	r := s.record()
	s.out = appendLine(s.out, name, r, s.tnow.Sec, !normallyUp)
	if r.PID != 0 {
		return 1
	}
	return 2
}

// status is the status command for the service in the current directory,
// followed by its log service. In LSB mode it ends sv with the init-script
// exit code.
func (s *sv) status() int {
	switch s.statusGet() {
	case -1:
		if s.lsb {
			panic(exitNow(4))
		}
		return 0
	case 0:
		return 0
	}
	rc := s.statusPrint(s.cur)
	if err := s.chdir(supervise.LogDir); err != nil {
		if err != unix.ENOENT {
			s.outs("; ")
			s.islog = true
			s.warn("unable to change directory", err)
		} else {
			s.outs("\n")
		}
	} else {
		s.outs("; ")
		s.islog = true
		// QUIRK kept: a log status that cannot be read (-1) still prints
		// a line, from the main service's status bytes.
		if s.statusGet() != 0 {
			rc = s.statusPrint("log")
			s.outs("\n")
		}
	}
	s.islog = false
	s.flush("")
	if s.lsb {
		s.write()
		switch rc {
		case 1:
			panic(exitNow(0))
		case 2:
			panic(exitNow(3))
		default:
			panic(exitNow(4))
		}
	}
	return rc
}

// control writes a to the control FIFO unless the service already wants
// what a asks for: 1 written, 0 skipped, -1 failed (reported).
func (s *sv) control(a string) int {
	if s.statusGet() <= 0 {
		return -1
	}
	if s.st.Want() == a[0] && (a[0] != supervise.CmdDown || s.st.TermIsOne()) {
		return 0
	}
	if err := supervise.Send("", a); err != nil {
		if supervise.NotRunning(err) {
			s.notRunning(a[0])
		} else {
			s.warnOp(err)
		}
		return -1
	}
	return 1
}

// line is supervise.Line with runit's rendering of pids of 2^31 and more:
// runit keeps the pid in an int and prints it as an unsigned long, so the
// value comes out sign-extended to 64 bits.
func line(name string, r supervise.Record, nowSec uint64, downFile bool) string {
	return string(appendLine(nil, name, r, nowSec, downFile))
}

// appendLine appends line's text to b; it allocates only to grow b.
func appendLine(b []byte, name string, r supervise.Record, nowSec uint64, downFile bool) []byte {
	if w := supervise.StateWord(r.State); w != "" {
		b = append(b, w...)
		b = append(b, ": "...)
	}
	b = append(b, name...)
	b = append(b, ": "...)
	if r.State != supervise.Down {
		b = append(b, "(pid "...)
		b = strconv.AppendUint(b, uint64(int64(int32(uint32(r.PID)))), 10)
		b = append(b, ") "...)
	}
	var secs uint64
	if nowSec > r.Since.Sec {
		secs = nowSec - r.Since.Sec
	}
	b = strconv.AppendUint(b, secs, 10)
	b = append(b, 's')
	switch {
	case r.PID != 0 && downFile:
		b = append(b, ", normally down"...)
	case r.PID == 0 && !downFile:
		b = append(b, ", normally up"...)
	}
	if r.PID != 0 && r.Paused {
		b = append(b, ", paused"...)
	}
	if r.PID == 0 && r.Want == supervise.WantUp {
		b = append(b, ", want up"...)
	}
	if r.PID != 0 && r.Want == supervise.WantDown {
		b = append(b, ", want down"...)
	}
	if r.PID != 0 && r.Term {
		b = append(b, ", got TERM"...)
	}
	return b
}
