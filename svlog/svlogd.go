package svlog

import (
	"runtime/debug"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/lean"
	"gorunit/internal/msg"
	"gorunit/internal/scan"
	"gorunit/internal/sgetopt"
	"gorunit/internal/sigact"
	"gorunit/internal/sigpipe"
	"gorunit/reaper"
)

const (
	synopsis = " [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ..."
	version  = "$Id: 5e55a90e0a1b35ec47fed3021453c50675ea1117 $"

	// readBufSize bounds one read of standard input (a batch).
	readBufSize = 16 << 10
)

// Signals, as bits of sigpipe.Drain's mask.
var (
	sigTERM = sigact.Bit(syscall.SIGTERM)
	sigALRM = sigact.Bit(syscall.SIGALRM)
	sigHUP  = sigact.Bit(syscall.SIGHUP)
	sigCHLD = sigact.Bit(syscall.SIGCHLD)
)

type svlogd struct {
	verbose  bool
	stamp    int  // StampNone ...
	linemax  int  // -l
	repl     bool // -r or -R given
	replChar byte
	replTab  [256]bool
	dirs     []*logdir
	reaper   *reaper.Reaper

	split *Splitter
	rbuf  []byte
	now   []byte // stamp of the latest read
	pend  []byte // stamp of the pending incomplete line
	ebuf  []byte // stderr copy of a line

	sigrd int // signals (internal/sigpipe), read end

	// first is the first log directory, inside this struct: one
	// allocation of a size class (896) that the runtime uses already,
	// instead of two of their own (448 and 384), each a page of heap and
	// a page of its span's pointer bitmap.
	first logdir
}

// Main runs svlogd with args (args[0] is the program name) and returns
// its exit code.
func Main(args []string) int {
	prog := "svlogd"
	if len(args) > 0 {
		prog = args[0]
	}
	s := &svlogd{linemax: 1000}
	buflen := 1024
	replGiven, extraGiven := false, ""
	p := sgetopt.New("svlogd", args[1:], "R:r:l:b:tvV")
	for {
		o, a := p.Next()
		if o == 0 {
			break
		}
		switch o {
		case 'R':
			extraGiven = a
			s.repl = true
		case 'r':
			if len(a) != 1 {
				msg.Usage(111, prog, synopsis)
			}
			s.replChar, replGiven, s.repl = a[0], true, true
		case 'l':
			s.linemax = int(scan.Value(a))
			if s.linemax == 0 {
				s.linemax = 1000
			}
		case 'b':
			buflen = int(scan.Value(a))
			if buflen == 0 {
				buflen = 1024
			}
		case 't':
			if s.stamp < StampISO {
				s.stamp++
			}
		case 'v':
			s.verbose = true
		case 'V':
			msg.Err(version)
			msg.Usage(111, prog, synopsis)
		default:
			msg.Usage(111, prog, synopsis)
		}
	}
	dirs := p.Rest()
	if len(dirs) == 0 || buflen <= s.linemax || s.linemax < 0 {
		msg.Usage(111, prog, synopsis)
	}
	// A huge -l grows the line buffers as lines need it: keep the soft
	// memory limit of internal/lean (if any) well above what they can
	// take, so that the collector is not run again and again.
	if need := int64(lean.MemoryLimit) + 4*int64(s.linemax)*int64(1+len(dirs)); debug.SetMemoryLimit(-1) < need {
		debug.SetMemoryLimit(need)
	}
	if s.repl {
		if !replGiven {
			s.replChar = '_'
		}
		for c := 0; c < 256; c++ {
			s.replTab[c] = c < 32 || c > 126
		}
		for i := 0; i < len(extraGiven); i++ {
			s.replTab[extraGiven[i]] = true
		}
	}
	return s.run(dirs)
}

func (s *svlogd) info(m string) {
	if s.verbose {
		msg.Err("svlogd: info: ", m)
	}
}

