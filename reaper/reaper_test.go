package reaper

import (
	"strconv"
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
	if n := r.registered(); n != 0 {
		t.Errorf("still registered: %d", n)
	}
}

// registered counts the pids with an owner.
func (r *Reaper) registered() int {
	n := len(r.owners)
	for _, o := range r.few {
		if o.pid != 0 {
			n++
		}
	}
	return n
}

// TestRoutesByPidMany: more children than the reaper keeps inline, each
// exit to its own owner, in whatever order they end.
func TestRoutesByPidMany(t *testing.T) {
	r := New()
	got := map[int]int{}
	want := map[int]int{}
	for i := 0; i < 3*len(r.few); i++ {
		code := 10 + i
		pid := startShell(t, r, "exit "+strconv.Itoa(code), func(e Exit) {
			if _, dup := got[e.Pid]; dup {
				t.Errorf("pid %d delivered twice", e.Pid)
			}
			got[e.Pid] = e.Code() - code // 0 if routed to its own owner
		})
		want[pid] = 0
	}
	reapUntil(t, r, func() bool { return len(got) == len(want) })
	for pid := range want {
		if d, ok := got[pid]; !ok || d != 0 {
			t.Errorf("pid %d: delivered %v, to the owner of the exit code %+d", pid, ok, d)
		}
	}
	if n := r.registered(); n != 0 {
		t.Errorf("still registered: %d", n)
	}
}

// TestOrphans: the exit of a child nobody registered (here forked
// without Start, as an orphan re-parented to a subreaper would be) is
// collected by Reap and given to no owner.
func TestOrphans(t *testing.T) {
	r := New()
	var got []int
	owned := startShell(t, r, "exit 0", func(e Exit) { got = append(got, e.Pid) })
	orphan, err := syscall.ForkExec("/bin/sh", []string{"sh", "-c", "exit 0"}, &syscall.ProcAttr{Files: []uintptr{0, 1, 2}})
	if err != nil {
		t.Fatal(err)
	}
	collected := 0
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 1 || collected < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("collected %d, owner got %v before the deadline", collected, got)
		}
		collected += r.Reap()
		time.Sleep(5 * time.Millisecond)
	}
	if len(got) != 1 || got[0] != owned || collected != 2 {
		t.Fatalf("owner got %v (want [%d]), %d collected", got, owned, collected)
	}
	var ws unix.WaitStatus
	if _, err := unix.Wait4(orphan, &ws, unix.WNOHANG, nil); err != unix.ECHILD {
		t.Fatalf("orphan %d not collected: %v", orphan, err)
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
	// WaitFor waits for its pid only: the other exit waits for Reap.
	if len(other) != 0 {
		t.Fatalf("WaitFor routed another child: %+v", other)
	}
	r.Reap()
	if len(other) != 1 || other[0].Code() != 7 {
		t.Fatalf("other child not routed: %+v", other)
	}
	if _, ok := r.WaitFor(12345678); ok {
		t.Fatal("WaitFor with no children succeeded")
	}
}

// TestWaitForStolen: the exit of a pid WaitFor waits for, or will wait
// for, goes to WaitFor even when another goroutine's Reap collects it.
func TestWaitForStolen(t *testing.T) {
	r := New()
	p := startShell(t, r, "exit 3", nil)
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, p, &info, unix.WEXITED|unix.WNOWAIT, nil); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { r.Reap(); close(done) }()
	<-done
	e, ok := r.WaitFor(p)
	if !ok || e.Pid != p || e.Code() != 3 {
		t.Fatalf("WaitFor after another Reap: %+v %v", e, ok)
	}
}
