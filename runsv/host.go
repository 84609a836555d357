package runsv

// The host: one loop that carries any number of service directories. The
// runsv process is a host with one service; process 1 under the built-in
// stage 2 (and runsvdir with its one-process switch) is a host with one per
// service directory found (see HostedOptions). Either way there is one
// goroutine, asleep in epoll_wait(2) when nothing happens, and per service
// only its descriptors (control and ok FIFOs, lock, pidfds, readiness and
// output pipes) and a few kB of state: no goroutine, no timer of the
// runtime, no thread.
//
// Child exits come from the reaper (the one owner of wait4 in the
// process), which may run its callbacks on another goroutine (process 1's
// main loop reaps orphans): the callbacks only post the exit to the
// host's inbox, under a lock, and wake the loop through a pipe. Everything
// else happens on the host's goroutine.

import (
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/msg"
	"gorunit/reaper"
)

// What an epoll event is about (epoll data: Fd = the service's slot,
// Pad = the kind; the Target is added to the per-target kinds).
const (
	kCtl   = 0  // +Target: control FIFO readable
	kReady = 2  // +Target: readiness pipe readable
	kPid   = 4  // +Target: the process's pidfd readable (it ended)
	kStale = 6  // +Target: a process 'k' left behind ended
	kTag   = 8  // the service's output pipe readable (hosted, no log/)
	kWake  = 9  // the host's wake pipe (Fd unused)
	kOut   = 10 // the tagged output became writable (Fd unused)
	kCg    = 11 // +Target: the cgroup's cgroup.events changed (cgroup.go)
	kWatch = 13 // and up: Watch's descriptors
)

type inMsg struct {
	r      *Runsv
	t      Target
	script bool // a control script's exit
	check  bool // a liveness check's exit (extra.go)
	e      reaper.Exit
}

// Host runs services in one loop.
type Host struct {
	R   *reaper.Reaper
	Env []string // the services' environment

	ep    int
	wake  [2]int
	svcs  []*Runsv // by slot; nil: free
	live  int
	watch []func()

	mu    sync.Mutex
	inbox []inMsg
	spare []inMsg

	needReap bool
	evs      [32]unix.EpollEvent
	acts     []Action
	statText [36]string
	buf      [readyRead]byte

	out *output // hosted services' tagged output, nil in the runsv process

	// OnMainEnd, if set, is called (on the host's goroutine) when the
	// main service of a hosted tree ends for good, with its exit code
	// (128+signal if it was killed). See mainEnded.
	OnMainEnd func(code int)
}

// NewHost makes an empty host whose children are started through r.
func NewHost(r *reaper.Reaper, env []string) (*Host, error) {
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	h := &Host{R: r, Env: env, ep: ep, acts: make([]Action, 0, 32)}
	if err := unix.Pipe2(h.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		unix.Close(ep)
		return nil, err
	}
	h.add(h.wake[0], 0, kWake)
	return h, nil
}

// Fd is the host's epoll descriptor: readable when Dispatch has work, for
// a caller that polls it with descriptors of its own.
func (h *Host) Fd() int { return h.ep }

// Len is the number of services hosted.
func (h *Host) Len() int { return h.live }

// Watch calls fn from Dispatch whenever fd is readable.
func (h *Host) Watch(fd int, fn func()) {
	h.watch = append(h.watch, fn)
	h.add(fd, 0, kWatch+len(h.watch)-1)
}

func (h *Host) add(fd, slot, kind int) {
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(slot), Pad: int32(kind)}
	unix.EpollCtl(h.ep, unix.EPOLL_CTL_ADD, fd, &ev)
}

// mod turns the events of a registered fd on or off.
func (h *Host) mod(fd, slot, kind int, on bool) {
	ev := unix.EpollEvent{Fd: int32(slot), Pad: int32(kind)}
	if on {
		ev.Events = unix.EPOLLIN
	}
	unix.EpollCtl(h.ep, unix.EPOLL_CTL_MOD, fd, &ev)
}

// closeFd unregisters fd and closes it; *fd becomes -1.
func (h *Host) closeFd(fd *int) {
	if *fd >= 0 {
		unix.EpollCtl(h.ep, unix.EPOLL_CTL_DEL, *fd, nil)
		unix.Close(*fd)
		*fd = -1
	}
}

// post hands a child's exit to the loop; it may run on any goroutine.
func (h *Host) post(m inMsg) {
	h.mu.Lock()
	h.inbox = append(h.inbox, m)
	h.mu.Unlock()
	unix.Write(h.wake[1], []byte{0})
}

