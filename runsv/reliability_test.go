package runsv_test

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// TestCommandFlood: 1,000 sv commands at once (200 concurrent sv
// processes, each sending 5 services' worth of pause/cont) against one
// runsv: none is lost — every sv exits 0 — and runsv still answers.
func TestCommandFlood(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("busy", map[string]string{"run": "#!/bin/sh\nexec sleep 1000\n"})
	p := w.start(testenv.Bin(t, "runsv"), "busy")
	st := filepath.Join(dir, "supervise/status")
	pid := waitStatus(t, st, "up", isUp).PID
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := 0
	for i := 0; i < 200; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cmd := "pause"
			if i%2 == 1 {
				cmd = "cont"
			}
			args := []string{cmd, "busy", "busy", "busy", "busy", "busy"}
			c := exec.Command(w.sv, args...)
			c.Env = append(os.Environ(), "SVDIR="+w.root)
			if out, err := c.CombinedOutput(); err != nil || len(out) != 0 {
				mu.Lock()
				failures++
				mu.Unlock()
			}
		}(i)
	}
	wg.Wait()
	if failures != 0 {
		t.Fatalf("%d of 200 sv processes failed", failures)
	}
	// All 1,000 bytes are handled in order; a final cont leaves it running.
	out, _, code := w.run("-v", "cont", "busy")
	if code != 0 || !strings.HasPrefix(out, "ok: run: busy: (pid "+strconv.Itoa(pid)+")") {
		t.Fatalf("after the flood: %q exit %d", out, code)
	}
	// sv's 'c' condition can hold before runsv has read the byte: wait for
	// it to be handled, then the same process must still be there.
	if r := waitStatus(t, st, "cont handled", func(r status.Record) bool { return !r.Paused }); r.PID != pid {
		t.Fatalf("after the flood: %+v", r)
	}
	w.run("exit", "busy")
	if code := p.wait(t); code != 0 {
		t.Fatalf("runsv exit %d", code)
	}
}

// TestGarbageControl: random bytes (64 kB, minus the command letters) on
// supervise/control are ignored; the service keeps running with the same
// pid and runsv still obeys a real command afterwards.
func TestGarbageControl(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("g", map[string]string{"run": "#!/bin/sh\nexec sleep 1000\n"})
	p := w.start(testenv.Bin(t, "runsv"), "g")
	st := filepath.Join(dir, "supervise/status")
	pid := waitStatus(t, st, "up", isUp).PID
	junk := make([]byte, 65536)
	rand.Read(junk)
	for i, c := range junk {
		if strings.IndexByte("udoxtkpchaiq12", c) >= 0 {
			junk[i] = 'z'
		}
	}
	f, err := os.OpenFile(filepath.Join(dir, "supervise/control"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(junk); off += 4096 {
		if _, err := f.Write(junk[off : off+4096]); err != nil {
			t.Fatal(err)
		}
	}
	// Wait until runsv has read everything, then send a real command.
	testenv.WaitFor(t, testenv.Deadline, "the FIFO drained", func() bool {
		n, err := unix.IoctlGetInt(int(f.Fd()), unix.TIOCINQ)
		return err == nil && n == 0
	})
	f.Close()
	out, _, code := w.run("-v", "pause", "g")
	if code != 0 || !strings.Contains(out, "(pid "+strconv.Itoa(pid)+")") || !strings.Contains(out, "paused") {
		t.Fatalf("after garbage: %q exit %d", out, code)
	}
	w.run("exit", "g")
	if code := p.wait(t); code != 0 {
		t.Fatalf("runsv exit %d", code)
	}
}

// readOnlyCopy bind-mounts dir read-only onto itself in a private mount
// namespace of the test's own... the mount is made on the host and undone
// at cleanup.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	if err := syscall.Mount("", dir, "", syscall.MS_BIND|syscall.MS_REMOUNT|syscall.MS_RDONLY, ""); err != nil {
		t.Fatal(err)
	}
}

// TestReadOnlyServiceDir: on a read-only service directory runsv fails
// with runit's message and exit code; with supervise as a symbolic link to
// a writable place (Debian's /run/runit/supervise/<name>) it works. Both
// compared with runit's runsv.
func TestReadOnlyServiceDir(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		ro := w.service("ro", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n"})
		rw := w.service("rw", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n"})
		os.Symlink(filepath.Join(w.root, "run-supervise-rw"), filepath.Join(rw, "supervise"))
		readOnly(t, ro)
		readOnly(t, rw)
		tr := &transcript{w: w}
		p := w.start(im.runsv, "ro")
		tr.add("ro: exit " + strconv.Itoa(p.wait(t)) + " said: " + p.output())
		p = w.start(im.runsv, "rw")
		waitStatus(t, filepath.Join(w.root, "run-supervise-rw/status"), "up", isUp)
		tr.sv("status", "rw")
		tr.sv("-v", "exit", "rw")
		tr.add("rw: exit " + strconv.Itoa(p.wait(t)) + " said: " + p.output())
		return tr.String()
	})
}

