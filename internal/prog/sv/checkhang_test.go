package sv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// procGone reports whether pid has exited (gone, or a zombie).
func procGone(pid int) bool {
	if syscall.Kill(pid, 0) == syscall.ESRCH {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}

// TestCheckHangs: `sv -w 1 check` on an up service whose ./check hangs
// (a shell waiting for its child sleep). runit's sv waits for the check
// for ever, whatever -w says: it is still running at the bound the test
// gives it. Ours kills the check's process group (the sleep too) when the
// time is up and reports the timeout as runit does for a failing check.
func TestCheckHangs(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv and sv")
	}
	testenv.RequireRoot(t)
	runit, ours := impls(t)
	for _, sv := range []impl{runit, ours} {
		t.Run(sv.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "service")
			w := newWorld(dir, testenv.Bin(t, "runsv"))
			defer w.close()
			if err := w.files(svcFiles(
				"run", "#!/bin/sh\nexec sleep 1000\n",
				"check", "#!/bin/sh\nsleep 1000 &\necho $! >sleep.pid\nwait\n",
			)); err != nil {
				t.Fatal(err)
			}
			if _, err := w.start("svc"); err != nil {
				t.Fatal(err)
			}
			if err := waitUp(w); err != nil {
				t.Fatal(err)
			}
			// Files, not pipes: the hanging check inherits stderr.
			tmp := t.TempDir()
			out, _ := os.Create(filepath.Join(tmp, "out"))
			errf, _ := os.Create(filepath.Join(tmp, "err"))
			defer out.Close()
			defer errf.Close()
			cmd := exec.Command(sv.bin, "-w", "1", "check", "svc")
			cmd.Env = svEnv([]string{"SVDIR=" + dir})
			cmd.Stdout, cmd.Stderr = out, errf
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			bound := testenv.Deadline
			if sv.name == "runit" {
				bound = 3 * time.Second // -w 1: anything well past it shows the hang
			}
			var err error
			select {
			case err = <-done:
			case <-time.After(bound):
				if sv.name == "runit" {
					t.Logf("runit's sv still waiting for ./check %v after start with -w 1 (its weak spot)", bound)
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					<-done
					return
				}
				t.Fatalf("sv -w 1 check did not finish within %v", bound)
			}
			stdout := normalise(readAll(t, out.Name()))
			if sv.name == "runit" {
				t.Fatalf("runit's sv finished (%v, %q): the hanging check is no longer its weak spot?", err, stdout)
			}
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if stdout != "timeout: run: svc: (pid N) Ns\n" || code != 1 {
				t.Errorf("stdout %q exit %d, want a timeout", stdout, code)
			}
			// Killed when the time is up; the tick that then reports the
			// timeout runs the check once more (for at most a tick).
			if e := readAll(t, errf.Name()); e == "" || strings.ReplaceAll(e, "warning: svc/check: timed out, killed\n", "") != "" {
				t.Errorf("stderr %q", e)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(readAll(t, filepath.Join(dir, "svc", "sleep.pid"))))
			if pid <= 0 {
				t.Fatal("no sleep.pid")
			}
			testenv.WaitFor(t, testenv.Deadline, "the check's child killed", func() bool { return procGone(pid) })
		})
	}
}

func readAll(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Error(err)
	}
	return string(b)
}
