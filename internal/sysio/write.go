package sysio

import "golang.org/x/sys/unix"

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
