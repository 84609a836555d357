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
	svlogd := logPid()
	for name, pid := range map[string]int{"runsvdir": r.pid, "svlogd": svlogd} {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		must(t, err)
		if len(tasks) > 4 {
			t.Errorf("%s: %d threads, want at most 4", name, len(tasks))
		}
	}
}
