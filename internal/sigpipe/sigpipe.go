// Package sigpipe turns signals into bytes on a pipe without os/signal,
// so that a daemon waits for its input and its signals in one poll and
// runs on the Go runtime's floor of three threads.
//
// os/signal costs two threads of their own: the goroutine that takes
// signals from the runtime sleeps in a blocking futex wait on an OS thread,
// and the runtime pins one more thread (ensureSigM) to keep the notified
// signals unblocked. Blocking the signals and reading a signalfd does not
// work in Go: the runtime unblocks SIGHUP, SIGINT, SIGTERM and SIGCHLD on
// every thread it starts, sysmon included, so a blocked signal still
// reaches a thread with Go's handler, which ends the process.
//
// Open instead installs, with rt_sigaction, a handler of a few
// instructions (assembly, amd64) that writes the signal's number as one
// byte to a non-blocking pipe: it runs on whatever thread the kernel
// picks, on that thread's signal stack (SA_ONSTACK: the runtime gives every
// thread one), touches nothing of the runtime and is async-signal-safe.
// The main loop polls the pipe's read end with its other descriptors and
// Drain tells which signals came. Children started with syscall.ForkExec
// get the kernel's default action for these signals, as the runtime resets
// its handled signals between fork and exec, and execve resets handlers.
//
// On other architectures Open falls back to os/signal and a goroutine
// that writes the same bytes (the same interface, more threads).
package sigpipe

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// Open creates the pipe (both ends close-on-exec and non-blocking), routes
// sigs to it and returns the read end. It is called once per process.
func Open(sigs ...syscall.Signal) (int, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		return -1, err
	}
	Route(p[1], sigs...)
	return p[0], nil
}

// Route sends sigs to the write end w of a non-blocking pipe the caller
// made, one byte (the signal's number) for each delivery, in order. It is
// called once per process (one pipe for all the routed signals).
func Route(w int, sigs ...syscall.Signal) { install(w, sigs) }

// Drain reads every byte waiting on the read end fd and returns the
// signals delivered since the last Drain, as a mask (bit s-1 for signal s,
// as sigact.Bit): from the bytes and from the bits the handler also sets,
// so that none is lost even if the pipe was full.
func Drain(fd int) uint64 {
	var b [64]byte
	for {
		n, err := unix.Read(fd, b[:])
		if err == unix.EINTR {
			continue
		}
		if n < len(b) {
			return takePending()
		}
	}
}

// Pending returns and clears the mask of the signals delivered since the
// last call (or Drain), for a caller that reads the bytes itself (in
// order) and wants those a full pipe dropped too.
func Pending() uint64 { return takePending() }
