package sv

// JSON status (a gorunit addition): `sv -j status [service ...]` prints
// one JSON object per line (JSON Lines) for each service named, in
// argument order; without names, for every service in $SVDIR (entries not
// starting with '.' that are directories, or links to directories, sorted
// by name). runit's sv has no -j (it is a usage error there, exit 100), so
// the option cannot collide with a runit command line; in LSB mode (sv
// under another name) there is no -j either. Any word sv takes for status
// ("status", "s", ...) works; with -j every other command is a usage
// error.
//
// Fields, always all present and in this order (null: unknown, or not
// applicable):
//
//	name          string  the service as given (or as found in $SVDIR)
//	state         string  "run", "down" or "finish" (null: unknown byte)
//	seconds       number  seconds in that state (sv status's "Ns")
//	want          string  "up" or "down" (null: unknown byte)
//	pid           number  the process (./run, or ./finish in state finish); 0: none
//	pgid          number  its process group (getpgid(2), as /proc/PID/stat); null if pid is 0 or gone
//	normally      string  "up", or "down" when the service has a down file (null: cannot tell)
//	paused        bool    paused (STOP sent)
//	term          bool    TERM sent, the process not yet gone ("got TERM")
//	ready         bool    supervise/ready is there for the current process; null without a valid notification-fd
//	exit          number  exit code of the last ./run, if it exited
//	signal        number  signal that killed the last ./run, if one did (exit or signal, never both)
//	restarts      number  times ./run was started since runsv started, minus 1
//	failed        bool    runsv has given up (max-restarts), until `sv up`
//	check         string  last liveness check: "ok", "fail" or "none" (no check-interval)
//	checkfails    number  consecutive failed liveness checks
//	backoff       number  the service's backoff file (seconds); null without one
//	memory_bytes  number  memory.current of the service's cgroup
//	cpu_usec      number  usage_usec of the cgroup's cpu.stat
//	log           object  the log service (log/supervise), with the same fields but log; null without log/
//
// exit, signal, restarts, failed, check, checkfails and the cgroup (for
// memory_bytes and cpu_usec) come from supervise/extra, which gorunit's
// runsv writes; under runit's runsv they are null. The others come from
// the 20-byte status record and the service directory, as sv status's.
//
// A service whose status cannot be read is {"name":...,"error":...},
// with runit's message for it ("runsv not running", "unable to change to
// service directory: file does not exist", "unable to open supervise/ok:
// ..."); a log service likewise gives "log":{"name":"log","error":...}.
// The exit code is the one `sv status` gives for the same services: the
// number of such errors, at most 99.

import (
	"bytes"
	"sort"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/scan"
	"gorunit/internal/supervise"
	"gorunit/internal/sysio"
)

// jsonOpt is sv's option for JSON status.
const jsonOpt = "j"

// Files read for the JSON status beyond sv status's.
const (
	extraPath   = supervise.Dir + "/extra" // gorunit's runsv: facts the record lacks
	backoffFile = "backoff"
)

// jsonRun is `sv -j status`.
func (s *sv) jsonRun() int {
	if len(s.services) == 0 {
		s.services = s.allServices()
	}
	for _, name := range s.services {
		s.cur = name
		s.jerr = ""
		if !s.enter(name, true) {
			s.jsonError(name, s.jerr)
		} else {
			s.jsonService(name)
		}
		s.flush("\n")
	}
	s.write()
	if s.rc > 99 {
		return 99
	}
	return s.rc
}

// allServices lists $SVDIR's services: directories, and links to
// directories, whose names do not start with '.'; sorted.
func (s *sv) allServices() []string {
	dir := s.svdir
	if dir == "" {
		dir = "."
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		s.fatal("unable to open "+dir, err)
	}
	defer unix.Close(fd)
	var out []string
	buf := make([]byte, 16384)
	for {
		n, err := unix.ReadDirent(fd, buf)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			s.fatal("unable to read "+dir, err)
		}
		if n <= 0 {
			break
		}
		// struct linux_dirent64: ino 8, off 8, reclen 2, type 1, name.
		for b := buf[:n]; len(b) >= 19; {
			reclen := int(b[16]) | int(b[17])<<8
			if reclen < 19 || reclen > len(b) {
				break
			}
			typ, name := b[18], b[19:reclen]
			if i := bytes.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			b = b[reclen:]
			if len(name) == 0 || name[0] == '.' {
				continue
			}
			switch typ {
			case unix.DT_DIR:
			case unix.DT_LNK, unix.DT_UNKNOWN:
				var st unix.Stat_t
				if unix.Fstatat(fd, string(name), &st, 0) != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR {
					continue
				}
			default:
				continue
			}
			out = append(out, string(name))
		}
	}
	sort.Strings(out)
	return out
}

