// Package errstr maps system errors to runit's own error strings (spec
// appendix A). runit prints these after ": " instead of strerror(3).
package errstr

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Errno returns runit's text for a raw errno value.
func Errno(e unix.Errno) string {
	if e == 0 {
		return "no error"
	}
	for i := range table {
		if table[i].errno == e {
			return table[i].text
		}
	}
	return "unknown error"
}

// Str returns runit's text for err. Errors that wrap an errno (as os and
// syscall errors do) are mapped through the table; a nil error is
// "no error"; any other error is "unknown error".
func Str(err error) string {
	if err == nil {
		return "no error"
	}
	var e unix.Errno
	if errors.As(err, &e) {
		return Errno(e)
	}
	switch {
	case errors.Is(err, os.ErrNotExist):
		return Errno(unix.ENOENT)
	case errors.Is(err, os.ErrPermission):
		return Errno(unix.EACCES)
	case errors.Is(err, os.ErrExist):
		return Errno(unix.EEXIST)
	}
	return "unknown error"
}
