package runsv

// A minimal writer of supervise/extra (the facts the status record lacks)
// holding only the `cgroup PATH` line, for this branch alone. The full
// writer (runsv/extra.go of the giveup branch) replaces this file when
// the branches are merged: it calls cgroupExtraLine when it builds the
// file, and cgroupExtraChanged becomes a call to it.

import (
	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/sysio"
)

// cgroupExtraChanged writes <sup>extra again after t's cgroup changed.
func (r *Runsv) cgroupExtraChanged(t Target) {
	s := &r.io[t]
	data := r.cgroupExtraLine(t, nil)
	tmp := s.sup + "extra.new"
	fd, err := unix.Openat(r.dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0644)
	if err == unix.ELOOP {
		unix.Unlinkat(r.dfd, tmp, 0)
		fd, err = unix.Openat(r.dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0644)
	}
	if err != nil {
		r.warn("unable to open ", tmp, ": ", errstr.Str(err))
		return
	}
	err = sysio.WriteAll(fd, data)
	unix.Close(fd)
	if err != nil {
		r.warn("unable to write ", tmp, ": ", errstr.Str(err))
		return
	}
	if err := unix.Renameat(r.dfd, tmp, r.dfd, s.sup+"extra"); err != nil {
		r.warn("unable to rename extra.new to ", s.sup, "extra: ", errstr.Str(err))
	}
}