func (s *svlogd) run(names []string) int {
	s.reaper = reaper.New()
	s.split = NewSplitter(s.linemax)
	s.rbuf = make([]byte, readBufSize)
	s.now = make([]byte, 0, StampLen)
	s.pend = make([]byte, 0, StampLen)

	// The signals come as bytes on a pipe polled with standard input
	// (internal/sigpipe): no os/signal and its two threads.
	fd, err := sigpipe.Open(syscall.SIGTERM, syscall.SIGALRM, syscall.SIGHUP, syscall.SIGCHLD)
	if err != nil {
		msg.Die(111, "svlogd: fatal: unable to create pipe: ", errstr.Str(err))
	}
	s.sigrd = fd
	// Every other signal does what it does to runit's svlogd, but for
	// SIGPIPE: a write to a processor or stderr nobody reads fails with
	// EPIPE and svlogd goes on.
	sigact.Daemon(syscall.SIGTERM, syscall.SIGALRM, syscall.SIGHUP, syscall.SIGCHLD, syscall.SIGPIPE)

	if fl, err := unix.FcntlInt(0, unix.F_GETFL, 0); err == nil {
		unix.FcntlInt(0, unix.F_SETFL, fl|unix.O_NONBLOCK)
	}

	for _, n := range names {
		d := &s.first
		if len(s.dirs) > 0 {
			d = new(logdir)
		}
		*d = logdir{sv: s, name: n, dirfd: -1, lock: -1, cur: -1, udpfd: -1}
		d.proc.dirfd = -1
		s.dirs = append(s.dirs, d)
	}
	s.openAll()

	eof := false
	term := false
	fds := []unix.PollFd{{Fd: 0, Events: unix.POLLIN}, {Fd: int32(s.sigrd), Events: unix.POLLIN}}
	for !eof && !term {
		timeout := s.timers()
		fds[0].Revents, fds[1].Revents = 0, 0
		_, err := unix.Poll(fds, timeout)
		if err != nil && err != unix.EINTR {
			msg.Err("svlogd: warning: unable to wait for input: ", errstr.Str(err))
			time.Sleep(time.Second)
			continue
		}
		if fds[1].Revents != 0 {
			term = s.handleSignals()
			if term {
				break
			}
		}
		if fds[0].Revents != 0 {
			eof = s.readInput()
		}
	}
	if term {
		s.completeLine()
	}
	if n := s.split.Finish(s); n > 0 && term {
		msg.Err("svlogd: warning: dropping incomplete last line: ", msg.Itoa(int64(n)), " bytes")
	}
	s.flushAll()
	for _, d := range s.dirs {
		d.proc.wait(d)
	}
	for _, d := range s.dirs {
		d.close()
	}
	return 0
}

// openAll opens every directory; svlogd cannot go on without one.
func (s *svlogd) openAll() {
	n := 0
	for _, d := range s.dirs {
		if d.open() {
			n++
		}
	}
	if n == 0 {
		msg.Die(111, "svlogd: fatal: no functional log directories.")
	}
}

func (s *svlogd) flushAll() {
	for _, d := range s.dirs {
		if d.ok {
			d.flush()
		}
	}
}

// handleSignals acts on the signals received; it reports SIGTERM.
func (s *svlogd) handleSignals() bool {
	got := sigpipe.Drain(s.sigrd)
	if got&sigCHLD != 0 {
		s.info("sigchild received.")
		s.reaper.Reap()
	}
	if got&sigHUP != 0 {
		s.info("sighangup received.")
		for _, d := range s.dirs {
			d.close()
		}
		s.openAll()
	}
	if got&sigALRM != 0 {
		s.info("sigalarm received.")
		for _, d := range s.dirs {
			if d.ok && d.size > 0 {
				d.rotate()
			}
		}
	}
	if got&sigTERM != 0 {
		s.info("sigterm received.")
		return true
	}
	return false
}

// timers rotates directories whose `t` time has come and restarts failed
// processors that are due; it returns the poll timeout in milliseconds
// until the next of those events (-1: none).
func (s *svlogd) timers() int {
	var next int64
	var now int64
	for _, d := range s.dirs {
		if d.proc.pending() && d.proc.pid == 0 {
			if now == 0 {
				now = time.Now().UnixNano()
			}
			if t := d.proc.due(d, now); t != 0 && (next == 0 || t < next) {
				next = t
			}
		}
		if !d.ok || d.cfg.TMax == 0 {
			continue
		}
		if now == 0 {
			now = time.Now().UnixNano()
		}
		if now >= d.trotate {
			if d.size > 0 {
				d.rotate()
			}
			now = time.Now().UnixNano()
			d.trotate = now + int64(d.cfg.TMax)*1e9
		}
		if next == 0 || d.trotate < next {
			next = d.trotate
		}
	}
	if next == 0 {
		return -1
	}
	ms := (next - now + 999999) / 1e6
	if ms < 1 {
		ms = 1
	}
	if ms > 1<<30 {
		ms = 1 << 30
	}
	return int(ms)
}

// readInput reads what standard input holds and handles every line in
// it; it reports the end of the input.
func (s *svlogd) readInput() bool {
	n, err := unix.Read(0, s.rbuf)
	if n > 0 {
		s.takeStamp()
		s.split.Feed(s.rbuf[:n], s)
		if s.split.Fresh() {
			s.pend = append(s.pend[:0], s.now...)
		}
		s.flushAll()
		return false
	}
	if err == unix.EAGAIN || err == unix.EINTR {
		return false
	}
	if err != nil {
		msg.Err("svlogd: warning: unable to read standard input: ", errstr.Str(err))
	}
	return true
}

