package reaper

import (
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func startShell(t *testing.T, r *Reaper, script string, onExit func(Exit)) int {
	t.Helper()
	pid, err := r.Start(func() (int, error) {
		return syscall.ForkExec("/bin/sh", []string{"sh", "-c", script}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	}, onExit)
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// reapUntil calls Reap until cond holds or the deadline passes.
func reapUntil(t *testing.T, r *Reaper, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached before the deadline")
		}
		r.Reap()
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRoutesByPid(t *testing.T) {
	r := New()
	got := map[int]Exit{}
	a := startShell(t, r, "exit 3", func(e Exit) { got[e.Pid] = e })
	b := startShell(t, r, "kill -TERM $$", func(e Exit) { got[e.Pid] = e })
	reapUntil(t, r, func() bool { return len(got) == 2 })
	if e := got[a]; e.Code() != 3 || e.Signaled() || e.Low() != 0 {
		t.Errorf("exit 3: code %d low %d signaled %v", e.Code(), e.Low(), e.Signaled())
	}
	if e := got[b]; !e.Signaled() || e.Low() != int(unix.SIGTERM) || e.Code() != 0 {
		t.Errorf("killed: code %d low %d signaled %v", e.Code(), e.Low(), e.Signaled())
	}
	if r.Running() != 0 {
		t.Errorf("still registered: %d", r.Running())
	}
}

func TestOrphansAndForget(t *testing.T) {
	r := New()
	var orphans []int
	r.OnOrphan = func(e Exit) { orphans = append(orphans, e.Pid) }
	pid := startShell(t, r, "exit 0", func(Exit) { t.Error("forgotten owner called") })
	if !r.Forget(pid) {
		t.Fatal("Forget did not find the pid")
	}
	reapUntil(t, r, func() bool { return len(orphans) == 1 })
	if orphans[0] != pid || r.Orphans != 1 {
		t.Fatalf("orphans %v count %d", orphans, r.Orphans)
	}
}

func TestWaitFor(t *testing.T) {
	r := New()
	var other []Exit
	o := startShell(t, r, "exit 7", func(e Exit) { other = append(other, e) })
	// Make sure the first child has exited before we wait for the second.
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, o, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	p := startShell(t, r, "sleep 0.1; exit 5", nil)
	e, ok := r.WaitFor(p)
	if !ok || e.Pid != p || e.Code() != 5 {
		t.Fatalf("WaitFor: %+v %v", e, ok)
	}
	if len(other) != 1 || other[0].Code() != 7 {
		t.Fatalf("other child not routed: %+v", other)
	}
	if _, ok := r.WaitFor(12345678); ok {
		t.Fatal("WaitFor with no children succeeded")
	}
}
