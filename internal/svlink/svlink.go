// Package svlink makes a read-only service tree work: a service's
// supervise (or log/supervise) may be a symlink into a writable place such
// as /run, which is empty at boot. Prepare creates the missing target
// before runsv starts, so that runsv (ours or runit's) finds its
// directory. It is used by runsvdir before it starts a runsv, and is meant
// for any later in-process host of services too.
package svlink

import (
	"golang.org/x/sys/unix"
)

// Prepare creates the targets of dir/supervise and dir/log/supervise that
// are dangling symlinks: the target with mode 0700 (as runsv makes
// supervise/), missing directories above it with mode 0755. Anything that
// cannot be created is left alone: runsv then says why it cannot run.
func Prepare(dir string) {
	Target(dir + "/supervise")
	Target(dir + "/log/supervise")
}

// Target creates the target directory of link if link is a symlink whose
// target does not exist. It reports whether it created it.
func Target(link string) bool {
	var st unix.Stat_t
	if unix.Lstat(link, &st) != nil || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		return false
	}
	if err := unix.Stat(link, &st); err != unix.ENOENT {
		return false // exists (or something else is wrong: runsv reports it)
	}
	var buf [4096]byte
	n, err := unix.Readlink(link, buf[:])
	if err != nil || n == 0 || n == len(buf) {
		return false
	}
	t := string(buf[:n])
	if t[0] != '/' {
		i := len(link) - 1
		for i >= 0 && link[i] != '/' {
			i--
		}
		t = link[:i+1] + t
	}
	for len(t) > 1 && t[len(t)-1] == '/' {
		t = t[:len(t)-1]
	}
	return mkdirs(t, 0o700)
}

// mkdirs creates dir with mode, and its missing parents with mode 0755.
func mkdirs(dir string, mode uint32) bool {
	err := unix.Mkdir(dir, mode)
	if err == unix.ENOENT {
		i := len(dir) - 1
		for i > 0 && dir[i] != '/' {
			i--
		}
		if i <= 0 || !mkdirs(dir[:i], 0o755) && !isDir(dir[:i]) {
			return false
		}
		err = unix.Mkdir(dir, mode)
	}
	if err != nil {
		return false
	}
	// The umask may have taken bits away; runsv makes supervise/ 0700.
	unix.Chmod(dir, mode)
	return true
}

func isDir(p string) bool {
	var st unix.Stat_t
	return unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR
}
