package runsvdir_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestThreads: our runsvdir and svlogd keep to the Go runtime's floor of
// three threads (GOMAXPROCS=1 from internal/lean, signals through
// internal/sigpipe instead of os/signal, which takes two threads of its
// own), now and then a fourth the scheduler starts. They ran 6 or 7.
func TestThreads(t *testing.T) {
	// runsvdir, runsv and svlogd wait for signals through internal/sigpipe:
	// the runtime's floor of 3 threads, now and then a 4th.
	ours := ours(t)
	tr := newTree(t)
	dir := tr.make("a", "#!/bin/sh\nexec sleep 1000000\n", false)
	must(t, os.MkdirAll(filepath.Join(dir, "log", "main"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "log", "run"), []byte("#!/bin/sh\nexec svlogd main\n"), 0o755))
	tr.link("a")
	r := start(t, ours, opts{}, tr.svdir)
	logPid := func() int {
		b, err := os.ReadFile(filepath.Join(dir, "log", "supervise", "pid"))
		if err != nil {
			return 0
		}
		n, _ := strconv.Atoi(strings.TrimSpace(string(b)))
		return n
	}
	waitUntil(t, long, 10*time.Millisecond, "service a and its logger up", func() bool {
		return up(dir) && logPid() != 0
	})
	// runsvdir runs in a PID namespace of its own: supervise/pid holds
	// the logger's pid there; find its pid here, and its parent's (runsv).
	svlogd := hostPid(t, r.pid, logPid())
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(svlogd) + "/stat")
	must(t, err)
	f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:]))
	runsv, _ := strconv.Atoi(f[1])
	if comm, _ := os.ReadFile("/proc/" + strconv.Itoa(runsv) + "/comm"); strings.TrimSpace(string(comm)) != "runsv" {
		t.Fatalf("the logger's parent %d is %q, not runsv", runsv, comm)
	}
	for name, pid := range map[string]int{"runsvdir": r.pid, "svlogd": svlogd, "runsv": runsv} {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		must(t, err)
		t.Logf("%s (pid %d): %d threads", name, pid, len(tasks))
		if len(tasks) > 4 {
			t.Errorf("%s: %d threads, want at most 4", name, len(tasks))
		}
	}
}

// hostPid returns the pid, in this test's namespace, of the process whose
// pid is nsPid in the PID namespace of process inNs.
func hostPid(t *testing.T, inNs, nsPid int) int {
	t.Helper()
	ns, err := os.Readlink("/proc/" + strconv.Itoa(inNs) + "/ns/pid")
	must(t, err)
	ents, err := os.ReadDir("/proc")
	must(t, err)
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err != nil || l != ns {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/status")
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if f := strings.Fields(line); len(f) > 1 && f[0] == "NSpid:" && f[len(f)-1] == strconv.Itoa(nsPid) {
				return pid
			}
		}
	}
	t.Fatalf("no process with pid %d in the namespace of %d", nsPid, inNs)
	return 0
}
