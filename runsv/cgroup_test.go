package runsv_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// cgroup2Root returns where cgroup2 is mounted on this host (as runsv finds
// it), skipping the test if nowhere.
func cgroup2Root(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	first := ""
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				if f[i+1] == "cgroup2" {
					if f[4] == "/sys/fs/cgroup" {
						return f[4]
					}
					if first == "" {
						first = f[4]
					}
				}
				break
			}
		}
	}
	if first == "" {
		t.Skip("no cgroup2 file system mounted on this host: cgroup containment cannot be tested here")
	}
	return first
}

// testParent returns a parent cgroup name of the test's own and removes
// it (killing what is left in it) when the test ends.
func testParent(t *testing.T, root string) string {
	parent := "gorunit-test-" + strconv.Itoa(os.Getpid()) + "-" + strings.ReplaceAll(t.Name(), "/", "-")
	t.Cleanup(func() {
		dir := filepath.Join(root, parent)
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			sub := filepath.Join(dir, e.Name())
			os.WriteFile(filepath.Join(sub, "cgroup.kill"), []byte("1"), 0)
			testenv.WaitFor(t, testenv.Deadline, "cgroup "+sub+" empty", func() bool { return !cgPopulated(sub) })
			if err := os.Remove(sub); err != nil {
				t.Errorf("remove %s: %v", sub, err)
			}
		}
		os.Remove(dir)
	})
	return parent
}

func cgPopulated(dir string) bool {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.events"))
	return strings.Contains(string(b), "populated 1")
}

func cgProcs(t *testing.T, dir string) []string {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// alive reports whether pid is a process that has not ended (a zombie
// has ended).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	testenv.WaitFor(t, testenv.Deadline, path, func() bool { return exists(path) })
	b, _ := os.ReadFile(path)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 1 {
		t.Fatalf("%s holds %q", path, b)
	}
	return pid
}

// procCgroup returns the cgroup v2 path of pid ("0::/path").
func procCgroup(t *testing.T, pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "0::") {
			return l[3:]
		}
	}
	t.Fatalf("no cgroup2 line for %d in %q", pid, b)
	return ""
}

// doubleFork is a ./run that leaves a `sleep 1000` orphan behind (its pid
// in ../orphan), then waits for ../go and exits 3; ./finish records its
// cgroup in ../finish-cgroup.
var doubleFork = map[string]string{
	"down": "",
	"run": "#!/bin/sh\n( sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > ../orphan.new; mv ../orphan.new ../orphan )\n" +
		"while [ ! -e ../go ]; do sleep 0.05; done\nexit 3\n",
	"finish": "#!/bin/sh\nsed -n 's/^0:://p' /proc/self/cgroup > ../finish-cgroup\n",
}

func killOrphan(t *testing.T, pid int) {
	t.Cleanup(func() {
		if alive(pid) {
			syscall.Kill(pid, syscall.SIGKILL)
		}
	})
}

// TestCgroupKillsOrphans: with the file cgroup, the orphan a double-forking
// ./run leaves is killed when ./run exits, before ./finish (which runs in
// the same cgroup); supervise/extra names the cgroup.
func TestCgroupKillsOrphans(t *testing.T) {
	testenv.RequireRoot(t)
	root := cgroup2Root(t)
	parent := testParent(t, root)
	w := newWorld(t)
	files := map[string]string{"cgroup": "/" + parent + "/\n"}
	for k, v := range doubleFork {
		files[k] = v
	}
	dir := w.service("dbl", files)
	cg := filepath.Join(root, parent, "dbl")
	st := filepath.Join(dir, "supervise/status")
	p := w.start(testenv.Bin(t, "runsv"), "dbl")
	waitStatus(t, st, "down", func(r status.Record) bool { return r.State == status.Down })
	w.run("once", "dbl")
	orphan := readPid(t, filepath.Join(w.root, "orphan"))
	killOrphan(t, orphan)
	if got := procCgroup(t, orphan); filepath.Join(root, got) != cg {
		t.Fatalf("orphan in cgroup %s, want %s", got, cg)
	}
	run := waitStatus(t, st, "up", isUp)
	procs := " " + strings.Join(cgProcs(t, cg), " ") + " "
	for _, pid := range []int{run.PID, orphan} {
		if !strings.Contains(procs, " "+strconv.Itoa(pid)+" ") {
			t.Fatalf("cgroup.procs = %s, want ./run (%d) and the orphan (%d) in it", procs, run.PID, orphan)
		}
	}
	extra, err := os.ReadFile(filepath.Join(dir, "supervise/extra"))
	if err != nil || !strings.HasSuffix(string(extra), "\ncgroup "+cg+"\n") {
		t.Fatalf("supervise/extra = %q (%v), want the cgroup line", extra, err)
	}
	os.WriteFile(filepath.Join(w.root, "go"), nil, 0644)
	fc := filepath.Join(w.root, "finish-cgroup")
	testenv.WaitFor(t, testenv.Deadline, "./finish", func() bool { return exists(fc) })
	// runsv killed what was left before it ran ./finish.
	if alive(orphan) {
		t.Fatal("the orphan outlived ./run")
	}
	waitStatus(t, st, "down after ./finish", func(r status.Record) bool { return r.State == status.Down })
	testenv.WaitFor(t, testenv.Deadline, "the cgroup empty", func() bool { return len(cgProcs(t, cg)) == 0 })
	b, _ := os.ReadFile(fc)
	if filepath.Join(root, strings.TrimSpace(string(b))) != cg {
		t.Errorf("./finish ran in cgroup %q, want %s", b, cg)
	}
	w.run("exit", "dbl")
	p.wait(t)
	if out := p.output(); out != "" {
		t.Errorf("runsv said %q", out)
	}
}

