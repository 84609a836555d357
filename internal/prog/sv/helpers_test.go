package sv

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// result is what one sv invocation produced.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("stdout %q\nstderr %q\nexit %d", r.stdout, r.stderr, r.code)
}

var (
	pidRE  = regexp.MustCompile(`\(pid [0-9]+\)`)
	secsRE = regexp.MustCompile(`\b[0-9]+s\b`)
)

// normalise replaces what legitimately differs between two runs: pids and
// seconds.
func normalise(s string) string {
	s = pidRE.ReplaceAllString(s, "(pid N)")
	return secsRE.ReplaceAllString(s, "Ns")
}

func (r result) normal() result {
	return result{normalise(r.stdout), normalise(r.stderr), r.code}
}

// emptyArgv0 asks runSv for an empty argv[0].
const emptyArgv0 = "\x00"

// runSv runs the sv binary bin with argv[0] = argv0 (bin itself if empty),
// the environment plus env, in dir. Commands that wait at most a few
// seconds; the deadline only bounds a hang.
func runSv(bin, argv0, dir string, env []string, args ...string) (result, error) {
	switch argv0 {
	case "":
		argv0 = bin
	case emptyArgv0:
		argv0 = ""
	}
	var out, errb bytes.Buffer
	cmd := &exec.Cmd{
		Path:   bin,
		Args:   append([]string{argv0}, args...),
		Dir:    dir,
		Env:    svEnv(env),
		Stdout: &out,
		Stderr: &errb,
	}
	if err := cmd.Start(); err != nil {
		return result{}, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(testenv.Deadline):
		cmd.Process.Kill()
		<-done
		return result{}, fmt.Errorf("%s %q did not finish within %v", argv0, args, testenv.Deadline)
	}
	code := 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		return result{}, err
	}
	return result{out.String(), errb.String(), code}, nil
}

// svEnv is the test's environment without SVDIR/SVWAIT, plus extra.
func svEnv(extra []string) []string {
	var env []string
	for _, e := range os.Environ() {
		if strings.HasPrefix(e, "SVDIR=") || strings.HasPrefix(e, "SVWAIT=") {
			continue
		}
		env = append(env, e)
	}
	return append(env, extra...)
}

// impl is one sv implementation under test.
type impl struct {
	name string
	bin  string
}

func impls(t *testing.T) (runit, ours impl) {
	t.Helper()
	return impl{testenv.Runit.Name, testenv.Runit.Cmd(t, "sv")}, impl{testenv.Ours.Name, testenv.Ours.Cmd(t, "sv")}
}

// runsvs are the supervisors the cross tests run against: runit's and
// ours (which must exist: a missing ./bin/runsv fails the test).
func runsvs(t *testing.T) []impl {
	t.Helper()
	return []impl{
		{"runit-runsv", testenv.Oracle(t, "runsv")},
		{"our-runsv", testenv.Bin(t, "runsv")},
	}
}

// world is a service directory ($SVDIR) with runsv processes of one
// implementation. Every runsv runs in its own process group, which its
// services inherit; close kills the groups.
type world struct {
	dir   string
	runsv string
	mu    sync.Mutex
	procs []*exec.Cmd
}

func newWorld(dir, runsv string) *world { return &world{dir: dir, runsv: runsv} }

func (w *world) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.procs {
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		c.Wait()
	}
	w.procs = nil
}

// files writes files under the world's directory; contents starting with
// "#!" are made executable.
func (w *world) files(files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(w.dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if strings.HasPrefix(content, "#!") {
			mode = 0o755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			return err
		}
	}
	return nil
}

// start runs runsv on the service name.
func (w *world) start(name string) (*exec.Cmd, error) {
	cmd := exec.Command(w.runsv, name)
	cmd.Dir = w.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	w.mu.Lock()
	w.procs = append(w.procs, cmd)
	w.mu.Unlock()
	return cmd, nil
}

// stop kills a runsv's process group (runsv and its services) and waits
// for runsv to exit.
func (w *world) stop(cmd *exec.Cmd) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, c := range w.procs {
		if c == cmd {
			syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
			c.Wait()
			w.procs = append(w.procs[:i], w.procs[i+1:]...)
			return
		}
	}
}

// gone waits until no process holds supervise/ok of name open for
// reading (the sign that a runsv runs).
func (w *world) gone(name string) error {
	ok := filepath.Join(w.dir, name, "supervise", "ok")
	end := time.Now().Add(testenv.Deadline)
	for {
		fd, err := syscall.Open(ok, syscall.O_WRONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
		if err == syscall.ENXIO {
			return nil
		}
		if err == nil {
			syscall.Close(fd)
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s still has a reader (%v): %s", ok, err, holders(ok))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// holders lists the processes that have path open, for diagnostics.
func holders(path string) string {
	var fi syscall.Stat_t
	if syscall.Stat(path, &fi) != nil {
		return "?"
	}
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	for _, fd := range procs {
		var st syscall.Stat_t
		if syscall.Stat(fd, &st) == nil && st.Ino == fi.Ino && st.Dev == fi.Dev {
			pid := strings.Split(fd, "/")[2]
			cmd, _ := os.ReadFile("/proc/" + pid + "/cmdline")
			out = append(out, pid+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return strings.Join(out, "; ")
}

func (w *world) status(name string) (supervise.Record, error) {
	b, err := os.ReadFile(filepath.Join(w.dir, name, "supervise", "status"))
	if err != nil {
		return supervise.Record{}, err
	}
	return supervise.Decode(b)
}

// until waits (with the test deadline) for the status of name to satisfy
// cond.
func (w *world) until(name, what string, cond func(supervise.Record) bool) error {
	end := time.Now().Add(testenv.Deadline)
	for {
		r, err := w.status(name)
		if err == nil && cond(r) {
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s: timed out waiting for %s (last %+v, %v)", name, what, r, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// control writes command bytes to the runsv of name.
func (w *world) control(name, bytes string) error {
	f, err := os.OpenFile(filepath.Join(w.dir, name, "supervise", "control"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(bytes)
	return err
}

// settle waits until name has been in its state for more than a second:
// sv's start time t0 is then later than since in whole seconds (runit's
// restart/once tests compare whole seconds), and a service stopped now
// does not hit runsv's one-second restart throttle.
func (w *world) settle(name string) error {
	r, err := w.status(name)
	if err != nil {
		return err
	}
	if d := time.Until(r.Since.Time().Add(1050 * time.Millisecond)); d > 0 {
		time.Sleep(d)
	}
	return nil
}
