// Package supervise is the supervise/ protocol: everything runsv and its
// clients (sv, svc, svstat, svok, stage 3) must agree on. It holds the
// file names of a service directory and its supervise/ directory, the
// 20-byte status record and its text forms, the table of control bytes
// (what each means, which sv words and svc letters send it, the signal it
// sends, the condition `sv -w` waits for), the notification-fd rule, and
// the client calls (is runsv running, read the status, send commands)
// with runit's error messages.
//
// To add a control byte, add one row to Commands (commands.go) and its
// transitions to runsv.
package supervise

import "gorunit/internal/scan"

// Files of a service directory.
const (
	RunFile            = "run"
	FinishFile         = "finish"
	DownFile           = "down"            // the service is normally down
	CheckFile          = "check"           // sv's readiness check script
	NotificationFDFile = "notification-fd" // gorunit addition: s6 readiness
	LogDir             = "log"             // the log service's directory
)

// Dir is the supervise directory of a service directory.
const Dir = "supervise"

// Files in the supervise directory (names relative to it).
const (
	ControlFile = "control" // FIFO: runsv reads command bytes
	OKFile      = "ok"      // FIFO: runsv holds it open for reading while it runs
	LockFile    = "lock"    // runsv's exclusive lock
	StatusFile  = "status"  // the 20-byte status record
	StatFile    = "stat"    // the state as text
	PIDFile     = "pid"     // the pid as text, empty when down
	ReadyFile   = "ready"   // gorunit addition: TAI64N label of the last readiness
)

// Paths relative to a service directory.
const (
	ControlPath = Dir + "/" + ControlFile
	OKPath      = Dir + "/" + OKFile
	LockPath    = Dir + "/" + LockFile
	StatusPath  = Dir + "/" + StatusFile
	StatPath    = Dir + "/" + StatFile
	PIDPath     = Dir + "/" + PIDFile
	ReadyPath   = Dir + "/" + ReadyFile

	// Prefixes of the main and the log service's supervise files.
	Prefix    = Dir + "/"
	LogPrefix = LogDir + "/" + Dir + "/"
)

// Path is file (one of the *Path constants) in service directory dir;
// dir "" means the current directory and returns file itself.
func Path(dir, file string) string {
	if dir == "" {
		return file
	}
	return dir + "/" + file
}

// The notification-fd rule: the file names the descriptor on which ./run
// reports readiness, a number from NotifyFDMin to NotifyFDMax. A file
// that holds no number, or one out of range, is ignored (runsv warns with
// NotifyFDRule).
const (
	NotifyFDMin  = 3
	NotifyFDMax  = 1023
	NotifyFDRule = "must be a number from 3 to 1023"
)

// ParseNotifyFD reads the number at the start of a notification-fd
// file's contents: number false if there is none (leading digits only,
// as runsv reads it).
func ParseNotifyFD(b []byte) (fd uint64, number bool) {
	v, used := scan.Ulong(string(b))
	return v, used > 0
}

// ValidNotifyFD reports whether fd is in the notification-fd range.
func ValidNotifyFD(fd uint64) bool { return fd >= NotifyFDMin && fd <= NotifyFDMax }

// NotifyFD tells from a notification-fd file's contents whether readiness
// is used, and on which descriptor.
func NotifyFD(b []byte) (fd int, ok bool) {
	v, number := ParseNotifyFD(b)
	if !number || !ValidNotifyFD(v) {
		return 0, false
	}
	return int(v), true
}
