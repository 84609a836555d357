package supervise

import (
	"errors"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/sysio"
)

// Client calls: what sv, svc, svstat, svok and stage 3 do to a service
// directory. dir "" is the current directory (sv and the daemontools
// commands change into the service directory first). They use the raw
// system calls of sysio: none of them blocks.

// OpError is a failed client call; its Error text is runit's message,
// e.g. "unable to open supervise/ok: file does not exist".
type OpError struct {
	Op   string // "open", "read" or "write to"
	File string // OKPath, StatusPath or ControlPath
	Err  error  // an errno, or ErrFormat
}

// What is the message without the error: "unable to open supervise/ok".
func (e *OpError) What() string { return "unable to " + e.Op + " " + e.File }

func (e *OpError) Error() string {
	if e.Err == ErrFormat {
		return e.What() + ": " + ErrFormat.Error()
	}
	return e.What() + ": " + errstr.Str(e.Err)
}

func (e *OpError) Unwrap() error { return e.Err }

// NotRunning reports whether err says that no runsv runs for the service:
// opening supervise/ok or supervise/control failed with ENXIO (no
// reader).
func NotRunning(err error) bool {
	var e *OpError
	return errors.As(err, &e) && e.Op == "open" && e.File != StatusPath && e.Err == unix.ENXIO
}

// Running checks that a runsv runs for the service in dir by opening
// supervise/ok for writing without blocking, which fails with ENXIO when
// no runsv holds it open: nil if one runs, else an *OpError (see
// NotRunning).
func Running(dir string) error {
	fd, err := sysio.RawOpen(Path(dir, OKPath), unix.O_WRONLY|unix.O_NONBLOCK)
	if err != nil {
		return &OpError{"open", OKPath, err}
	}
	sysio.RawClose(fd)
	return nil
}

// ReadStatus reads supervise/status into b with one read, as runit does:
// a longer file is accepted, a short one leaves b partly overwritten and
// fails with ErrFormat. b is a Buf (sv) or its first DaemontoolsSize
// bytes (svstat).
func ReadStatus(dir string, b []byte) error {
	fd, err := sysio.RawOpen(Path(dir, StatusPath), unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return &OpError{"open", StatusPath, err}
	}
	n, err := sysio.RawRead(fd, b)
	sysio.RawClose(fd)
	switch {
	case err != nil:
		return &OpError{"read", StatusPath, err}
	case n != len(b):
		return &OpError{"read", StatusPath, ErrFormat}
	}
	return nil
}

// OpenControl opens supervise/control for writing without blocking
// (ENXIO when no runsv reads it). The descriptor is non-blocking and
// close-on-exec.
func OpenControl(dir string) (int, error) {
	fd, err := sysio.RawOpen(Path(dir, ControlPath), unix.O_WRONLY|unix.O_NONBLOCK)
	if err != nil {
		return -1, &OpError{"open", ControlPath, err}
	}
	return fd, nil
}

// Send writes cmds to supervise/control in one non-blocking write, as sv
// does; a short write fails with EAGAIN.
func Send(dir, cmds string) error {
	fd, err := OpenControl(dir)
	if err != nil {
		return err
	}
	n, err := unix.Write(fd, []byte(cmds))
	unix.Close(fd)
	if n != len(cmds) {
		if err == nil {
			err = unix.EAGAIN
		}
		return &OpError{"write to", ControlPath, err}
	}
	return nil
}

// SendAll writes cmds to supervise/control, waiting for room in the FIFO
// if need be, as svc does.
func SendAll(dir, cmds string) error {
	fd, err := OpenControl(dir)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	unix.SetNonblock(fd, false)
	if err := sysio.WriteAll(fd, []byte(cmds)); err != nil {
		return &OpError{"write to", ControlPath, err}
	}
	return nil
}
