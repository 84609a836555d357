package sysio

import (
	"strconv"

	"golang.org/x/sys/unix"
)

// WriteAll writes all of b to fd, retrying after EINTR and short writes.
// A write that makes no progress without an error fails with EIO.
func WriteAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n <= 0 {
			return unix.EIO
		}
		b = b[n:]
	}
	return nil
}

// NonblockingPipe returns, if fd is a pipe, a non-blocking write handle of
// its own on it (/proc/self/fd/N opened again), so that a full pipe nobody
// reads cannot stop the caller while fd itself, shared with others, stays
// blocking; otherwise, or if /proc is missing, -1.
func NonblockingPipe(fd int) int {
	var st unix.Stat_t
	if unix.Fstat(fd, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFIFO {
		return -1
	}
	nfd, err := unix.Open("/proc/self/fd/"+strconv.Itoa(fd), unix.O_WRONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	return nfd
}