// termGrace bounds how long svlogd, on SIGTERM, waits for the rest of a
// line in progress (runit's svlogd waits for it without a bound).
const termGrace = time.Second

// completeLine, on SIGTERM, reads the rest of a line in progress byte by
// byte, waiting up to termGrace for bytes not yet written, so that the
// line is kept without consuming anything that follows it. (Giving up at
// the first empty read cut lines in two when the writer's write of the
// rest came a moment later: the next svlogd then logged the tail as a
// line of its own; see reliability.TestLogRestartsTERM.)
func (s *svlogd) completeLine() {
	var one [1]byte
	deadline := time.Now().Add(termGrace)
	for {
		if partial, _ := s.split.Partial(); !partial && !s.split.InTail() {
			break
		}
		n, err := unix.Read(0, one[:])
		if n == 1 {
			s.split.Feed(one[:], s)
			continue
		}
		left := time.Until(deadline)
		if (err != unix.EAGAIN && err != unix.EINTR) || left <= 0 {
			break // end of input, an error, or no more patience
		}
		fds := [1]unix.PollFd{{Fd: 0, Events: unix.POLLIN}}
		unix.Poll(fds[:], int(left/time.Millisecond)+1)
	}
}

func (s *svlogd) takeStamp() {
	if s.stamp == StampNone {
		return
	}
	var ts unix.Timeval
	unix.Gettimeofday(&ts)
	s.now = AppendStamp(s.now[:0], s.stamp, ts.Sec, int64(ts.Usec))
}

// Line implements Sink: a complete line shorter than -l.
func (s *svlogd) Line(b []byte, carried bool) { s.line(b, carried, false) }

// Head implements Sink: the first -l bytes of a longer line.
func (s *svlogd) Head(b []byte, carried bool) { s.line(b, carried, true) }

func (s *svlogd) line(b []byte, carried, long bool) {
	if s.repl {
		for i, c := range b {
			if s.replTab[c] {
				b[i] = s.replChar
			}
		}
	}
	st := s.now
	if carried {
		st = s.pend
	}
	for _, d := range s.dirs {
		d.tailSel = false
		if !d.ok {
			continue
		}
		cfg := &d.cfg
		sel, toErr := true, false
		if cfg.SelPats || cfg.ErrPats {
			sel, toErr = cfg.selectLine(b)
		}
		if toErr {
			e := append(s.ebuf[:0], st...)
			e = append(e, cfg.Prefix...)
			e = append(e, b...)
			if long {
				e = append(e, "..."...)
			}
			s.ebuf = append(e, '\n')
			writeFull(2, s.ebuf)
		}
		if !sel {
			continue
		}
		if cfg.UDP {
			d.sendUDP(st, b, long)
		}
		if cfg.UDPOnly {
			continue
		}
		if long {
			d.put(st)
			d.put(cfg.Prefix)
			d.put(b)
			d.tailSel = true
			continue
		}
		total := uint64(len(st) + len(cfg.Prefix) + len(b) + 1)
		if (cfg.SizeMax == 0 || d.size+total <= cfg.SizeMax) && len(d.buf)+int(total) <= cap(d.buf) {
			d.buf = append(d.buf, st...)
			d.buf = append(d.buf, cfg.Prefix...)
			d.buf = append(d.buf, b...)
			d.buf = append(d.buf, '\n')
			d.size += total
		} else {
			d.put(st)
			d.put(cfg.Prefix)
			d.put(b)
			d.put(newline)
		}
		d.lineEnd()
	}
}

var newline = []byte{'\n'}

// Tail implements Sink: more of a long line, for the directories that
// took its head.
func (s *svlogd) Tail(b []byte, end bool) {
	for _, d := range s.dirs {
		if !d.tailSel || !d.ok {
			continue
		}
		d.put(b)
		if end {
			d.tailSel = false
			d.lineEnd()
		}
	}
}

// selectLine applies the patterns to a line's first -l bytes: the last
// matching + or - decides whether it goes to the directory (initially
// yes), the last matching e or E whether it goes to stderr (initially
// no).
func (c *Config) selectLine(b []byte) (sel, toErr bool) {
	sel = true
	doneSel, doneErr := !c.SelPats, !c.ErrPats
	for i := len(c.Patterns) - 1; i >= 0 && !(doneSel && doneErr); i-- {
		p := &c.Patterns[i]
		switch p.Kind {
		case '+', '-':
			if !doneSel && Match(p.Pat, b) {
				sel, doneSel = p.Kind == '+', true
			}
		default:
			if !doneErr && Match(p.Pat, b) {
				toErr, doneErr = p.Kind == 'e', true
			}
		}
	}
	return sel, toErr
}

func writeFull(fd int, b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if n > 0 {
			b = b[n:]
			continue
		}
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			unix.Poll(pfd, -1)
			continue
		}
		return
	}
}