// jsonError appends an error object.
func (s *sv) jsonError(name, m string) {
	s.out = append(s.out, `{"name":`...)
	s.out = appendJSONString(s.out, name)
	s.out = append(s.out, `,"error":`...)
	s.out = appendJSONString(s.out, m)
	s.out = append(s.out, '}')
}

// jsonRecord checks that runsv runs and reads the status record of the
// service in the current directory; on failure it counts the error and
// returns runit's message.
func (s *sv) jsonRecord() (supervise.Record, string) {
	err := supervise.Running("")
	if err == nil {
		err = supervise.ReadStatus("", s.st[:])
	}
	if err == nil {
		return s.st.Record(), ""
	}
	s.rc++
	if supervise.NotRunning(err) {
		return supervise.Record{}, "runsv not running"
	}
	return supervise.Record{}, err.Error()
}

// jsonService appends the object of the service in the current
// directory, with its log service's.
func (s *sv) jsonService(name string) {
	r, m := s.jsonRecord()
	if m != "" {
		s.jsonError(name, m)
		return
	}
	s.jsonFields(name, r)
	s.out = append(s.out, `,"log":`...)
	if err := s.chdir(supervise.LogDir); err != nil {
		if err == unix.ENOENT {
			s.out = append(s.out, "null"...)
		} else {
			s.rc++
			s.jsonError("log", "unable to change directory: "+errstr.Str(err))
		}
	} else if r, m := s.jsonRecord(); m != "" {
		s.jsonError("log", m)
	} else {
		s.jsonFields("log", r)
		s.out = append(s.out, '}')
	}
	s.out = append(s.out, '}')
}

