package sv

// Readiness (a gorunit addition, s6's protocol). A service directory with
// a valid notification-fd file (supervise.NotifyFD: a number from 3 to
// 1023, as runsv checks it) is up for `sv -w up/start/restart/check` only once runsv has written
// supervise/ready for the current run: the file's TAI64N label must not be
// older than the start time in the status record. Without notification-fd
// nothing changes, and `sv status` never looks at readiness.

import (
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
	"gorunit/internal/tai64"
)

// ready reports whether the service in the current directory, whose
// status record is rec, is ready: always without notification-fd.
func (s *sv) ready(rec supervise.Record) bool {
	var buf [32]byte
	n := sysio.ReadSmall(supervise.NotificationFDFile, buf[:])
	if n <= 0 {
		return true
	}
	if _, ok := supervise.NotifyFD(buf[:n]); !ok {
		return true // runsv ignores it too
	}
	n = sysio.ReadSmall(supervise.ReadyPath, buf[:])
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
