package runsv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
	"gorunit/reaper"
)

// TestHostPanicDropsOneService: a panic while one hosted service's
// machine steps (a bug) is recovered by the host: that service's process
// is killed and the service dropped (whoever added it is told, with 111:
// runsvdir's scan starts it again); the other services are untouched and
// the loop goes on.
func TestHostPanicDropsOneService(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root (flock on files of the test's own)")
	}
	h, err := NewHost(reaper.New(), []string{"PATH=/usr/bin:/bin"})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	gone := map[string]int{}
	svc := map[string]*Runsv{}
	for _, name := range []string{"a", "b"} {
		dir := filepath.Join(root, name)
		os.Mkdir(dir, 0o755)
		if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\nexec sleep 1000000\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		r, err := h.Add(dir, name, func(code int) { gone[name] = code })
		if err != nil {
			t.Fatal(err)
		}
		svc[name] = r
		r.Start()
	}
	pidOf := func(name string) int {
		b, _ := os.ReadFile(filepath.Join(root, name, "supervise", "status"))
		rec, err := supervise.Decode(b)
		if err != nil {
			return 0
		}
		return rec.PID
	}
	run := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			to := h.Timeout()
			if to < 0 || to > 100 {
				to = 100
			}
			h.Dispatch(to)
			// What SIGCHLD does in every real host (runsv, runsvdir,
			// process 1): a dropped service's pidfds are closed.
			h.R.Reap()
		}
	}
	run("both up", func() bool { return pidOf("a") > 0 && pidOf("b") > 0 })
	pa, pb := pidOf("a"), pidOf("b")
	t.Cleanup(func() { syscall.Kill(pa, syscall.SIGKILL); syscall.Kill(pb, syscall.SIGKILL) })

	// An idle pass over the services allocates nothing.
	if n := testing.AllocsPerRun(50, func() { h.Dispatch(0) }); n != 0 {
		t.Errorf("an idle Dispatch allocates %v times", n)
	}

	h.protect(svc["a"], func() { panic("a bug") })
	if !svc["a"].Dropped() || gone["a"] != 111 {
		t.Fatalf("a not dropped after its panic: dropped %v, gone %v", svc["a"].Dropped(), gone)
	}
	run("a's process killed and reaped", func() bool {
		return syscall.Kill(pa, 0) == syscall.ESRCH
	})
	if svc["b"].Dropped() || h.Len() != 1 || syscall.Kill(pb, 0) != nil {
		t.Fatalf("b touched by a's panic: dropped %v, hosted %d", svc["b"].Dropped(), h.Len())
	}
	// The host goes on: b obeys its control FIFO.
	if err := os.WriteFile(filepath.Join(root, "b", "supervise", "control"), []byte("d"), 0); err != nil {
		t.Fatal(err)
	}
	run("b down", func() bool { return syscall.Kill(pb, 0) == syscall.ESRCH })
}
