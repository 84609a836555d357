package runsvdir_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// TestDanglingSuperviseLink: a service whose supervise and log/supervise
// are symlinks into an empty directory (a read-only root with /run as
// tmpfs) runs: runsvdir creates the targets before it starts runsv, with
// our runsv and with runit's.
func TestDanglingSuperviseLink(t *testing.T) {
	o := ours(t)
	for _, im := range []impl{o, {"gorunit+runit's runsv", o.runsvdir, testenv.OracleBinDir(t) + ":/usr/bin:/bin"}} {
		t.Run(im.name, func(t *testing.T) {
			tr := newTree(t)
			run := filepath.Join(tr.root, "run")
			must(t, os.Mkdir(run, 0o755))
			dir := tr.make("a", runScript, true)
			must(t, os.Symlink(filepath.Join(run, "runit", "supervise.a"), filepath.Join(dir, "supervise")))
			must(t, os.Symlink(filepath.Join(run, "runit", "supervise.a.log"), filepath.Join(dir, "log", "supervise")))
			tr.link("a")
			start(t, im, opts{}, tr.svdir)
			waitUntil(t, long, 10*time.Millisecond, "the service and its logger", func() bool { return up(dir) })
			fi, err := os.Stat(filepath.Join(run, "runit", "supervise.a"))
			if err != nil || fi.Mode().Perm() != 0o700 {
				t.Errorf("supervise target: %v %v, want mode 0700", fi, err)
			}
		})
	}
}

// TestLogStderr: with RUNSVDIR_LOG_STDERR set, what goes to the log area
// also goes to runsvdir's original standard error (process 1's, in a
// container: docker logs); runsv and the services do not see the
// variable. Without it, standard error gets nothing.
func TestLogStderr(t *testing.T) {
	im := ours(t)
	for _, set := range []bool{true, false} {
		name := "unset"
		var env []string
		if set {
			name = "set"
			env = []string{"RUNSVDIR_LOG_STDERR=1"}
		}
		t.Run(name, func(t *testing.T) {
			tr := newTree(t)
			dir := tr.make("a", "#!/bin/sh\necho \"a: var=${RUNSVDIR_LOG_STDERR-none}\" >&2\nexec sleep 1000000\n", false)
			tr.link("a")
			r := start(t, im, opts{env: env}, tr.svdir, "log: "+strings.Repeat(".", 100))
			waitUntil(t, long, 10*time.Millisecond, "the service", func() bool { return up(dir) })
			waitUntil(t, long, 10*time.Millisecond, "the log area", func() bool { return strings.Contains(r.logArea(), "a: var=none") })
			if set {
				waitUntil(t, long, 10*time.Millisecond, "the line on stderr", func() bool { return strings.Contains(r.stderr(), "a: var=none\n") })
			} else if s := r.stderr(); s != "" {
				t.Errorf("stderr %q, want nothing", s)
			}
		})
	}
}

// TestLogStderrFullPipe: with RUNSVDIR_LOG_STDERR, a standard error pipe
// that nobody reads (a stalled docker logs) does not stop runsvdir: the
// copy is dropped, and a service added later is still started. (The copy
// was a blocking write: runsvdir hung in it, scanning nothing.)
func TestLogStderrFullPipe(t *testing.T) {
	im := ours(t)
	r, w, err := os.Pipe()
	must(t, err)
	t.Cleanup(func() { r.Close(); w.Close() })
	// Fill the pipe, through a non-blocking handle of its own.
	fw, err := os.OpenFile("/proc/self/fd/"+strconv.Itoa(int(w.Fd())), os.O_WRONLY|syscall.O_NONBLOCK, 0)
	must(t, err)
	chunk := make([]byte, 4096)
	for {
		if _, err := syscall.Write(int(fw.Fd()), chunk); err != nil {
			break
		}
	}
	fw.Close()
	tr := newTree(t)
	a := tr.make("a", "#!/bin/sh\nwhile :; do echo \"a: complaint\" >&2; sleep 0.1; done\n", false)
	tr.link("a")
	start(t, im, opts{stderr: "inherit", file: w, env: []string{"RUNSVDIR_LOG_STDERR=1"}}, tr.svdir, "log: "+strings.Repeat(".", 100))
	waitUntil(t, long, 10*time.Millisecond, "a", func() bool { return up(a) })
	b := tr.make("b", "#!/bin/sh\nexec sleep 1000000\n", false)
	tr.link("b")
	waitUntil(t, long, 10*time.Millisecond, "b, added after the pipe was full", func() bool { return up(b) })
}
