// Package utmpset is runit's utmpset: it marks a terminal line logged out in
// the utmp file and optionally records the logout in wtmp. Records are
// glibc's x86_64 struct utmp (384 bytes).
package utmpset

import (
	"encoding/binary"
	"syscall"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/sgetopt"
	"gorunit/internal/sysio"
)

// Layout of glibc's struct utmp on x86_64.
const (
	RecordSize = 384
	offType    = 0   // int16 ut_type
	offLine    = 8   // char ut_line[32]
	lineSize   = 32  //
	offUser    = 44  // char ut_user[32]
	userSize   = 32  //
	offHost    = 76  // char ut_host[256]
	hostSize   = 256 //
	offTvSec   = 340 // int32 ut_tv.tv_sec

	// DeadProcess is ut_type DEAD_PROCESS.
	DeadProcess = 8
)

// The files utmpset works on.
const (
	UtmpFile = "/var/run/utmp"
	WtmpFile = "/var/log/wtmp"
)

// Version is the string utmpset -V prints.
const Version = "$Id: cb399098f794012a7f5e6a3a7090b2d53b86c08c $"

// Error is a failure with runit's message text (after "utmpset: fatal: "
// or "utmpset: warning: ").
type Error struct {
	Text  string
	Fatal bool
}

func (e *Error) Error() string { return e.Text }

// Matches reports whether record r is a logged-in entry for line: its
// user name is not empty and its ut_line, read as a C string, equals line.
// As in runit, a ut_line that fills its 32 bytes runs on into the
// following fields (ut_id ...).
func Matches(r []byte, line string) bool {
	if len(r) < RecordSize || r[offUser] == 0 {
		return false
	}
	s := r[offLine:RecordSize]
	for i, c := range s {
		if c == 0 {
			s = s[:i]
			break
		}
	}
	return string(s) == line
}

// MarkDead turns record r into a logout: user and host cleared, type
// DEAD_PROCESS, time (seconds) now; everything else is kept.
func MarkDead(r []byte, now int32) {
	clear(r[offUser : offUser+userSize])
	clear(r[offHost : offHost+hostSize])
	binary.LittleEndian.PutUint16(r[offType:], DeadProcess)
	binary.LittleEndian.PutUint32(r[offTvSec:], uint32(now))
}

// WtmpRecord returns the record appended to wtmp: all zero but the type
// DEAD_PROCESS, ut_line (truncated to 32 bytes) and the time.
func WtmpRecord(line string, now int32) []byte {
	r := make([]byte, RecordSize)
	binary.LittleEndian.PutUint16(r[offType:], DeadProcess)
	copy(r[offLine:offLine+lineSize], line)
	binary.LittleEndian.PutUint32(r[offTvSec:], uint32(now))
	return r
}

// Logout marks the first logged-in record for line in the utmp file at
// path as dead, under an exclusive lock.
func Logout(path, line string, now int32) error {
	fd, err := retry(func() (int, error) { return syscall.Open(path, syscall.O_RDWR|syscall.O_CLOEXEC, 0) })
	if err != nil {
		return &Error{Text: "unable to open " + path + ": " + errstr.Str(err), Fatal: true}
	}
	defer syscall.Close(fd)
	if _, err := retry(func() (int, error) { return 0, syscall.Flock(fd, syscall.LOCK_EX) }); err != nil {
		return &Error{Text: "unable to lock: " + path + ": " + errstr.Str(err), Fatal: true}
	}
	r := make([]byte, RecordSize)
	for {
		if !readFull(fd, r) {
			return &Error{Text: "unable to logout line " + line + " in utmp: no such entry"}
		}
		if !Matches(r, line) {
			continue
		}
		MarkDead(r, now)
		if _, err := syscall.Seek(fd, -RecordSize, 1); err != nil {
			return &Error{Text: "unable to logout line " + line + " in utmp: " + errstr.Str(err)}
		}
		if err := sysio.WriteAll(fd, r); err != nil {
			return &Error{Text: "unable to logout line " + line + " in utmp: " + errstr.Str(err)}
		}
		return nil
	}
}

// AppendWtmp appends the logout record for line to the wtmp file at path
// (created 0600), under an exclusive lock; a failed write is undone by
// truncating the file back to its old size.
func AppendWtmp(path, line string, now int32) error {
	fd, err := retry(func() (int, error) {
		return syscall.Open(path, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_APPEND|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0600)
	})
	if err != nil {
		return &Error{Text: "unable to open " + path + ": " + errstr.Str(err), Fatal: true}
	}
	defer syscall.Close(fd)
	if _, err := retry(func() (int, error) { return 0, syscall.Flock(fd, syscall.LOCK_EX) }); err != nil {
		return &Error{Text: "unable to lock " + path + ": " + errstr.Str(err), Fatal: true}
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return &Error{Text: "unable to logout line " + line + " in wtmp: " + errstr.Str(err)}
	}
	if err := sysio.WriteAll(fd, WtmpRecord(line, now)); err != nil {
		syscall.Ftruncate(fd, st.Size)
		return &Error{Text: "unable to logout line " + line + " in wtmp: " + errstr.Str(err)}
	}
	return nil
}

// Main is utmpset's command line: utmpset [-w] line. It returns the exit
// code: 0, 1 for usage, 111 for errors.
func Main(argv []string, now func() int32) int {
	prog := "utmpset"
	if len(argv) > 0 {
		prog = argv[0]
		argv = argv[1:]
	}
	usage := func() int {
		msg.Err("usage: ", prog, " [-w] line\n")
		return 1
	}
	p := sgetopt.New(basename(prog), argv, "wV")
	wtmp := false
	for {
		o, _ := p.Next()
		if o == 0 {
			break
		}
		switch o {
		case 'w':
			wtmp = true
		case 'V':
			msg.Err(Version)
			return usage()
		default:
			return usage()
		}
	}
	rest := p.Rest()
	if len(rest) == 0 {
		return usage()
	}
	line := rest[0]
	t := now()
	if err := Logout(UtmpFile, line, t); err != nil {
		return report(err.(*Error))
	}
	if wtmp {
		if err := AppendWtmp(WtmpFile, line, t); err != nil {
			return report(err.(*Error))
		}
	}
	return 0
}

func report(e *Error) int {
	if e.Fatal {
		msg.Err("utmpset: fatal: ", e.Text)
	} else {
		msg.Err("utmpset: warning: ", e.Text)
	}
	return 111
}

func basename(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

func retry(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// readFull reads one whole record; false at end of file, on a short
// trailing record or an error.
func readFull(fd int, b []byte) bool {
	n, err := retry(func() (int, error) { return syscall.Read(fd, b) })
	return err == nil && n == len(b)
}
