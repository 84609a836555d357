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
	mu     sync.Mutex
	owners map[int]func(Exit)
}

// New returns an empty reaper.
func New() *Reaper { return &Reaper{owners: make(map[int]func(Exit))} }

// Start calls start (which forks a child and returns its pid) and, if it
// succeeds, registers onExit for that pid, all under the reaper's lock, so
// that a concurrent Reap cannot collect the child before it is registered.
// onExit may be nil: the exit is then collected and dropped.
func (r *Reaper) Start(start func() (int, error), onExit func(Exit)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := start()
	if err != nil {
		return pid, err
	}
	if onExit == nil {
		onExit = func(Exit) {}
	}
	r.owners[pid] = onExit
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

// WaitFor blocks until pid exits and returns its exit, routing the exits
// of any other children it collects meanwhile. It is meant for processes
// whose children are collected by one thread of control (runsv waiting for
// a control/<c> script, for example); pid must have been started with
// Start. If no child is left, it returns ok == false.
func (r *Reaper) WaitFor(pid int) (Exit, bool) {
	for {
		e, owner, ok := r.wait(0)
		if !ok {
			return Exit{}, false
		}
		if e.Pid == pid {
			return e, true
		}
		r.deliver(e, owner)
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
		owner := r.owners[pid]
		delete(r.owners, pid)
		return Exit{Pid: pid, Status: ws}, owner, true
	}
}

// deliver routes e to its owner; an orphan's exit is dropped.
func (r *Reaper) deliver(e Exit, owner func(Exit)) {
	if owner != nil {
		owner(e)
	}
}
