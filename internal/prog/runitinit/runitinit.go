// Package runitinit is runit's init(8): as process 1 it executes runit;
// otherwise `runit-init 0` halts and `runit-init 6` reboots the system by
// arming runit's flag files and sending SIGCONT to process 1.
package runitinit

import (
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/initfiles"
	"gorunit/internal/msg"
	"gorunit/internal/selfexe"
)

const (
	stopit  = initfiles.Stopit
	reboot  = initfiles.Reboot
	runit   = initfiles.Runit
	version = "$Id: f075d98bf7dd17c893021f9572cbb970cdad8dcf $"
)

// Main is runit-init's main; it returns only the exit code 0.
func Main(args []string) int {
	if os.Getpid() == 1 {
		execRunit()
	}
	prog := ""
	if len(args) > 0 {
		prog = args[0]
	}
	arg := ""
	if len(args) > 1 {
		arg = args[1]
	}
	switch {
	case arg != "" && arg[0] == '0':
		create(stopit)
		chmod(stopit, 0o100)
		if err := unix.Chmod(reboot, 0); err != nil && err != unix.ENOENT {
			die("unable to chmod ", reboot, ": ", errstr.Str(err))
		}
	case arg != "" && arg[0] == '6':
		create(stopit)
		chmod(stopit, 0o100)
		create(reboot)
		chmod(reboot, 0o100)
	case len(arg) > 1 && arg[0] == '-' && arg[1] == 'V':
		msg.Err(version, "\n")
		msg.Usage(0, prog, " 0|6")
	default:
		msg.Usage(0, prog, " 0|6")
	}
	unix.Kill(1, unix.SIGCONT)
	return 0
}

// execRunit replaces process 1 with runit: the runit next to this
// executable if there is one, else /sbin/runit.
func execRunit() {
	argv := []string{"runit"}
	if self, err := filepath.EvalSymlinks(selfexe.ExecFn()); err == nil {
		p := filepath.Join(filepath.Dir(self), "runit")
		var st unix.Stat_t
		if unix.Stat(p, &st) == nil && st.Mode&unix.S_IFMT == unix.S_IFREG {
			syscall.Exec(p, argv, os.Environ())
		}
	}
	err := syscall.Exec(runit, argv, os.Environ())
	die("unable to start runit: ", errstr.Str(err))
}

func create(path string) {
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_NONBLOCK|unix.O_TRUNC|unix.O_CREAT|unix.O_CLOEXEC, 0o644)
	if err != nil {
		// runit closes the result of the failed open: the error it
		// reports is close(-1)'s.
		die("unable to create ", path, ": ", errstr.Str(unix.EBADF))
	}
	unix.Close(fd)
}

func chmod(path string, mode uint32) {
	if err := unix.Chmod(path, mode); err != nil {
		die("unable to chmod ", path, ": ", errstr.Str(err))
	}
}

func die(parts ...string) {
	msg.Die(111, append([]string{"init: fatal: "}, parts...)...)
}
