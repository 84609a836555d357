package sysio

import "golang.org/x/sys/unix"

// ReadFileAt reads the whole file name, relative to the directory dirfd
// (unix.AT_FDCWD for the working directory), opened with
// O_RDONLY|O_CLOEXEC|flags. With O_NONBLOCK in flags it is opened like
// runit's open_read: a FIFO without a writer reads as empty. Interrupted
// calls are retried. An empty file gives an empty, non-nil slice.
func ReadFileAt(dirfd int, name string, flags int) ([]byte, error) {
	var fd int
	var err error
	for {
		fd, err = unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_CLOEXEC|flags, 0)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, err
	}
	defer unix.Close(fd)
	buf := make([]byte, 0, 512)
	for {
		if len(buf) == cap(buf) {
			nb := make([]byte, len(buf), 2*cap(buf))
			copy(nb, buf)
			buf = nb
		}
		n, err := unix.Read(fd, buf[len(buf):cap(buf)])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, err
		}
		if n <= 0 {
			return buf, nil
		}
		buf = buf[:len(buf)+n]
	}
}

// ReadFile is ReadFileAt relative to the working directory.
func ReadFile(name string, flags int) ([]byte, error) {
	return ReadFileAt(unix.AT_FDCWD, name, flags)
}