// TestNoCgroupOrphanLives: without the file, as under runit (both run
// here), the orphan outlives ./run.
func TestNoCgroupOrphanLives(t *testing.T) {
	for _, im := range impls(t) {
		t.Run(im.name, func(t *testing.T) {
			w := newWorld(t)
			dir := w.service("dbl", doubleFork)
			st := filepath.Join(dir, "supervise/status")
			p := w.start(im.runsv, "dbl")
			waitStatus(t, st, "down", func(r status.Record) bool { return r.State == status.Down })
			w.run("once", "dbl")
			orphan := readPid(t, filepath.Join(w.root, "orphan"))
			killOrphan(t, orphan)
			os.WriteFile(filepath.Join(w.root, "go"), nil, 0644)
			testenv.WaitFor(t, testenv.Deadline, "./finish", func() bool { return exists(filepath.Join(w.root, "finish-cgroup")) })
			waitStatus(t, st, "down after ./finish", func(r status.Record) bool { return r.State == status.Down })
			if !alive(orphan) {
				t.Fatal("the orphan died without a cgroup file")
			}
			if extra, _ := os.ReadFile(filepath.Join(dir, "supervise/extra")); strings.Contains(string(extra), "cgroup ") {
				t.Errorf("supervise/extra has a cgroup line without a cgroup: %q", extra)
			}
			w.run("exit", "dbl")
			p.wait(t)
		})
	}
}

// TestCgroupDown: `sv down` of a service whose ./run keeps running kills,
// once ./run has ended, the daemon it double-forked; the log service, with
// log/cgroup, has its own cgroup NAME.log.
func TestCgroupDown(t *testing.T) {
	testenv.RequireRoot(t)
	root := cgroup2Root(t)
	parent := testParent(t, root)
	w := newWorld(t)
	dir := w.service("dmn", map[string]string{
		"cgroup":     parent + "\n",
		"run":        "#!/bin/sh\n( sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > ../orphan.new; mv ../orphan.new ../orphan )\nexec sleep 1000\n",
		"log/cgroup": parent + "\n",
		"log/run":    "#!/bin/sh\nexec cat >/dev/null\n",
	})
	cg := filepath.Join(root, parent, "dmn")
	p := w.start(testenv.Bin(t, "runsv"), "dmn")
	orphan := readPid(t, filepath.Join(w.root, "orphan"))
	killOrphan(t, orphan)
	logSt := waitStatus(t, filepath.Join(dir, "log/supervise/status"), "log up", isUp)
	if got := filepath.Join(root, procCgroup(t, logSt.PID)); got != cg+".log" {
		t.Errorf("log/run in %s, want %s", got, cg+".log")
	}
	if extra, _ := os.ReadFile(filepath.Join(dir, "log/supervise/extra")); !strings.HasSuffix(string(extra), "\ncgroup "+cg+".log\n") {
		t.Errorf("log/supervise/extra = %q", extra)
	}
	w.run("down", "dmn")
	waitStatus(t, filepath.Join(dir, "supervise/status"), "down", func(r status.Record) bool { return r.State == status.Down })
	if alive(orphan) {
		t.Fatal("the orphan outlived `sv down`")
	}
	if procs := cgProcs(t, cg); len(procs) != 0 {
		t.Fatalf("cgroup.procs after down: %v", procs)
	}
	// Up again, in the cgroup made afresh after the kill (Linux kills
	// what is cloned into a cgroup once killed: see cgroupRenew).
	os.Remove(filepath.Join(w.root, "orphan"))
	w.run("up", "dmn")
	second := readPid(t, filepath.Join(w.root, "orphan"))
	killOrphan(t, second)
	run := waitStatus(t, filepath.Join(dir, "supervise/status"), "up again", isUp)
	if !alive(run.PID) || !alive(second) {
		t.Fatalf("after sv up: ./run %d alive %v, its daemon %d alive %v", run.PID, alive(run.PID), second, alive(second))
	}
	if got := filepath.Join(root, procCgroup(t, run.PID)); got != cg {
		t.Errorf("./run in %s after up, want %s", got, cg)
	}
	w.run("exit", "dmn")
	p.wait(t)
	if out := p.output(); out != "" {
		t.Errorf("runsv said %q", out)
	}
}

