// Package msg writes runit-style messages: one line per message, written
// with a single write(2) to a file descriptor, errors ignored.
//
// It deliberately avoids fmt so that the long-running daemons that use it
// stay small.
package msg

import (
	"os"

	"golang.org/x/sys/unix"
)

// Write joins parts, appends a newline and writes the line to fd in one
// write. Errors are ignored, as runit ignores them.
func Write(fd int, parts ...string) {
	n := 1
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	b = append(b, '\n')
	for len(b) > 0 {
		w, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil || w <= 0 {
			return
		}
		b = b[w:]
	}
}

// Err writes parts to stderr as one line.
func Err(parts ...string) { Write(2, parts...) }

// Out writes parts to stdout as one line.
func Out(parts ...string) { Write(1, parts...) }

// Die writes parts to stderr as one line and exits with code.
func Die(code int, parts ...string) {
	Err(parts...)
	os.Exit(code)
}

// Usage prints "usage: <prog><synopsis>" followed by a blank line to stderr
// and exits with code. synopsis normally starts with a space.
func Usage(code int, prog, synopsis string) {
	Err("usage: ", prog, synopsis, "\n")
	os.Exit(code)
}

// Itoa formats a signed integer in decimal without fmt or strconv.
func Itoa(v int64) string {
	if v < 0 {
		return "-" + Utoa(uint64(-v))
	}
	return Utoa(uint64(v))
}

// Utoa formats an unsigned integer in decimal without fmt or strconv.
func Utoa(u uint64) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			return string(buf[i:])
		}
	}
}