// jsonFields appends the object of the service in the current directory,
// whose record is r, without its closing brace.
func (s *sv) jsonFields(name string, r supervise.Record) {
	b := append(s.out, `{"name":`...)
	b = appendJSONString(b, name)
	b = append(b, `,"state":`...)
	if w := supervise.StateWord(r.State); w != "" {
		b = appendJSONString(b, w)
	} else {
		b = append(b, "null"...)
	}
	var secs uint64
	if s.tnow.Sec > r.Since.Sec {
		secs = s.tnow.Sec - r.Since.Sec
	}
	b = append(b, `,"seconds":`...)
	b = appendUint(b, secs)
	b = append(b, `,"want":`...)
	switch r.Want {
	case supervise.WantUp:
		b = append(b, `"up"`...)
	case supervise.WantDown:
		b = append(b, `"down"`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"pid":`...)
	b = appendUint(b, uint64(r.PID))
	b = append(b, `,"pgid":`...)
	b = appendNum(b, pgid(r.PID))
	b = append(b, `,"normally":`...)
	switch err := sysio.RawStat(supervise.DownFile); {
	case err == nil:
		b = append(b, `"down"`...)
	case err == unix.ENOENT:
		b = append(b, `"up"`...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"paused":`...)
	b = appendBool(b, r.Paused)
	b = append(b, `,"term":`...)
	b = appendBool(b, r.Term)
	b = append(b, `,"ready":`...)
	var buf [32]byte
	if n := sysio.ReadSmall(supervise.NotificationFDFile, buf[:]); n > 0 {
		if _, ok := supervise.NotifyFD(buf[:n]); ok {
			b = appendBool(b, r.PID != 0 && s.ready(r))
		} else {
			b = append(b, "null"...)
		}
	} else {
		b = append(b, "null"...)
	}
	x := readExtra()
	b = append(b, `,"exit":`...)
	b = appendNum(b, x.exit)
	b = append(b, `,"signal":`...)
	b = appendNum(b, x.signal)
	b = append(b, `,"restarts":`...)
	b = appendNum(b, x.restarts)
	b = append(b, `,"failed":`...)
	switch x.failed {
	case "0":
		b = append(b, "false"...)
	case "1":
		b = append(b, "true"...)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"check":`...)
	switch x.check {
	case "ok", "fail", "none":
		b = appendJSONString(b, x.check)
	default:
		b = append(b, "null"...)
	}
	b = append(b, `,"checkfails":`...)
	b = appendNum(b, x.checkfails)
	b = append(b, `,"backoff":`...)
	b = appendNum(b, leadingNumber(backoffFile))
	mem, cpu := cgroupUsage(x.cgroup)
	b = append(b, `,"memory_bytes":`...)
	b = appendNum(b, mem)
	b = append(b, `,"cpu_usec":`...)
	b = appendNum(b, cpu)
	s.out = b
}

// extraFacts are supervise/extra's values as text ("" when absent).
type extraFacts struct {
	restarts, exit, signal, failed, check, checkfails, cgroup string
}

// readExtra reads supervise/extra in the current directory: lines of
// "key value".
func readExtra() extraFacts {
	var x extraFacts
	var buf [8192]byte
	n := sysio.ReadSmall(extraPath, buf[:])
	if n <= 0 {
		return x
	}
	text := string(buf[:n])
	for len(text) > 0 {
		line := text
		if i := indexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = "" // a line cut short is not trusted
			break
		}
		sp := indexByte(line, ' ')
		if sp < 0 {
			continue
		}
		k, v := line[:sp], line[sp+1:]
		switch k {
		case "restarts":
			x.restarts = v
		case "exit":
			x.exit = v
		case "signal":
			x.signal = v
		case "failed":
			x.failed = v
		case "check":
			x.check = v
		case "checkfails":
			x.checkfails = v
		case "cgroup":
			x.cgroup = v
		}
	}
	return x
}

// cgroupUsage reads memory.current and cpu.stat's usage_usec of the
// cgroup directory dir ("" for none).
func cgroupUsage(dir string) (mem, cpu string) {
	if dir == "" || dir[0] != '/' {
		return "", ""
	}
	mem = leadingNumber(dir + "/memory.current")
	var buf [1024]byte
	n := sysio.ReadSmall(dir+"/cpu.stat", buf[:])
	if n <= 0 {
		return mem, ""
	}
	text := string(buf[:n])
	const key = "usage_usec "
	for len(text) > 0 {
		line := text
		if i := indexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if len(line) > len(key) && line[:len(key)] == key {
			return mem, line[len(key):]
		}
	}
	return mem, ""
}

// leadingNumber is the decimal number at the start of file path, as text
// ("" if none).
func leadingNumber(path string) string {
	var buf [32]byte
	n := sysio.ReadSmall(path, buf[:])
	if n <= 0 {
		return ""
	}
	_, l := scan.Ulong(string(buf[:n]))
	return string(buf[:l])
}

// pgid is the process group of pid, as text ("" if pid is 0 or gone).
// getpgid(2) gives what /proc/PID/stat's fifth field says, in one
// system call and without the kernel formatting the whole line.
func pgid(pid int) string {
	if pid <= 0 || pid > 1<<30 {
		return ""
	}
	g, _, e := unix.RawSyscall(unix.SYS_GETPGID, uintptr(pid), 0, 0)
	if e != 0 {
		return ""
	}
	return string(appendUint(nil, uint64(g)))
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// appendNum appends v if it is a decimal integer (an optional '-', then
// digits), else null.
func appendNum(b []byte, v string) []byte {
	d := v
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 19 {
		return append(b, "null"...)
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return append(b, "null"...)
		}
	}
	return append(b, v...)
}

func appendUint(b []byte, v uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, "true"...)
	}
	return append(b, "false"...)
}

// appendJSONString appends s as a JSON string; bytes that are not UTF-8
// become U+FFFD (as encoding/json does).
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&15])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
