package sv

import (
	"os"
	"path/filepath"
	"testing"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/internal/testenv"
)

// Readiness (notification-fd) with our runsv: sv -w waits for
// supervise/ready of the current run, and a service that never becomes
// ready times out. runit's runsv knows no readiness, so these run against
// ours only; without notification-fd TestCompat covers the behaviour.

const (
	// ready two seconds after it starts, on fd 3
	runReadyLater = "#!/bin/sh\nsleep 2\necho >&3\nexec sleep 1000 3>&-\n"
	// keeps fd 3 open and never writes to it
	runNeverReady = "#!/bin/sh\nexec sleep 1000\n"
)

// readyLabel reads supervise/ready of name; ok false if there is none.
func readyLabel(w *world, name string) (tai64.N, bool) {
	b, err := os.ReadFile(filepath.Join(w.dir, name, "supervise", "ready"))
	if err != nil {
		return tai64.N{}, false
	}
	return tai64.ParseText(b)
}

func TestReadinessWait(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv and sv")
	}
	testenv.RequireRoot(t)
	sv := testenv.Bin(t, "sv")
	runsv := testenv.Bin(t, "runsv")
	cases := []struct {
		name  string
		run   string
		down  bool // service starts down
		lsb   bool // argv0 is the service name (LSB init script)
		args  []string
		out   string // normalised stdout
		code  int
		ready bool // supervise/ready must exist (for this run) when sv returns
	}{
		{"up", runReadyLater, true, false, []string{"-w", "10", "up", "svc"}, "ok: run: svc: (pid N) Ns, normally down\n", 0, true},
		{"start", runReadyLater, true, false, []string{"-w", "10", "start", "svc"}, "ok: run: svc: (pid N) Ns, normally down\n", 0, true},
		{"lsb-start", runReadyLater, true, true, []string{"-w", "10", "start"}, "ok: run: svc: (pid N) Ns, normally down\n", 0, true},
		{"restart", runReadyLater, false, false, []string{"-w", "10", "restart", "svc"}, "ok: run: svc: (pid N) Ns\n", 0, true},
		{"lsb-restart", runReadyLater, false, true, []string{"-w", "10", "restart"}, "ok: run: svc: (pid N) Ns\n", 0, true},
		{"check", runReadyLater, false, false, []string{"-w", "10", "check", "svc"}, "ok: run: svc: (pid N) Ns\n", 0, true},
		{"never", runNeverReady, true, false, []string{"-w", "2", "up", "svc"}, "timeout: run: svc: (pid N) Ns, normally down\n", 1, false},
		{"never-check", runNeverReady, false, false, []string{"-w", "1", "check", "svc"}, "timeout: run: svc: (pid N) Ns\n", 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			root := t.TempDir()
			dir := filepath.Join(root, "service")
			w := newWorld(dir, runsv)
			defer w.close()
			files := svcFiles("run", c.run, "notification-fd", "3\n")
			if c.down {
				files["svc/down"] = ""
			}
			if err := w.files(files); err != nil {
				t.Fatal(err)
			}
			if _, err := w.start("svc"); err != nil {
				t.Fatal(err)
			}
			if c.down {
				if err := w.until("svc", "down", func(r supervise.Record) bool { return r.State == supervise.Down }); err != nil {
					t.Fatal(err)
				}
			} else {
				// restart/check: the first run is up and (for the
				// ready-later script) ready.
				if err := w.until("svc", "up", isUp); err != nil {
					t.Fatal(err)
				}
				if c.run == runReadyLater {
					testenv.WaitFor(t, testenv.Deadline, "first readiness", func() bool { _, ok := readyLabel(w, "svc"); return ok })
				}
				if err := w.settle("svc"); err != nil {
					t.Fatal(err)
				}
			}
			prev, _ := w.status("svc")
			argv0, bin := "", sv
			if c.lsb {
				initd := filepath.Join(root, "initd")
				os.MkdirAll(initd, 0o755)
				argv0 = filepath.Join(initd, "svc")
				if err := os.Symlink(sv, argv0); err != nil {
					t.Fatal(err)
				}
				bin = argv0
			}
			r, err := runSv(bin, argv0, dir, []string{"SVDIR=" + dir}, c.args...)
			if err != nil {
				t.Fatal(err)
			}
			// What runsv shows right after sv returned.
			rec, err := w.status("svc")
			if err != nil {
				t.Fatal(err)
			}
			label, ok := readyLabel(w, "svc")
			if n := r.normal(); n.stdout != c.out || n.stderr != "" || n.code != c.code {
				t.Fatalf("sv %q:\n%v\nwant stdout %q, exit %d", c.args, r, c.out, c.code)
			}
			if !c.ready {
				if ok {
					t.Fatalf("supervise/ready %v exists for a service that never signalled", label)
				}
				return
			}
			if !ok {
				t.Fatal("sv reported ok, but there is no supervise/ready")
			}
			if before(label, rec.Since) {
				t.Fatalf("supervise/ready %v is older than the run's start %v", label, rec.Since)
			}
			if c.args[len(c.args)-2] == "restart" || (c.lsb && c.args[len(c.args)-1] == "restart") {
				if rec.PID == prev.PID || !before(prev.Since, rec.Since) {
					t.Fatalf("restart: the service was not restarted (before %+v, after %+v)", prev, rec)
				}
			}
		})
	}
}

// TestReadinessWithCheck: with both notification-fd and ./check, sv -w
// check needs both: ready at once but a failing check times out, and
// passes once the check does.
func TestReadinessWithCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv and sv")
	}
	testenv.RequireRoot(t)
	sv := testenv.Bin(t, "sv")
	dir := filepath.Join(t.TempDir(), "service")
	w := newWorld(dir, testenv.Bin(t, "runsv"))
	defer w.close()
	if err := w.files(svcFiles(
		"run", "#!/bin/sh\necho >&4\nexec sleep 1000 4>&-\n",
		"notification-fd", "4",
		"check", "#!/bin/sh\ntest -e pass\n",
	)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.start("svc"); err != nil {
		t.Fatal(err)
	}
	testenv.WaitFor(t, testenv.Deadline, "readiness", func() bool { _, ok := readyLabel(w, "svc"); return ok })
	env := []string{"SVDIR=" + dir}
	r, err := runSv(sv, "", dir, env, "-w", "1", "check", "svc")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.normal(); n.stdout != "timeout: run: svc: (pid N) Ns\n" || n.code != 1 {
		t.Fatalf("ready, check failing:\n%v", r)
	}
	if err := os.WriteFile(filepath.Join(dir, "svc", "pass"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = runSv(sv, "", dir, env, "-w", "5", "check", "svc")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.normal(); n.stdout != "ok: run: svc: (pid N) Ns\n" || n.code != 0 {
		t.Fatalf("ready, check passing:\n%v", r)
	}
	// `sv status` never mentions readiness.
	r, err = runSv(sv, "", dir, env, "status", "svc")
	if err != nil {
		t.Fatal(err)
	}
	if n := r.normal(); n.stdout != "run: svc: (pid N) Ns\n" || n.code != 0 {
		t.Fatalf("status:\n%v", r)
	}
}
