// Package reaper is the single owner of wait4 in a process.
//
// Every child is started through Start, which registers the pid and the
// function to call when it exits before any exit can be collected (the
// fork and the registration happen under the same lock that Reap holds
// around each wait4). Reap collects every exited child with
// wait4(-1, WNOHANG) and routes each exit by pid; exits of pids nobody
// registered (orphans re-parented to a subreaper or to process 1, or
// children whose start failed) are collected and dropped. Nothing else in a process
// that uses this package may call wait4, and os/exec's Cmd.Wait must not be
// used.
package reaper

import (
	"sync"

	"golang.org/x/sys/unix"
)

// Exit is one collected child.
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Code is the exit code (wstatus >> 8), 0 if the child was killed.
func (e Exit) Code() int { return int(e.Status>>8) & 0xff }

// Signaled reports whether the child was killed by a signal.
func (e Exit) Signaled() bool { return e.Status.Signaled() }

// Low is wstatus & 0xff: 0 after a normal exit, else the signal number
// plus 128 if a core was dumped.
func (e Exit) Low() int { return int(e.Status & 0xff) }

// Reaper routes child exits to the code that started the children.
type Reaper struct {
	mu sync.Mutex
	// The owners of the children: the first few inline (a runsv has at
	// most three children, and a map of its own would be a size class
	// and a span of its own, ~8 kB of its memory), the rest in a map.
	few     [4]owner
	owners  map[int]func(Exit)
	waiting map[int]*Exit // pids a WaitFor waits for: the exit, if Reap collected it
}

type owner struct {
	pid int // 0: free
	fn  func(Exit)
}

// New returns an empty reaper.
func New() *Reaper { return &Reaper{} }

// setOwner records fn as pid's owner (under r.mu).
func (r *Reaper) setOwner(pid int, fn func(Exit)) {
	for i := range r.few {
		if o := &r.few[i]; o.pid == 0 || o.pid == pid {
			o.pid, o.fn = pid, fn
			return
		}
	}
	if r.owners == nil {
		r.owners = make(map[int]func(Exit))
	}
	r.owners[pid] = fn
}

// takeOwner removes pid's owner and returns it, nil if it has none (under
// r.mu).
func (r *Reaper) takeOwner(pid int) func(Exit) {
	for i := range r.few {
		if o := &r.few[i]; o.pid == pid {
			fn := o.fn
			*o = owner{}
			return fn
		}
	}
	fn := r.owners[pid]
	delete(r.owners, pid)
	return fn
}

// Start calls start (which forks a child and returns its pid) and, if it
// succeeds, registers onExit for that pid, all under the reaper's lock, so
// that a concurrent Reap cannot collect the child before it is registered.
// onExit may be nil: the exit is then kept for WaitFor, which must be
// called for pid.
func (r *Reaper) Start(start func() (int, error), onExit func(Exit)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := start()
	if err != nil {
		return pid, err
	}
	if onExit == nil {
		// Its exit is kept for WaitFor, even if another goroutine
		// collects it before WaitFor is called.
		if r.waiting == nil {
			r.waiting = make(map[int]*Exit)
		}
		r.waiting[pid] = nil
		onExit = func(Exit) {}
	}
	r.setOwner(pid, onExit)
	return pid, nil
}

// Reap collects every child that has exited, without blocking, and routes
// each exit. It returns the number of children collected.
func (r *Reaper) Reap() int {
	n := 0
	for {
		e, owner, ok := r.wait(unix.WNOHANG)
		if !ok {
			return n
		}
		n++
		r.deliver(e, owner)
	}
}

// WaitFor blocks until pid exits and returns its exit; pid must have been
// started with Start. It waits for that pid only, without holding the
// reaper's lock, so that other goroutines of the process (process 1's
// hosted services) go on starting and reaping children meanwhile; if one
// of them collects pid first, its exit is handed over here instead of to
// pid's owner. If pid is no child, it returns ok == false.
func (r *Reaper) WaitFor(pid int) (Exit, bool) {
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = make(map[int]*Exit)
	}
	if e := r.waiting[pid]; e != nil {
		delete(r.waiting, pid)
		r.mu.Unlock()
		return *e, true
	}
	r.waiting[pid] = nil
	r.mu.Unlock()
	var ws unix.WaitStatus
	for {
		got, err := unix.Wait4(pid, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		r.mu.Lock()
		defer r.mu.Unlock()
		stolen := r.waiting[pid]
		delete(r.waiting, pid)
		if err == nil && got == pid {
			r.takeOwner(pid)
			return Exit{Pid: pid, Status: ws}, true
		}
		if stolen != nil {
			return *stolen, true
		}
		return Exit{}, false
	}
}

func (r *Reaper) wait(flags int) (Exit, func(Exit), bool) {
	var ws unix.WaitStatus
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		pid, err := unix.Wait4(-1, &ws, flags, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return Exit{}, nil, false
		}
		e := Exit{Pid: pid, Status: ws}
		owner := r.takeOwner(pid)
		if _, ok := r.waiting[pid]; ok {
			// A WaitFor in another goroutine waits for it: hand it over.
			r.waiting[pid] = &e
			return e, nil, true
		}
		return e, owner, true
	}
}

// deliver routes e to its owner; an orphan's exit is dropped.
func (r *Reaper) deliver(e Exit, owner func(Exit)) {
	if owner != nil {
		owner(e)
	}
}