// TestAwkwardRunScripts: a run script that forks into the background and
// exits (the daemon escapes supervision, as under runit: runsv restarts
// ./run every second), and one that ignores SIGTERM (sv down times out with
// "got TERM", force-stop kills it) — same outputs as runit's runsv.
func TestAwkwardRunScripts(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		w.service("bg", map[string]string{"run": "#!/bin/sh\necho x >> ../bg.starts\n(sleep 100 </dev/null >/dev/null 2>&1 & echo $! >> ../bg.pids)\nexit 0\n"})
		t.Cleanup(func() {
			for _, p := range strings.Fields(cat(filepath.Join(w.root, "bg.pids"))) {
				if pid, err := strconv.Atoi(p); err == nil {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
		})
		stub := w.service("stubborn", map[string]string{"run": "#!/bin/sh\ntrap '' TERM\necho > ../stub.ready\nwhile :; do sleep 0.05; done\n"})
		tr := &transcript{w: w}
		pb := w.start(im.runsv, "bg")
		testenv.WaitFor(t, testenv.Deadline, "bg restarted twice", func() bool {
			return strings.Count(cat(filepath.Join(w.root, "bg.starts")), "\n") >= 3
		})
		// (No -v: runit's runsv may be in its blocking sleep here, ours
		// takes the 'd' at once; both must end down and want down.)
		tr.sv("down", "bg")
		waitStatus(t, filepath.Join(w.root, "bg/supervise/status"), "bg down", func(r status.Record) bool {
			return r.Want == status.WantDown && r.State == status.Down && r.PID == 0
		})
		tr.sv("status", "bg")
		tr.sv("-v", "exit", "bg")
		tr.add("bg exit " + strconv.Itoa(pb.wait(t)))
		ps := w.start(im.runsv, "stubborn")
		waitStatus(t, filepath.Join(stub, "supervise/status"), "up", isUp)
		testenv.WaitFor(t, testenv.Deadline, "TERM trapped", func() bool { return exists(filepath.Join(w.root, "stub.ready")) })
		tr.sv("-w", "1", "down", "stubborn")
		waitStatus(t, filepath.Join(stub, "supervise/status"), "got TERM", func(r status.Record) bool { return r.Term })
		tr.sv("status", "stubborn")
		tr.sv("-w", "1", "force-stop", "stubborn")
		tr.sv("-v", "exit", "stubborn")
		tr.add("stubborn exit " + strconv.Itoa(ps.wait(t)))
		return tr.String()
	})
}

// TestUnprivilegedSv: supervise/ is 0700, so a non-root user's sv (runit's
// and ours) gets runit's permission message and exit code.
func TestUnprivilegedSv(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	// Let nobody reach the service directory (t.TempDir makes 0700 dirs).
	os.Chmod(w.root, 0755)
	os.Chmod(filepath.Dir(w.root), 0755)
	w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n"})
	w.start(testenv.Bin(t, "runsv"), "svc")
	waitStatus(t, filepath.Join(w.root, "svc/supervise/status"), "up", isUp)
	var got []string
	for _, sv := range []string{w.sv, testenv.Bin(t, "sv")} {
		for _, cmd := range []string{"status", "down"} {
			c := exec.Command(sv, cmd, "svc")
			c.Env = []string{"SVDIR=" + w.root}
			c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
			out, _ := c.CombinedOutput()
			got = append(got, string(out)+"exit "+strconv.Itoa(c.ProcessState.ExitCode()))
		}
	}
	if got[0] != "warning: svc: unable to open supervise/ok: access denied\nexit 1" {
		t.Errorf("runit's sv as nobody: %q", got[0])
	}
	if got[0] != got[2] || got[1] != got[3] {
		t.Errorf("runit's sv %q, ours %q", got[:2], got[2:])
	}
	if r, _ := readStatus(t, filepath.Join(w.root, "svc/supervise/status")); r.Want != status.WantUp || !isUp(r) {
		t.Errorf("an unprivileged sv changed the service: %+v", r)
	}
	w.run("exit", "svc")
}
