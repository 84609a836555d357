package sv

// Readiness (a gorunit addition, s6's protocol). A service directory with
// a valid notification-fd file (a number from 3 to 1023, as runsv checks
// it) is up for `sv -w up/start/restart/check` only once runsv has written
// supervise/ready for the current run: the file's TAI64N label must not be
// older than the start time in supervise/status. Without notification-fd
// nothing changes, and `sv status` never looks at readiness.

import (
	"golang.org/x/sys/unix"

	"gorunit/internal/scan"
	status "gorunit/internal/supervise"
	"gorunit/internal/tai64"
)

// ready reports whether the service in the current directory, whose
// status record is rec, is ready: always without notification-fd.
func (s *sv) ready(rec status.Record) bool {
	var buf [32]byte
	n := readSmall("notification-fd", buf[:])
	if n <= 0 {
		return true
	}
	v, used := scan.Ulong(string(buf[:n]))
	if used == 0 || v < 3 || v > 1023 {
		return true // runsv ignores it too
	}
	n = readSmall("supervise/ready", buf[:])
	if n <= 0 {
		return false
	}
	at, ok := tai64.ParseText(buf[:n])
	return ok && !before(at, rec.Since)
}

// before reports whether label a is earlier than b.
func before(a, b tai64.N) bool {
	return a.Sec < b.Sec || (a.Sec == b.Sec && a.Nano < b.Nano)
}

// readSmall reads the start of a small file into b: the number of bytes
// read, or -1 if it cannot be read.
func readSmall(path string, b []byte) int {
	fd, err := rawOpen(path, unix.O_RDONLY|unix.O_NONBLOCK)
	if err != nil {
		return -1
	}
	n, err := rawRead(fd, b)
	rawClose(fd)
	if err != nil {
		return -1
	}
	return n
}
