package testenv

import (
	"bytes"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

// Console is a FIFO that stands for a booted system's /dev/console: the
// test holds it open read-write and non-blocking (so writers never get
// EPIPE and the test never blocks) with a 1 MiB pipe buffer, and collects
// what was written to it line by line.
type Console struct {
	Path string

	mu      sync.Mutex
	fd      int
	lines   []string
	partial []byte
}

// NewConsole creates the FIFO at path and opens it.
func NewConsole(t testing.TB, path string) *Console {
	t.Helper()
	if err := unix.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, 1<<20)
	return &Console{Path: path, fd: fd}
}

// Lines returns the complete lines written so far.
func (c *Console) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var buf [65536]byte
	for {
		n, err := unix.Read(c.fd, buf[:])
		if err == unix.EINTR {
			continue
		}
		if n <= 0 {
			break
		}
		c.partial = append(c.partial, buf[:n]...)
		for {
			i := bytes.IndexByte(c.partial, '\n')
			if i < 0 {
				break
			}
			c.lines = append(c.lines, string(c.partial[:i]))
			c.partial = c.partial[i+1:]
		}
	}
	return append([]string(nil), c.lines...)
}

// Close closes the test's end of the FIFO.
func (c *Console) Close() { unix.Close(c.fd) }
