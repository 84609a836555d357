// Package daemontools is daemontools' svok, svc and svstat over runit's
// supervise/ protocol, for people who come from daemontools: runit's
// ok and control FIFOs and status file in supervise/ are daemontools'
// (the status record has two more bytes, which these tools ignore).
//
// Messages, output and exit codes are daemontools 0.76's:
//
//	svok dir          exit 0 if a supervisor (runsv) runs for dir, 100 if
//	                  not, 111 if dir cannot be entered
//	svc -udopchaitkx dir ...
//	                  sends the option letters (each once, in the order
//	                  first given) to each dir's control FIFO; failures
//	                  are warnings, the exit code is 0
//	svstat dir ...    one line per dir on stdout:
//	                  dir: up (pid N) S seconds[, normally down][, paused][, want down]
//	                  dir: down S seconds[, normally up][, want up]
//	                  dir: supervise not running
package daemontools

import (
	"errors"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/sgetopt"
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
)

const openFlags = unix.O_NONBLOCK | unix.O_CLOEXEC

// Svok is svok(8): argv[1] is the service directory.
func Svok(argv []string) int {
	if len(argv) < 2 {
		msg.Err("svok: usage: svok dir")
		return 100
	}
	dir := argv[1]
	if err := unix.Chdir(dir); err != nil {
		msg.Err("svok: fatal: unable to chdir to ", dir, ": ", errstr.Str(err))
		return 111
	}
	if err := supervise.Running(""); err != nil {
		if supervise.NotRunning(err) || errors.Is(err, unix.ENOENT) {
			return 100
		}
		msg.Err("svok: fatal: unable to open ", supervise.Path(dir, supervise.OKPath), ": ", errstr.Str(err))
		return 111
	}
	return 0
}

const svcUsage = "svc options: u up, d down, o once, x exit, p pause, c continue, h hup, a alarm, i interrupt, t term, k kill"

// SvcCommands parses svc's arguments: the bytes to send (each letter
// once, in the order first given) and the directories; ok false for a
// bad option (reported on stderr unless quiet).
func SvcCommands(args []string, quiet bool) (data string, dirs []string, ok bool) {
	p := sgetopt.New("svc", args, supervise.SvcOptions)
	p.Quiet = quiet
	var b []byte
	for {
		o, _ := p.Next()
		if o == 0 {
			break
		}
		if o == sgetopt.Bad {
			return "", nil, false
		}
		seen := false
		for _, c := range b {
			seen = seen || c == o
		}
		if c, ok := supervise.BySvcLetter(o); ok && !seen {
			b = append(b, c.Byte)
		}
	}
	return string(b), p.Rest(), true
}

// Svc is svc(8).
func Svc(argv []string) int {
	var args []string
	if len(argv) > 0 {
		args = argv[1:]
	}
	data, dirs, ok := SvcCommands(args, false)
	if !ok {
		msg.Err(svcUsage)
		return 100
	}
	orig, err := unix.Open(".", unix.O_RDONLY|openFlags, 0)
	if err != nil {
		msg.Err("svc: fatal: unable to open current directory: ", errstr.Str(err))
		return 111
	}
	for _, dir := range dirs {
		svcOne(dir, data)
		if err := unix.Fchdir(orig); err != nil {
			msg.Err("svc: fatal: unable to set directory: ", errstr.Str(err))
			return 111
		}
	}
	return 0
}

func svcOne(dir, data string) {
	if err := unix.Chdir(dir); err != nil {
		msg.Err("svc: warning: unable to chdir to ", dir, ": ", errstr.Str(err))
		return
	}
	err := supervise.SendAll("", data)
	var e *supervise.OpError
	switch {
	case err == nil:
	case supervise.NotRunning(err):
		msg.Err("svc: warning: unable to control ", dir, ": supervise not running")
	case errors.As(err, &e) && e.Op == "open":
		msg.Err("svc: warning: unable to control ", dir, ": ", errstr.Str(e.Err))
	case errors.As(err, &e):
		msg.Err("svc: warning: error writing commands to ", dir, ": ", errstr.Str(e.Err))
	}
}

// Svstat is svstat(8).
func Svstat(argv []string) int {
	orig, err := unix.Open(".", unix.O_RDONLY|openFlags, 0)
	if err != nil {
		msg.Err("svstat: fatal: unable to open current directory: ", errstr.Str(err))
		return 111
	}
	for _, dir := range argv[min(1, len(argv)):] {
		msg.Out(dir, ": ", svstatOne(dir))
		if err := unix.Fchdir(orig); err != nil {
			msg.Err("svstat: fatal: unable to set directory: ", errstr.Str(err))
			return 111
		}
	}
	return 0
}

// svstatOne enters dir and returns its status text.
func svstatOne(dir string) string {
	if err := unix.Chdir(dir); err != nil {
		return "unable to chdir: " + errstr.Str(err)
	}
	normallyUp := false
	if err := sysio.RawStat(supervise.DownFile); err != nil {
		if err != unix.ENOENT {
			return "unable to stat " + supervise.DownFile + ": " + errstr.Str(err)
		}
		normallyUp = true
	}
	if err := supervise.Running(""); err != nil {
		if supervise.NotRunning(err) {
			return "supervise not running"
		}
		return err.Error()
	}
	var buf [supervise.DaemontoolsSize]byte
	if err := supervise.ReadStatus("", buf[:]); err != nil {
		return err.Error()
	}
	return StatText(buf[:], tai64.Now().Sec, normallyUp)
}

// StatText renders svstat's text for the first 18 bytes of a status
// record (daemontools' layout), at TAI64 second now.
func StatText(b []byte, now uint64, normallyUp bool) string {
	var full supervise.Buf
	copy(full[:], b)
	r := full.Record()
	when := r.Since.Sec
	if now < when {
		when = now
	}
	s := "down "
	if r.PID != 0 {
		s = "up (pid " + msg.Itoa(int64(r.PID)) + ") "
	}
	s += msg.Itoa(int64(now-when)) + " seconds"
	if r.PID != 0 && !normallyUp {
		s += ", normally down"
	}
	if r.PID == 0 && normallyUp {
		s += ", normally up"
	}
	if r.PID != 0 && r.Paused {
		s += ", paused"
	}
	if r.PID == 0 && r.Want == supervise.WantUp {
		s += ", want up"
	}
	if r.PID != 0 && r.Want == supervise.WantDown {
		s += ", want down"
	}
	return s
}
