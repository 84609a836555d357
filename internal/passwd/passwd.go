// Package passwd looks up users and groups in /etc/passwd and /etc/group
// the way glibc's "files" NSS module does, without cgo: lines are trimmed
// of leading white space, empty lines and '#' comments are skipped, a
// line with a malformed uid or gid field is ignored, names beginning with
// '+' or '-' (nss_compat entries) never match, and the first match wins.
//
// Files are read with plain system calls (no os.File), so that a lookup
// leaves no descriptor behind and does not start Go's network poller: a
// program that execs afterwards hands its children the same descriptor
// numbers a C program would.
package passwd

import "gorunit/internal/sysio"

// Default locations. Lookups after a chroot read the new root's files.
const (
	PasswdFile = "/etc/passwd"
	GroupFile  = "/etc/group"
)

// User is what chpst needs from a passwd entry.
type User struct {
	Name string
	UID  uint32
	GID  uint32
}

// LookupUser finds name in the passwd file at path. found is false (and
// err nil) if there is no such user; err reports a file that could not be
// read.
func LookupUser(path, name string) (u User, found bool, err error) {
	data, err := sysio.ReadFile(path, 0)
	if err != nil {
		return u, false, err
	}
	u, found = FindUser(data, name)
	return u, found, nil
}

// LookupGroup finds the gid of group name in the group file at path.
func LookupGroup(path, name string) (gid uint32, found bool, err error) {
	data, err := sysio.ReadFile(path, 0)
	if err != nil {
		return 0, false, err
	}
	gid, found = FindGroup(data, name)
	return gid, found, nil
}

// FindUser looks name up in the contents of a passwd file
// (name:passwd:uid:gid:gecos:dir:shell).
func FindUser(data []byte, name string) (User, bool) {
	if !matchable(name) {
		return User{}, false
	}
	var found User
	ok := eachLine(data, func(line []byte) bool {
		f, rest, good := field(line)
		if !good || string(f) != name {
			return false
		}
		_, rest, good = field(rest) // password
		if !good {
			return false
		}
		uid, rest, good := intField(rest)
		if !good {
			return false
		}
		gid, _, good := intField(rest)
		if !good {
			return false
		}
		found = User{Name: name, UID: uid, GID: gid}
		return true
	})
	return found, ok
}

// FindGroup looks name up in the contents of a group file
// (name:passwd:gid:members).
func FindGroup(data []byte, name string) (uint32, bool) {
	if !matchable(name) {
		return 0, false
	}
	var gid uint32
	ok := eachLine(data, func(line []byte) bool {
		f, rest, good := field(line)
		if !good || string(f) != name {
			return false
		}
		_, rest, good = field(rest)
		if !good {
			return false
		}
		g, _, good := intField(rest)
		if !good {
			return false
		}
		gid = g
		return true
	})
	return gid, ok
}

// matchable: glibc's files module never matches nss_compat names.
func matchable(name string) bool {
	return name == "" || (name[0] != '+' && name[0] != '-')
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// eachLine calls f on every non-empty, non-comment line (leading white
// space removed) until f returns true.
func eachLine(data []byte, f func([]byte) bool) bool {
	for len(data) > 0 {
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		line := data[:i]
		if i < len(data) {
			i++
		}
		data = data[i:]
		for len(line) > 0 && isSpace(line[0]) {
			line = line[1:]
		}
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if f(line) {
			return true
		}
	}
	return false
}

// field splits off a ':'-terminated string field. A field that runs to
// the end of the line is accepted too (the rest is then empty); ok is
// false only for an empty input when a field is required.
func field(line []byte) (f, rest []byte, ok bool) {
	for i, c := range line {
		if c == ':' {
			return line[:i], line[i+1:], true
		}
	}
	return line, line[len(line):], true
}

// intField parses a numeric field like strtoul(3) with base 10: leading
// white space, an optional sign, at least one digit, ULONG_MAX on
// overflow, then the field must end (':' or end of line). The value is
// truncated to 32 bits like the assignment to uid_t/gid_t.
func intField(line []byte) (uint32, []byte, bool) {
	i := 0
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	neg := false
	if i < len(line) && (line[i] == '+' || line[i] == '-') {
		neg = line[i] == '-'
		i++
	}
	start := i
	var v uint64
	overflow := false
	for i < len(line) && line[i] >= '0' && line[i] <= '9' {
		d := uint64(line[i] - '0')
		if v > (^uint64(0)-d)/10 {
			overflow = true
		}
		v = v*10 + d
		i++
	}
	if i == start {
		return 0, nil, false
	}
	if overflow {
		v = ^uint64(0)
	} else if neg {
		v = -v
	}
	if i < len(line) {
		if line[i] != ':' {
			return 0, nil, false
		}
		i++
	}
	return uint32(v), line[i:], true
}
