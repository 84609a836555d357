package runsv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
	"gorunit/reaper"
)

func TestFindCgroup2(t *testing.T) {
	const (
		proc    = "22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		pure    = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec - cgroup2 cgroup2 rw,nsdelegate\n"
		tmpfs   = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
		v1      = "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
		unified = "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
		spaced  = "42 31 0:39 / /mnt/my\\040cg rw shared:5 - cgroup2 none rw\n"
	)
	for _, c := range []struct{ text, want string }{
		{proc + pure, "/sys/fs/cgroup"},
		{proc + tmpfs + v1 + unified, "/sys/fs/cgroup/unified"},
		{proc + spaced + pure, "/sys/fs/cgroup"}, // /sys/fs/cgroup first
		{proc + spaced, "/mnt/my cg"},
		{proc + tmpfs + v1, ""},
		{"", ""},
		{"garbage - cgroup2\n", ""},
	} {
		if got := findCgroup2(c.text); got != c.want {
			t.Errorf("findCgroup2(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestCgroupParent(t *testing.T) {
	for _, c := range []struct {
		content, want string
		ok            bool
	}{
		{"", "gorunit", true},
		{"\n", "gorunit", true},
		{"  \t\n", "gorunit", true},
		{"/", "gorunit", true},
		{"services\n", "services", true},
		{"/system.slice/runit.service/services/\nignored\n", "system.slice/runit.service/services", true},
		{"a//b", "a/b", true},
		{"a/../b", "", false},
		{"..", "", false},
		{"./a", "", false},
	} {
		got, ok := cgroupParent(c.content)
		if got != c.want || ok != c.ok {
			t.Errorf("cgroupParent(%q) = %q, %v; want %q, %v", c.content, got, ok, c.want, c.ok)
		}
	}
}

// TestCgroupKillFallback: without cgroup.kill (kernels before 5.14; forced
// here), runsv kills the processes listed in cgroup.procs, again and again
// while they fork, until the cgroup is empty: at set-up (cgroupKill, which
// waits) and after an exit (cgroupExited, then the host's loop until
// cgroupSettled).
func TestCgroupKillFallback(t *testing.T) {
	testenv.RequireRoot(t)
	root := findCgroup2(readMountinfoForTest(t))
	if root == "" {
		t.Skip("no cgroup2 file system mounted on this host")
	}
	cgroupTestFallback = true
	defer func() { cgroupTestFallback = false }()
	for _, async := range []bool{false, true} {
		name := "sync"
		if async {
			name = "async"
		}
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(root, "gorunit-test-"+strconv.Itoa(os.Getpid())+"-fallback-"+name)
			if err := os.Mkdir(path, 0755); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				os.WriteFile(filepath.Join(path, "cgroup.kill"), []byte("1"), 0)
				testenv.WaitFor(t, testenv.Deadline, "cleanup", func() bool { return os.Remove(path) == nil })
			})
			fd, err := unix.Open(path, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			h, err := NewHost(reaper.New(), nil)
			if err != nil {
				t.Fatal(err)
			}
			r := &Runsv{h: h}
			r.io[MainSvc].init("supervise/", "")
			r.cg[MainSvc] = cgState{path: path, fd: fd}
			defer r.cgroupRelease()

			// A forking tree: a shell that keeps starting sleeps, and daemons.
			sh := "for i in 1 2 3; do (sleep 1000 &) ; done; while :; do sleep 1000 & sleep 0.01; done"
			attr := &syscall.ProcAttr{Files: []uintptr{0, 1, 2}, Sys: &syscall.SysProcAttr{UseCgroupFD: true, CgroupFD: fd, Setsid: true}}
			pid, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", sh}, attr)
			if err != nil {
				t.Fatal(err)
			}
			go func() { // the test process is the shell's parent: reap it
				var ws syscall.WaitStatus
				syscall.Wait4(pid, &ws, 0, nil)
			}()
			testenv.WaitFor(t, testenv.Deadline, "the tree started", func() bool {
				b, _ := os.ReadFile(filepath.Join(path, "cgroup.procs"))
				return len(strings.Fields(string(b))) >= 5
			})
			if !async {
				r.cgroupKill(MainSvc)
			} else {
				r.cgroupExited(MainSvc)
				if !r.cg[MainSvc].waiting {
					t.Fatal("not waiting for a populated cgroup")
				}
				for !r.cgroupSettled(MainSvc) {
					// The host sleeps until cgroup.events or the next round.
					h.Dispatch(r.cgroupTimeout(time.Now(), -1))
				}
			}
			b, _ := os.ReadFile(filepath.Join(path, "cgroup.procs"))
			if len(strings.Fields(string(b))) != 0 {
				t.Fatalf("cgroup.procs after the kill: %q", b)
			}
			if r.cg[MainSvc].killed {
				t.Error("the fallback marked the cgroup as cgroup.kill'ed")
			}
			if r.cg[MainSvc].warned != 0 {
				t.Error("the kill timed out")
			}
		})
	}
}

func readMountinfoForTest(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
