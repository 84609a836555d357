package runsv

// Hosting many services in one process (process 1 under the built-in
// stage 2, or runsvdir with its one-process switch): Add, the services'
// tagged output, and the main service.

import (
	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
	"gorunit/reaper"
)

// MainServiceFile, in a hosted service directory, makes it the main
// service: when its ./run ends by itself (or after `sv down`, `sv once`,
// `sv exit`; not after the TERM of `sv term` or `sv restart`), it is not
// started again and the host's OnMainEnd learns its exit code (128+signal
// if it was killed): process 1 then shuts down and, in a container, exits
// with that code.
const MainServiceFile = "main-service"

// Add sets up the service directory at path (absolute; name is what
// messages call it, runsvdir's entry name). onGone is called when the
// service's supervision ends: after `sv exit` or Term, with 0, or after
// an internal error, with 111. A start-up error is reported as runit's
// runsv reports it and returned.
func (h *Host) Add(path, name string, onGone func(code int)) (*Runsv, error) {
	r := newRunsv(h, name)
	r.hosted, r.onGone = true, onGone
	r.wd = path + "/"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		r.fatalMsg("unable to change to directory: ", errstr.Str(err))
		return nil, errSetup{}
	}
	r.dfd = fd
	if err := r.setup(); err != nil {
		return nil, err
	}
	r.place()
	return r, nil
}

// Start starts what should run of a service Add set up. runsvdir sets up
// every new service of a scan first and then starts them: the start of
// each is a fork that waits for the child's exec (Go's vfork), and the
// children already started compete with the host for the processors.
func (r *Runsv) Start() {
	r.h.protect(r, func() { r.step(Event{Kind: EvBegin}) })
}

// Term is runsvdir's SIGTERM to the service's runsv: 'x' for the main
// service (the machine takes it down, then the log, then drops it).
func (r *Runsv) Term() { r.gotTerm = true }

// Dropped reports whether r is no longer hosted.
func (r *Runsv) Dropped() bool { return r.slot < 0 }

// hostedSetup opens what only a hosted service has: the output pipe of a
// service without log/ (when the host tags output) and the main-service
// mark.
func (r *Runsv) hostedSetup(haveLog bool) {
	r.mainSvc = r.exists(MainServiceFile)
	if haveLog || r.h.out == nil {
		return
	}
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		r.warn("unable to create output pipe, output not tagged: ", errstr.Str(err))
		return
	}
	unix.SetNonblock(p[0], true)
	r.tag.r, r.tag.w = p[0], p[1]
	if r.h.out.prefix {
		r.tag.prefix = r.dir + ": "
	}
}

// mainExited is called with the exit of a main service's ./run before the
// machine gets it.
func (r *Runsv) mainExited(e reaper.Exit) {
	svc := &r.st.Main
	if r.mainEnding || r.h.OnMainEnd == nil || (svc.Want == supervise.InternalWantUp && svc.Term) {
		return
	}
	r.mainEnding = true
	if svc.Want == supervise.InternalWantUp {
		// Not started again: as `sv down` before the exit is seen (the
		// machine signals no process already collected).
		r.step(Event{Kind: EvControl, Target: MainSvc, Byte: 'd'})
	}
	code := e.Code()
	if e.Signaled() {
		code = 128 + int(e.Status.Signal())
	}
	r.h.OnMainEnd(code)
}

// Output of hosted services without log/: each service writes into a pipe
// of its own (stdout and stderr); the host reads whole lines and writes
// them to its output (process 1's standard output: `docker logs`) as
// "NAME: line", never mixing two services' bytes within a line. A line
// longer than maxOutLine is cut there; an unfinished last line is ended
// with a newline when the service is dropped. When the output is a pipe
// nobody drains, the host stops reading the services' pipes (they block
// in write, nothing is lost) and waits for the output to drain.

const (
	maxOutLine = 4096
	maxOutPend = 64 << 10
	outRetry   = 1000 // ms, between attempts on an output that is not a pipe
)

type tagPipe struct {
	r, w   int
	prefix string
	part   []byte // an unfinished line
}

type output struct {
	h       *Host
	fd      int
	pollfd  bool // fd is a non-blocking pipe of our own, in epoll when blocked
	prefix  bool
	pend    []byte
	blocked bool
	rbuf    []byte
}

