package storm

import (
	"runtime"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

// reapAll collects children (this process is their subreaper) until none
// is left, and returns how many it collected.
func reapAll(t *testing.T) int {
	n := 0
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if err == unix.EINTR {
			continue
		}
		if err == unix.ECHILD {
			return n
		}
		if err != nil || pid <= 0 {
			t.Fatalf("wait4: %v", err)
		}
		n++
	}
}

// TestStorms: as the subreaper of the storms, the test collects the
// middle process and every orphan (and the fork storm's grandchildren).
func TestStorms(t *testing.T) {
	testenv.RequireRoot(t)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Fatal(err)
	}
	defer unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)

	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	if _, err := Orphans(50, p[0], p[1]); err != nil {
		t.Fatal(err)
	}
	syscall.Close(p[0])
	syscall.Close(p[1]) // the orphans' reads return: they all exit
	if got := reapAll(t); got != 51 {
		t.Errorf("orphan storm: collected %d processes, want the middle and 50 orphans", got)
	}

	if _, err := Forks(30); err != nil {
		t.Fatal(err)
	}
	if got := reapAll(t); got != 31 {
		t.Errorf("fork storm: collected %d processes, want the middle and 30 grandchildren", got)
	}
	if CountProcs() < 1 {
		t.Error("CountProcs found no process")
	}
}
