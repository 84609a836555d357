package runsvdir_test

import (
	"bufio"
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

// TestOneProcess: with .one-process in its directory, our runsvdir hosts
// every service itself: no runsv process, supervise/ as runsv keeps it
// (runit's sv reads and controls it), the logger on its pipe; a service
// removed from the directory is taken down; SIGTERM takes every service
// down and runsvdir exits 0.
func TestOneProcess(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	a := tr.make("a", runScript, true)
	b := tr.make("b", "#!/bin/sh\ntrap 'echo b: TERM >&2; exit 0' TERM\nwhile :; do sleep 1 & wait $!; done\n", false)
	tr.link("a")
	tr.link("b")
	must(t, os.WriteFile(filepath.Join(tr.svdir, ".one-process"), nil, 0o644))
	r := start(t, im, opts{}, tr.svdir)
	waitUntil(t, long, 10*time.Millisecond, "a and b up", func() bool { return up(a) && up(b) })
	if m := r.runsvs(); len(m) != 0 {
		t.Errorf("runsv processes in one-process mode: %v", m)
	}
	sv := testenv.Oracle(t, "sv")
	out, _ := exec.Command(sv, "status", a).CombinedOutput()
	if !strings.HasPrefix(string(out), "run: "+a+": (pid ") || !strings.Contains(string(out), "; run: log: (pid ") {
		t.Errorf("runit's sv status: %q", out)
	}
	out, err := exec.Command(sv, "-w", "10", "restart", a).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok: run: ") {
		t.Errorf("runit's sv restart: %q %v", out, err)
	}
	// Removed from the directory: taken down, supervise/ let go.
	if len(r.in(b)) == 0 {
		t.Fatalf("b's processes: %v", r.in(b))
	}
	must(t, os.Remove(filepath.Join(tr.svdir, "b")))
	waitUntil(t, long, 10*time.Millisecond, "b's process gone", func() bool { return len(r.in(b)) == 0 })
	waitUntil(t, long, 10*time.Millisecond, "b's supervise let go", func() bool {
		out, _ := exec.Command(sv, "status", b).CombinedOutput()
		return strings.Contains(string(out), "runsv not running")
	})
	// After the restart (held for runit's second if a ran less).
	waitUntil(t, long, 10*time.Millisecond, "a's ./run", func() bool { return len(r.in(a)) > 0 })
	r.signal(syscall.SIGTERM)
	if code := r.exitCode(); code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if p := r.in(a); len(p) != 0 {
		t.Errorf("a's processes still run after runsvdir's exit: %v", p)
	}
}

// in lists the live processes under runsvdir's namespace whose working
// directory is dir (a service's ./run: the pids in supervise/status are
// the namespace's).
func (r *rsd) in(dir string) []int {
	real, err := filepath.EvalSymlinks(dir)
	if err != nil {
		r.t.Fatal(err)
	}
	var out []int
	for _, p := range descendants(r.init.Process.Pid) {
		if cwd, err := os.Readlink("/proc/" + strconv.Itoa(p) + "/cwd"); err == nil && cwd == real && alive(p) {
			out = append(out, p)
		}
	}
	return out
}

// TestOneProcessOutputBlocked: the hosted services' output goes to
// runsvdir's standard output, whole lines tagged with the service's name.
// While nobody reads it (a stalled docker logs), runsvdir goes on
// supervising (the flooding service blocks in write); once it is read,
// every line is there, in order.
func TestOneProcessOutputBlocked(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	const n = 20000
	tr.make("flood", "#!/bin/sh\ni=0\nwhile [ $i -lt "+strconv.Itoa(n)+" ]; do echo \"line $i\"; i=$((i+1)); done\nexec sleep 1000000\n", false)
	q := tr.make("quiet", runScript, true)
	tr.link("flood")
	tr.link("quiet")
	must(t, os.WriteFile(filepath.Join(tr.svdir, ".one-process"), nil, 0o644))
	pr, pw, err := os.Pipe()
	must(t, err)
	defer pr.Close()
	start(t, im, opts{stdout: pw}, tr.svdir)
	pw.Close()
	waitUntil(t, long, 10*time.Millisecond, "quiet up", func() bool { return up(q) })
	// The pipe (64 kB) is full long before n lines: runsvdir must still
	// answer.
	out, err := exec.Command(testenv.Oracle(t, "sv"), "-w", "10", "restart", q).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok: run: ") {
		t.Errorf("sv restart while the output is blocked: %q %v", out, err)
	}
	done := make(chan error, 1)
	var got []string
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "flood: ") {
				got = append(got, l)
				if len(got) == n {
					break
				}
			}
		}
		done <- sc.Err()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(long):
		pr.Close()
		<-done
		t.Fatalf("%d of %d lines after %v", len(got), n, long)
	}
	for i, l := range got {
		if want := "flood: line " + strconv.Itoa(i); l != want {
			t.Fatalf("line %d: %q, want %q", i, l, want)
		}
	}
}

// TestOneProcessReplacedBehindLink: in one-process mode runsvdir sleeps
// (no 5-second look; hostedWait is its fallback), so every hosted
// service's directory is watched: one replaced behind its symlink is
// noticed at once (well before the fallback) and the new one is hosted.
func TestOneProcessReplacedBehindLink(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	x := tr.make("x", runScript, false)
	tr.link("x")
	must(t, os.WriteFile(filepath.Join(tr.svdir, ".one-process"), nil, 0o644))
	start(t, im, opts{}, tr.svdir)
	waitUntil(t, long, 10*time.Millisecond, "x up", func() bool { return up(x) })
	must(t, os.Rename(x, x+".old"))
	tr.make("x", runScript, false)
	// Less than hostedWait (60 s): only the watch can make it.
	waitUntil(t, 40*time.Second, 10*time.Millisecond, "the new x up", func() bool { return up(x) })
}

// TestOneProcessScriptDoesNotBlock: runit's runsv does nothing else while
// a control/<c> script runs; hosted, that holds for the script's own
// service only: another service of the same runsvdir is controlled
// meanwhile.
func TestOneProcessScriptDoesNotBlock(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	a := tr.make("a", runScript, false)
	b := tr.make("b", runScript, false)
	gate := filepath.Join(tr.root, "gate")
	must(t, os.MkdirAll(filepath.Join(a, "control"), 0o755))
	must(t, os.WriteFile(filepath.Join(a, "control", "d"),
		[]byte("#!/bin/sh\nwhile [ ! -e "+gate+" ]; do sleep 0.05; done\nexit 1\n"), 0o755))
	tr.link("a")
	tr.link("b")
	must(t, os.WriteFile(filepath.Join(tr.svdir, ".one-process"), nil, 0o644))
	start(t, im, opts{}, tr.svdir)
	waitUntil(t, long, 10*time.Millisecond, "a and b up", func() bool { return up(a) && up(b) })
	sv := testenv.Oracle(t, "sv")
	// a's control/d now waits for the gate.
	must(t, os.WriteFile(filepath.Join(a, "supervise", "control"), []byte("d"), 0))
	out, err := exec.Command(sv, "-w", "30", "down", b).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "ok: down: ") {
		t.Errorf("sv down b while a's control/d runs: %q %v", out, err)
	}
	if !up(a) {
		t.Errorf("a went down before its control/d ended")
	}
	must(t, os.WriteFile(gate, nil, 0o644))
	waitUntil(t, long, 10*time.Millisecond, "a down after its control/d", func() bool {
		st, err := readStatus(filepath.Join(a, "supervise", "status"))
		return err == nil && st.PID == 0
	})
}
