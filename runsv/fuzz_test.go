package runsv_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

// FuzzControl writes arbitrary bytes to a live runsv's supervise/control.
// Whatever they are, runsv must either keep running with a valid status
// record or, if the bytes held an 'x', exit 0; it never crashes. Run with
// `go test -fuzz FuzzControl ./runsv`.
func FuzzControl(f *testing.F) {
	for _, s := range []string{"u", "d", "o", "x", "tcu", "kkk", "pcpc", "haiq12", "dxdx", "\x00\xffz\n", "udoxtkpchaiq12"} {
		f.Add([]byte(s))
	}
	testenv.RequireRoot(f)
	bin := testenv.Bin(f, "runsv")
	root := f.TempDir()
	dir := filepath.Join(root, "svc")
	os.MkdirAll(dir, 0755)
	os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\nexec sleep 1000\n"), 0755)
	os.WriteFile(filepath.Join(dir, "finish"), []byte("#!/bin/sh\nexit 0\n"), 0755)
	var cmd *exec.Cmd
	var done chan struct{}
	start := func(t testing.TB) {
		cmd = exec.Command(bin, "svc")
		cmd.Dir = root
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done = make(chan struct{})
		go func(c *exec.Cmd, d chan struct{}) { c.Wait(); close(d) }(cmd, done)
		testenv.WaitFor(t, testenv.Deadline, "runsv ready", func() bool {
			fd, err := unix.Open(filepath.Join(dir, "supervise/ok"), unix.O_WRONLY|unix.O_NONBLOCK, 0)
			if err == nil {
				unix.Close(fd)
			}
			return err == nil
		})
	}
	f.Cleanup(func() {
		if cmd != nil {
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	})
	start(f)
	exited := func(t *testing.T, b []byte) {
		<-done
		if code := cmd.ProcessState.ExitCode(); code != 0 {
			t.Fatalf("runsv exited %d after %q", code, b)
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		start(t)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ctl, err := unix.Open(filepath.Join(dir, "supervise/control"), unix.O_WRONLY|unix.O_NONBLOCK, 0)
		if err != nil {
			// No reader: runsv is gone, which only an 'x' may cause.
			exited(t, nil)
			return
		}
		defer unix.Close(ctl)
		unix.Write(ctl, b)
		gone := false
		testenv.WaitFor(t, testenv.Deadline, "control drained", func() bool {
			select {
			case <-done:
				gone = true
				return true
			default:
			}
			n, err := unix.IoctlGetInt(ctl, unix.TIOCINQ)
			return err != nil || n == 0
		})
		if !gone {
			select {
			case <-done:
				gone = true
			case <-time.After(20 * time.Millisecond):
			}
		}
		if gone {
			exited(t, b)
			return
		}
		if _, ok := readStatus(t, filepath.Join(dir, "supervise/status")); !ok {
			t.Fatalf("status unreadable after %q", b)
		}
	})
}