// Timeout is how long (ms, -1: for ever) Dispatch may sleep.
func (h *Host) Timeout() int {
	h.mu.Lock()
	n := len(h.inbox)
	h.mu.Unlock()
	if n > 0 || h.needReap {
		return 0
	}
	now := time.Now()
	timeout := -1
	for _, r := range h.svcs {
		if r == nil || r.script != 0 {
			continue
		}
		if r.busy() {
			return 0
		}
		for t := range r.timers {
			for _, at := range r.timers[t] {
				timeout = deadlineTimeout(at, now, timeout)
			}
		}
		timeout = r.cgroupTimeout(now, timeout) // a cgroup kill under way (cgroup.go)
	}
	if h.out != nil && h.out.flushing() && (timeout < 0 || timeout > outRetry) {
		timeout = outRetry
	}
	return timeout
}

// Dispatch waits up to timeout ms (0: not at all) for events, then does
// one pass over every service.
func (h *Host) Dispatch(timeout int) {
	n, err := unix.EpollWait(h.ep, h.evs[:], timeout)
	if err != nil && err != unix.EINTR {
		// Cannot happen with a valid epoll descriptor; do not spin.
		time.Sleep(time.Second)
	}
	for _, ev := range h.evs[:max(n, 0)] {
		slot, kind := int(ev.Fd), int(ev.Pad)
		switch {
		case kind == kWake:
			var b [64]byte
			for {
				if n, _ := unix.Read(h.wake[0], b[:]); n < len(b) {
					break
				}
			}
		case kind == kOut:
			h.out.flush()
		case kind >= kWatch:
			h.watch[kind-kWatch]()
		case slot < len(h.svcs) && h.svcs[slot] != nil:
			h.svcs[slot].event(kind)
		}
	}
	if h.needReap {
		h.needReap = false
		h.R.Reap()
	}
	h.drainInbox()
	for _, r := range h.svcs {
		if r != nil {
			h.protect(r, r.pass)
		}
	}
	if h.out != nil {
		h.out.flush()
	}
}

func (h *Host) drainInbox() {
	h.mu.Lock()
	in := h.inbox
	h.inbox = h.spare[:0]
	h.mu.Unlock()
	for i := range in {
		m := &in[i]
		if m.r.slot >= 0 && h.svcs[m.r.slot] == m.r {
			if m.script {
				m.r.scriptEnded(m.e)
			} else if m.check {
				m.r.checkExited(m.t, m.e)
			} else {
				m.r.collected(m.t, m.e)
			}
		}
		in[i] = inMsg{}
	}
	h.mu.Lock()
	h.spare = in[:0]
	h.mu.Unlock()
}

// protect runs f for r; a panic (a bug) is reported and drops the service
// only: its processes are killed and its descriptors closed, and whoever
// added it learns it is gone (runsvdir's scan starts it again, as it
// starts a runsv that died).
func (h *Host) protect(r *Runsv, f func()) {
	defer func() {
		if p := recover(); p != nil {
			msg.Err("runsv ", r.dir, ": fatal: internal error, service dropped\n")
			for t := MainSvc; t <= LogSvc; t++ {
				if pid := r.st.Svc(t).Pid; pid > 0 {
					r.signal(pid, unix.SIGKILL)
				}
			}
			r.exitCode = 111
			h.drop(r)
		}
	}()
	f()
}

// place gives r a slot.
func (h *Host) place(r *Runsv) {
	for i, s := range h.svcs {
		if s == nil {
			r.slot = i
			h.svcs[i] = r
			h.live++
			return
		}
	}
	r.slot = len(h.svcs)
	h.svcs = append(h.svcs, r)
	h.live++
}

// drop forgets r once its machine has exited (or failed): every
// descriptor it holds is closed.
func (h *Host) drop(r *Runsv) {
	if r.slot < 0 {
		return
	}
	for t := MainSvc; t <= LogSvc; t++ {
		s := &r.io[t]
		h.closeFd(&s.ctlR)
		h.closeFd(&s.readyR)
		h.closeFd(&s.pidfd)
		h.closeFd(&s.stalefd)
	}
	r.cgroupRelease() // cgroup.go
	r.release()       // the rest, as after a failed set-up
	h.svcs[r.slot] = nil
	r.slot = -1
	h.live--
	if r.onGone != nil {
		r.onGone(r.exitCode)
	}
}
