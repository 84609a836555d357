package errstr

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

func TestStrings(t *testing.T) {
	cases := []struct {
		err  error
		want string
	}{
		{nil, "no error"},
		{unix.Errno(0), "no error"},
		{unix.ENOENT, "file does not exist"},
		{unix.EACCES, "access denied"},
		{unix.EAGAIN, "temporary failure"},
		{unix.EWOULDBLOCK, "temporary failure"},
		{unix.ENXIO, "device not configured"},
		{unix.EPERM, "permission denied"},
		{unix.ENOSPC, "out of disk space"},
		{unix.EISDIR, "is a directory"},
		{unix.ENOTDIR, "not a directory"},
		{unix.EREMCHG, "remote address changed"},
		{unix.ELOOP, "symbolic link loop"},
		{unix.Errno(4095), "unknown error"},
		{&os.PathError{Op: "open", Path: "x", Err: unix.ENOENT}, "file does not exist"},
		{fmt.Errorf("wrapped: %w", unix.EEXIST), "file already exists"},
		{fmt.Errorf("plain"), "unknown error"},
	}
	for _, c := range cases {
		if got := Str(c.err); got != c.want {
			t.Errorf("Str(%v) = %q, want %q", c.err, got, c.want)
		}
	}
	if len(table) != 86 {
		t.Errorf("table has %d rows, the spec lists 86", len(table))
	}
}
