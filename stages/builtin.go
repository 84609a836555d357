package stages

import (
	"os"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
	"gorunit/internal/selfexe"
	"gorunit/internal/sysio"
)

// Built-in stages run where /etc/runit/1, 2 or 3 does not exist, so that a
// machine or a container boots with no shell script at all. Each runs in
// its own child process (this binary started as a helper), never in
// process 1.

const (
	serviceDir  = "/etc/service"
	defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// runBuiltin is the helper side of the built-in stages: which is "1", "2"
// or "3"; rest[0] (optional) holds flags: 'c' container mode, 'r' this is
// the machine's real init.
func runBuiltin(which string, rest []string) {
	fl := ""
	if len(rest) > 0 {
		fl = rest[0]
	}
	container := strings.IndexByte(fl, 'c') >= 0
	realInit := strings.IndexByte(fl, 'r') >= 0
	info("enter stage: /etc/runit/", which, " (built-in)")
	switch which {
	case "1":
		builtin1(container)
	case "2":
		builtin2()
	case "3":
		builtin3(realInit)
	}
	os.Exit(0)
}

// builtin1 mounts the API filesystems, sets the hostname, brings up the
// loopback interface and creates /run/runit.stopit with mode 0.
func builtin1(container bool) {
	mountAPI(container)
	setHostname()
	loopback(container)
	fd, err := unix.Open(fileStopit, unix.O_WRONLY|unix.O_CREAT|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		warn("unable to create ", fileStopit, ": ", errstr.Str(err))
		return
	}
	unix.Close(fd)
	if err := unix.Chmod(fileStopit, 0); err != nil {
		warn("unable to chmod ", fileStopit, ": ", errstr.Str(err))
	}
}

// setHostname sets the hostname from the first line of /etc/hostname.
func setHostname() {
	b, err := os.ReadFile("/etc/hostname")
	if err != nil {
		return
	}
	name, _, _ := strings.Cut(string(b), "\n")
	name = strings.TrimSpace(name)
	if name == "" {
		return
	}
	var u unix.Utsname
	if unix.Uname(&u) == nil && unix.ByteSliceToString(u.Nodename[:]) == name {
		return
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		warn("unable to set hostname: ", errstr.Str(err))
	}
}

// builtin2 runs runsvdir -P /etc/service with a log area, with process 1's
// environment (PATH set to a default if it has none).
func builtin2() {
	env := os.Environ()
	path := os.Getenv("PATH")
	if path == "" {
		path = defaultPath
		env = append(env, "PATH="+defaultPath)
	}
	exe := lookPath("runsvdir", path)
	args := []string{"runsvdir", "-P", serviceDir, "log: " + strings.Repeat(".", 395)}
	setSignals(true, stageMask)
	err := syscall.Exec(exe, args, env)
	fatal("unable to start child: runsvdir: ", errstr.Str(err))
	// Exit 111: process 1 kills stage 2's group and tries again in 5 s,
	// rather than shutting the machine down.
	os.Exit(111)
}

// lookPath finds prog in path, then next to this executable, then in the
// default PATH.
func lookPath(prog, path string) string {
	dirs := sysio.SplitPath(path)
	if self := selfexe.ExecFn(); strings.IndexByte(self, '/') >= 0 {
		dirs = append(dirs, self[:strings.LastIndexByte(self, '/')+1])
	}
	dirs = append(dirs, sysio.SplitPath(defaultPath)...)
	for _, d := range dirs {
		p := strings.TrimSuffix(d, "/") + "/" + prog
		var st unix.Stat_t
		if _, err := sysio.Executable(p, &st); err == nil {
			return p
		}
	}
	return prog
}