// TagOutput makes the host write its services' output to fd (a copy of
// its standard output), each line prefixed with the service's name unless
// prefix is false. Only services added afterwards are affected.
func (h *Host) TagOutput(fd int, prefix bool) {
	o := &output{h: h, fd: fd, prefix: prefix, rbuf: make([]byte, 4096)}
	// A pipe nobody reads must not stop the host: a non-blocking handle
	// of our own, in epoll (for EPOLLOUT) while the output is blocked.
	if nfd := sysio.NonblockingPipe(fd); nfd >= 0 {
		o.fd, o.pollfd = nfd, true
		ev := unix.EpollEvent{Events: 0, Fd: 0, Pad: kOut}
		unix.EpollCtl(h.ep, unix.EPOLL_CTL_ADD, nfd, &ev)
	}
	h.out = o
}

func (o *output) flushing() bool { return o.blocked && !o.pollfd }

// readTag moves what r's output pipe holds into the host's output.
func (r *Runsv) readTag() {
	o := r.h.out
	if o == nil || o.blocked {
		return
	}
	for i := 0; i < 4 && len(o.pend) < maxOutPend; i++ {
		n, err := unix.Read(r.tag.r, o.rbuf)
		if err == unix.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		r.tag.lines(o, o.rbuf[:n])
	}
	if len(o.pend) >= maxOutPend {
		o.block()
	}
}

// lines appends the complete lines of b (after what part holds) to o.
func (t *tagPipe) lines(o *output, b []byte) {
	for len(b) > 0 {
		nl := -1
		for i, c := range b {
			if c == '\n' {
				nl = i
				break
			}
		}
		if nl < 0 {
			if len(t.part)+len(b) <= maxOutLine {
				t.part = append(t.part, b...)
				return
			}
			// Too long for one line: cut it.
			take := maxOutLine - len(t.part)
			t.part = append(t.part, b[:take]...)
			t.emit(o)
			b = b[take:]
			continue
		}
		t.part = append(t.part, b[:nl]...)
		t.emit(o)
		b = b[nl+1:]
	}
}

func (t *tagPipe) emit(o *output) {
	o.pend = append(o.pend, t.prefix...)
	o.pend = append(o.pend, t.part...)
	o.pend = append(o.pend, '\n')
	t.part = t.part[:0]
}

// closeTag ends r's output: what is left in the pipe, and an unfinished
// line, go out.
func (r *Runsv) closeTag() {
	if r.tag.w >= 0 {
		unix.Close(r.tag.w)
		r.tag.w = -1
	}
	if r.tag.r < 0 {
		return
	}
	if o := r.h.out; o != nil {
		for {
			n, err := unix.Read(r.tag.r, o.rbuf)
			if err == unix.EINTR {
				continue
			}
			if n <= 0 {
				break
			}
			r.tag.lines(o, o.rbuf[:n])
		}
		if len(r.tag.part) > 0 {
			r.tag.emit(o)
		}
	}
	r.h.closeFd(&r.tag.r)
	r.tag.part = nil
}

// block stops reading the services' pipes until the output drains.
func (o *output) block() {
	if o.blocked {
		return
	}
	o.blocked = true
	o.setTags(false)
	if o.pollfd {
		ev := unix.EpollEvent{Events: unix.EPOLLOUT, Pad: kOut}
		unix.EpollCtl(o.h.ep, unix.EPOLL_CTL_MOD, o.fd, &ev)
	}
}

func (o *output) setTags(on bool) {
	for _, r := range o.h.svcs {
		if r != nil && r.tag.r >= 0 {
			o.h.mod(r.tag.r, r.slot, kTag, on)
		}
	}
}

// flush writes what is pending; it blocks the services' pipes while the
// output does not take everything.
func (o *output) flush() {
	for len(o.pend) > 0 {
		n, err := unix.Write(o.fd, o.pend)
		if err == unix.EINTR {
			continue
		}
		if n > 0 {
			o.pend = o.pend[:copy(o.pend, o.pend[n:])]
			continue
		}
		if err == unix.EAGAIN {
			o.block()
			return
		}
		// The output is gone (EPIPE, EIO): what cannot be written is
		// dropped rather than stop the services.
		o.pend = o.pend[:0]
	}
	if cap(o.pend) > maxOutPend*2 {
		o.pend = nil
	}
	if o.blocked {
		o.blocked = false
		o.setTags(true)
		if o.pollfd {
			ev := unix.EpollEvent{Pad: kOut}
			unix.EpollCtl(o.h.ep, unix.EPOLL_CTL_MOD, o.fd, &ev)
		}
	}
}
