package stages

import (
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"gorunit/internal/errstr"
)

type apiMount struct {
	target, fstype string
	flags          uintptr
	data           string
	mode           uint32
}

var apiMounts = []apiMount{
	{"/proc", "proc", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o555},
	{"/sys", "sysfs", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o555},
	{"/dev", "devtmpfs", unix.MS_NOSUID, "mode=0755", 0o755},
	{"/dev/pts", "devpts", unix.MS_NOSUID | unix.MS_NOEXEC, "gid=5,mode=0620,ptmxmode=0666", 0o755},
	{"/dev/shm", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=1777", 0o1777},
	{"/run", "tmpfs", unix.MS_NOSUID | unix.MS_NODEV, "mode=0755", 0o755},
	// The unified cgroup hierarchy, for runsv's cgroup containment.
	{"/sys/fs/cgroup", "cgroup2", unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC, "", 0o755},
}

// mountAPI mounts each API filesystem where nothing is mounted yet. In a
// container, failures for lack of privilege are expected and not reported.
func mountAPI(container bool) {
	for _, m := range apiMounts {
		if isMountpoint(m.target) {
			continue
		}
		unix.Mkdir(m.target, m.mode)
		err := unix.Mount(m.fstype, m.target, m.fstype, m.flags, m.data)
		if err != nil && !(container && (err == unix.EPERM || err == unix.EACCES)) {
			warn("unable to mount ", m.target, ": ", errstr.Str(err))
		}
		if err == nil && m.target == "/dev" {
			for _, l := range [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
				{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}} {
				unix.Symlink(l[0], l[1])
			}
		}
	}
}

// mountinfo is one line of /proc/self/mountinfo.
type mountinfo struct {
	point, fstype string
}

func readMountinfo() ([]mountinfo, bool) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, false
	}
	return parseMountinfo(string(b)), true
}

// parseMountinfo extracts the mount points and filesystem types of
// /proc/self/mountinfo's text.
func parseMountinfo(text string) []mountinfo {
	var ms []mountinfo
	for _, l := range strings.Split(text, "\n") {
		f := strings.Fields(l)
		if len(f) < 7 {
			continue
		}
		m := mountinfo{point: unescapeOctal(f[4])}
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				m.fstype = f[i+1]
				break
			}
		}
		ms = append(ms, m)
	}
	return ms
}

// unescapeOctal undoes the kernel's \ooo escapes (space, tab, newline,
// backslash) in mountinfo fields.
func unescapeOctal(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		// \ooo up to \377 only: a larger value is no byte (FuzzParseMountinfo).
		if s[i] == '\\' && i+3 < len(s) && s[i+1] <= '3' && isOct(s[i+1]) && isOct(s[i+2]) && isOct(s[i+3]) {
			b = append(b, (s[i+1]-'0')<<6|(s[i+2]-'0')<<3|(s[i+3]-'0'))
			i += 3
			continue
		}
		b = append(b, s[i])
	}
	return string(b)
}

func isOct(c byte) bool { return c >= '0' && c <= '7' }

// isMountpoint reports whether something is mounted on path: from
// mountinfo when /proc is there, else by comparing devices with the parent.
func isMountpoint(path string) bool {
	if ms, ok := readMountinfo(); ok {
		for _, m := range ms {
			if m.point == path {
				return true
			}
		}
		return false
	}
	var st, pst unix.Stat_t
	if unix.Stat(path, &st) != nil || unix.Stat(path+"/..", &pst) != nil {
		return false
	}
	return st.Dev != pst.Dev || st.Ino == pst.Ino
}

// virtualFS reports the filesystem types that are not unmounted at
// shutdown: nothing on them needs saving. (A switch, not a map: a map
// literal is built by an initialiser in every command of the binary.)
func virtualFS(fstype string) bool {
	switch fstype {
	case "proc", "sysfs", "devtmpfs", "devpts", "tmpfs",
		"ramfs", "rootfs", "cgroup", "cgroup2", "securityfs",
		"debugfs", "tracefs", "configfs", "pstore", "efivarfs",
		"bpf", "mqueue", "hugetlbfs", "fusectl", "autofs",
		"binfmt_misc", "rpc_pipefs", "nsfs", "selinuxfs":
		return true
	}
	return false
}

// unmountAll unmounts every real filesystem, newest first, remounting
// read-only what cannot be unmounted, and finally remounts / read-only.
func unmountAll() {
	ms, ok := readMountinfo()
	if !ok {
		ms = nil
	}
	for i := len(ms) - 1; i >= 0; i-- {
		m := ms[i]
		if m.point == "/" || virtualFS(m.fstype) {
			continue
		}
		if unix.Unmount(m.point, 0) == nil {
			continue
		}
		if err := unix.Mount("", m.point, "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			warn("unable to unmount ", m.point, ": ", errstr.Str(err))
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
		warn("unable to remount / read-only: ", errstr.Str(err))
	}
}
