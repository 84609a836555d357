package reliability

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// TestDaemonSignals: a signal runsv, runsvdir or svlogd does not handle
// does to ours what it does to runit's C daemon (which leaves it at the
// kernel's default): SIGUSR1 or SIGALRM end it, SIGQUIT ends it without a
// goroutine dump, SIGWINCH does nothing. Each daemon gets the signal, then
// SIGTERM; what ended it (the signal, or a normal exit on the TERM) must
// be the same for both. SIGPIPE is left out: ours survives it on purpose.
func TestDaemonSignals(t *testing.T) {
	testenv.RequireRoot(t)
	daemons := []struct {
		name    string
		signals []syscall.Signal
		start   func(t *testing.T, bin string) (*exec.Cmd, func())
	}{
		{"runsv", []syscall.Signal{syscall.SIGHUP, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1,
			syscall.SIGUSR2, syscall.SIGALRM, syscall.SIGPWR, syscall.SIGWINCH, 40}, startRunsv},
		{"runsvdir", []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR1,
			syscall.SIGPWR, syscall.SIGWINCH}, startRunsvdir},
		{"svlogd", []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT, syscall.SIGUSR2,
			syscall.SIGPWR, syscall.SIGWINCH}, startSvlogd},
	}
	for _, d := range daemons {
		for _, sig := range d.signals {
			t.Run(d.name+"/"+strconv.Itoa(int(sig)), func(t *testing.T) {
				var got [2]string
				for i, bin := range []string{testenv.Bin(t, d.name), testenv.Oracle(t, d.name)} {
					cmd, afterTerm := d.start(t, bin)
					syscall.Kill(cmd.Process.Pid, sig)
					syscall.Kill(cmd.Process.Pid, syscall.SIGTERM)
					afterTerm()
					got[i] = ended(t, cmd)
				}
				if got[0] != got[1] {
					t.Errorf("signal %d then TERM: ours %s, runit's %s", sig, got[0], got[1])
				}
			})
		}
	}
}

// daemonCmd starts bin (with no core dumps) in a process group of its own,
// killed with the test.
func daemonCmd(t *testing.T, dir string, stdin *os.File, args ...string) *exec.Cmd {
	cmd := exec.Command("/bin/sh", append([]string{"-c", `ulimit -c 0; exec "$@"`, "sh"}, args...)...)
	cmd.Dir = dir
	cmd.Stdin = stdin
	cmd.Env = []string{"PATH=" + filepath.Dir(args[0]) + ":/usr/bin:/bin"}
	errf, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = errf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if b, _ := os.ReadFile(errf.Name()); t.Failed() && len(b) > 0 {
			t.Logf("%s stderr: %s", args[0], b)
		}
	})
	return cmd
}

// upIn waits until dir's supervise/status shows a running process.
func upIn(t *testing.T, dir string) {
	testenv.WaitFor(t, testenv.Deadline, dir+" up", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
		return err == nil && len(b) == 20 && binary.LittleEndian.Uint32(b[12:16]) != 0
	})
}

func serviceDir(t *testing.T, parent, name string) string {
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\nexec sleep 1000\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// startRunsv: runsv's signals are set up before it writes the status.
func startRunsv(t *testing.T, bin string) (*exec.Cmd, func()) {
	dir := serviceDir(t, t.TempDir(), "s")
	cmd := daemonCmd(t, dir, nil, bin, ".")
	upIn(t, dir)
	return cmd, func() {}
}

// startRunsvdir: runsvdir's signals are set up before it starts a runsv.
func startRunsvdir(t *testing.T, bin string) (*exec.Cmd, func()) {
	root := t.TempDir()
	svc := serviceDir(t, root, "s")
	cmd := daemonCmd(t, root, nil, bin, root)
	upIn(t, svc)
	return cmd, func() {}
}

// startSvlogd: svlogd's signals are set up before it opens its log
// directory (and makes current). Its standard input stays open until the
// signals are sent, then ends: runit's svlogd, caught by TERM outside its
// read, blocks in the next read of an open, silent input for ever (seen
// once in 40 runs); at the end of the input it exits as on TERM.
func startSvlogd(t *testing.T, bin string) (*exec.Cmd, func()) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	cmd := daemonCmd(t, root, r, bin, "log")
	r.Close()
	testenv.WaitFor(t, testenv.Deadline, "log/current", func() bool {
		_, err := os.Stat(filepath.Join(root, "log", "current"))
		return err == nil
	})
	return cmd, func() { w.Close() }
}

// ended waits for cmd to end and says how.
func ended(t *testing.T, cmd *exec.Cmd) string {
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(testenv.Deadline):
		t.Fatalf("%s still running", cmd.Args[4])
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return "killed by signal " + strconv.Itoa(int(ws.Signal()))
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}
