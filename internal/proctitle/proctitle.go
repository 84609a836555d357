// Package proctitle implements a readproctitle-style status area: a
// process's own command-line argument, overwritten in place so that ps(1)
// and /proc/PID/cmdline show the most recent bytes written to it.
//
// Go's runtime does not copy the argument strings: os.Args[i] points into
// the memory the kernel set up at exec (the area /proc/PID/cmdline reads),
// so writing through the string's data pointer changes what ps shows. The
// argument must not be used as a Go string after New.
package proctitle

import "unsafe"

// Area is one argument used as a scrolling status area. The first keep
// bytes stay as they are; the rest always hold the most recent bytes
// written, oldest first.
type Area struct {
	b []byte // the scrolling part of the argument
}

// New turns arg, which must be one of os.Args (not a copy), into an area
// keeping its first keep bytes. It returns nil if arg is not longer than
// keep.
func New(arg string, keep int) *Area {
	if keep < 0 || len(arg) <= keep {
		return nil
	}
	all := unsafe.Slice(unsafe.StringData(arg), len(arg))
	return &Area{b: all[keep:]}
}

// Len is the number of bytes shown (the argument's length minus keep).
func (a *Area) Len() int { return len(a.b) }

// Bytes returns the scrolling part as it is now (shared, not a copy).
func (a *Area) Bytes() []byte { return a.b }

// Write appends p to the area: NUL bytes are dropped, older bytes scroll
// off the front. It never fails.
func (a *Area) Write(p []byte) (int, error) {
	n := len(a.b)
	k := 0
	for _, c := range p {
		if c != 0 {
			k++
		}
	}
	if k >= n {
		// Only the last n non-NUL bytes of p remain visible.
		i := n
		for j := len(p) - 1; i > 0; j-- {
			if p[j] != 0 {
				i--
				a.b[i] = p[j]
			}
		}
		return len(p), nil
	}
	if k == 0 {
		return len(p), nil
	}
	copy(a.b, a.b[k:])
	i := n - k
	for _, c := range p {
		if c != 0 {
			a.b[i] = c
			i++
		}
	}
	return len(p), nil
}
