package runsv_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// TestExecFailureAfterStart: runsv does not wait for ./run's exec (as
// runit's fork does not): with a ./run that is not executable, the status
// shows the service up with the child's pid before the child's exec has
// failed; the failure comes as the child's exit 111, with runit's message
// once per attempt, and ./finish gets "111 0" each time.
//
// The child is held before its exec by starting it in a frozen cgroup
// (the file cgroup names a parent whose cgroup.freeze is 1): a process
// cloned into a frozen cgroup stops before it returns to user space.
func TestExecFailureAfterStart(t *testing.T) {
	testenv.RequireRoot(t)
	root := cgroup2Root(t)
	parent := testParent(t, root)
	pdir := filepath.Join(root, parent)
	if err := os.Mkdir(pdir, 0755); err != nil {
		t.Fatal(err)
	}
	freeze := func(v string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pdir, "cgroup.freeze"), []byte(v), 0); err != nil {
			t.Skip("cgroup.freeze: ", err)
		}
	}
	freeze("1")
	t.Cleanup(func() { freeze("0") })

	w := newWorld(t)
	dir := w.service("nx", map[string]string{
		"run":    "echo never\n", // mode 0644
		"cgroup": parent + "\n",
		"finish": "#!/bin/sh\necho \"$1 $2\" >> ../finish.out\n",
	})
	st := filepath.Join(dir, "supervise/status")
	p := w.start(testenv.Bin(t, "runsv"), "nx")
	r := waitStatus(t, st, "up with a pid", isUp)
	// The child is there, runsv's, frozen before its exec; nothing said.
	if !alive(r.PID) {
		t.Fatalf("pid %d of the status is no process", r.PID)
	}
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(r.PID) + "/stat")
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if f[1] != strconv.Itoa(p.cmd.Process.Pid) {
		t.Errorf("pid %d's parent is %s, want runsv (%d)", r.PID, f[1], p.cmd.Process.Pid)
	}
	if got := procCgroup(t, r.PID); got != "/"+parent+"/nx" {
		t.Errorf("pid %d in cgroup %s, want /%s/nx", r.PID, got, parent)
	}
	const msg = "runsv nx: fatal: unable to start ./run: access denied\n"
	if out := p.output(); out != "" {
		t.Errorf("runsv said %q before the exec", out)
	}
	freeze("0")
	testenv.WaitFor(t, testenv.Deadline, "the message", func() bool { return strings.Contains(p.output(), msg) })
	testenv.WaitFor(t, testenv.Deadline, "./finish", func() bool { return cat(filepath.Join(w.root, "finish.out")) != "" })
	if alive(r.PID) {
		t.Errorf("pid %d still there", r.PID)
	}
	// Down (after one or more attempts): as many messages as ./finish
	// runs, each "111 0".
	w.run("down", "nx")
	waitStatus(t, st, "down", func(r status.Record) bool { return r.State == status.Down && r.Want == status.WantDown })
	out, fin := p.output(), cat(filepath.Join(w.root, "finish.out"))
	n := strings.Count(fin, "\n")
	if out != strings.Repeat(msg, n) {
		t.Errorf("runsv said %q, want %d times %q", out, n, msg)
	}
	if fin != strings.Repeat("111 0\n", n) {
		t.Errorf("./finish got %q", fin)
	}
	w.run("exit", "nx")
	p.wait(t)
}