// TestCgroupLimits: cgroup.pids.max and cgroup.memory.max are written
// into the service's cgroup where the controllers are available; where
// they are not (bound to cgroup v1 on a hybrid host), runsv warns once and
// the service runs all the same.
func TestCgroupLimits(t *testing.T) {
	testenv.RequireRoot(t)
	root := cgroup2Root(t)
	parent := testParent(t, root)
	w := newWorld(t)
	dir := w.service("lim", map[string]string{
		"cgroup":            parent,
		"cgroup.pids.max":   "50\n",
		"cgroup.memory.max": "67108864\n",
		"run":               "#!/bin/sh\necho $$ >> ../runs\nexec sleep 1000\n",
	})
	cg := filepath.Join(root, parent, "lim")
	st := filepath.Join(dir, "supervise/status")
	p := w.start(testenv.Bin(t, "runsv"), "lim")
	first := waitStatus(t, st, "up", isUp)
	// A second start: the warnings are not repeated.
	w.run("term", "lim")
	waitStatus(t, st, "up again", func(r status.Record) bool { return isUp(r) && r.PID != first.PID })
	for _, l := range []struct{ ctrl, file, want string }{
		{"pids", "pids.max", "50"}, {"memory", "memory.max", "67108864"},
	} {
		warning := "runsv lim: warning: cgroup." + l.file + ": unable to set " + l.want + " in " + cg +
			": controller " + l.ctrl + " not available (bound to cgroup v1, not delegated, or processes in a parent)\n"
		n := strings.Count(p.output(), warning)
		// Whether runsv could enable the controller depends on the host;
		// the kernel shows the file in the cgroup if it did.
		if exists(filepath.Join(cg, l.file)) {
			b, err := os.ReadFile(filepath.Join(cg, l.file))
			if err != nil || strings.TrimSpace(string(b)) != l.want {
				t.Errorf("%s = %q (%v), want %s", l.file, b, err, l.want)
			}
			if n != 0 {
				t.Errorf("warning for an available controller: %q", p.output())
			}
		} else {
			t.Logf("%s: controller %s not available in %s on this host: the warning is checked", l.file, l.ctrl, cg)
			if n != 1 {
				t.Errorf("warning %q given %d times, want once; runsv said:\n%s", warning, n, p.output())
			}
		}
	}
	w.run("exit", "lim")
	p.wait(t)
}

// TestCgroupWithoutCgroup2 is in the internal tests (no cgroup2 mount
// cannot be arranged for a runsv on this host).

// TestCgroupNoCgroup2: where no cgroup2 is mounted (here: a mount
// namespace with every cgroup2 mount taken away), a service with the file
// cgroup runs all the same, after one warning for all its starts.
func TestCgroupNoCgroup2(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("nocg", map[string]string{
		"cgroup": "",
		"run":    "#!/bin/sh\necho $$ >> ../runs\nexec sleep 1000\n",
	})
	script := `for m in $(grep ' - cgroup2 ' /proc/self/mountinfo | cut -d' ' -f5); do umount -l "$m" || exit 1; done
grep -q ' - cgroup2 ' /proc/self/mountinfo && exit 1
exec "$0" nocg`
	p := &runsvProc{out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	cmd := &exec.Cmd{Path: "/bin/sh", Args: []string{"sh", "-c", script, testenv.Bin(t, "runsv")}, Dir: w.root}
	cmd.Stdout = lockedWriter{p.mu, p.out}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Unshareflags: syscall.CLONE_NEWNS}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p.cmd = cmd
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	st := filepath.Join(dir, "supervise/status")
	first := waitStatus(t, st, "up", isUp)
	w.run("term", "nocg")
	waitStatus(t, st, "up again", func(r status.Record) bool { return isUp(r) && r.PID != first.PID })
	w.run("exit", "nocg")
	if code := p.wait(t); code != 0 {
		t.Errorf("runsv exited %d: %s", code, p.output())
	}
	want := "runsv nocg: warning: cgroup: no cgroup2 file system mounted, running without a cgroup\n"
	if out := p.output(); out != want {
		t.Errorf("runsv said %q, want %q once", out, want)
	}
	if extra, _ := os.ReadFile(filepath.Join(dir, "supervise/extra")); strings.Contains(string(extra), "cgroup ") {
		t.Errorf("supervise/extra has a cgroup line without a cgroup: %q", extra)
	}
}
