package runsv_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// TestThrottleDoesNotBlockCommands: a service that dies within a second of
// its start is held down for a second before it restarts (runit's rule),
// but, unlike runit's blocking sleep, commands sent during that second are
// acted on at once: 'd' shows in supervise/status before the second is
// over, and the service is not restarted.
func TestThrottleDoesNotBlockCommands(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("crashy", map[string]string{
		"run": "#!/bin/sh\necho start >> ../starts\nexit 3\n",
	})
	st := filepath.Join(dir, "supervise/status")
	p := w.start(testenv.Bin(t, "runsv"), "crashy")
	// Scheduling on a loaded machine can delay any single attempt past the
	// one-second hold, so the experiment gets a few tries; a runsv that
	// sleeps through the hold (runit's) fails every one of them.
	var seen []string
	for attempt := 0; attempt < 5; attempt++ {
		down := waitStatus(t, st, "the service down after a quick exit", func(r status.Record) bool {
			return r.State == status.Down && r.Want == status.WantUp
		})
		w.write("crashy/supervise/control", "d")
		r := waitStatus(t, st, "want down", func(r status.Record) bool { return r.Want == status.WantDown })
		acked := time.Now()
		held := acked.Sub(down.Since.Time())
		if r.Since == down.Since && held < time.Second {
			starts := cat(filepath.Join(w.root, "starts"))
			// The held restart must not happen after the 'd'.
			time.Sleep(1500 * time.Millisecond)
			if got := cat(filepath.Join(w.root, "starts")); got != starts {
				t.Fatalf("restarted after 'd' during the hold: %q -> %q", starts, got)
			}
			if rec, _ := readStatus(t, st); rec.PID != 0 || rec.State != status.Down {
				t.Fatalf("not down after 'd': %+v", rec)
			}
			w.write("crashy/supervise/control", "x")
			if code := p.wait(t); code != 0 {
				t.Fatalf("runsv exit %d", code)
			}
			return
		}
		seen = append(seen, held.String())
		w.write("crashy/supervise/control", "u")
	}
	t.Fatalf("'d' was never acted on during the one-second hold (acknowledged after %v)", seen)
}

// TestThrottleHoldsRestarts: a service that always fails at once is
// started about once a second, never faster.
func TestThrottleHoldsRestarts(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	w.service("crashy", map[string]string{"run": "#!/bin/sh\necho start >> ../starts\nexit 3\n"})
	start := time.Now()
	w.start(testenv.Bin(t, "runsv"), "crashy")
	testenv.WaitFor(t, testenv.Deadline, "four starts", func() bool {
		return strings.Count(cat(filepath.Join(w.root, "starts")), "\n") >= 4
	})
	n := strings.Count(cat(filepath.Join(w.root, "starts")), "\n")
	if elapsed := time.Since(start); n > int(elapsed/time.Second)+1 {
		t.Fatalf("%d starts in %v", n, elapsed)
	}
	w.run("exit", "crashy")
}

// TestLogPipeKeepsLines: the service writes numbered lines while its
// logger exits and is restarted again and again (it reads line by line and
// exits after every 400 lines); runsv holds the pipe, so no line is lost or
// doubled. Run for runit's runsv and ours.
func TestLogPipeKeepsLines(t *testing.T) {
	for _, im := range impls(t) {
		im := im
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			dir := w.service("counter", map[string]string{
				"run":     "#!/bin/sh\ni=0\nwhile [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done\nexec sleep 100\n",
				"log/run": "#!/bin/sh\necho logger >> ../starts\nn=0\nwhile read -r l; do echo \"$l\" >> ../lines; n=$((n+1)); [ $n -ge 400 ] && exit 0; done\n",
			})
			p := w.start(im.runsv, "counter")
			testenv.WaitFor(t, 2*testenv.Deadline, "all lines", func() bool {
				return strings.Contains(cat(filepath.Join(dir, "lines")), "line 2999\n")
			})
			lines := strings.Split(strings.TrimSuffix(cat(filepath.Join(dir, "lines")), "\n"), "\n")
			if len(lines) != 3000 {
				t.Fatalf("%d lines kept, want 3000", len(lines))
			}
			for i, l := range lines {
				if l != "line "+strconv.Itoa(i) {
					t.Fatalf("line %d is %q", i, l)
				}
			}
			if n := strings.Count(cat(filepath.Join(dir, "starts")), "\n"); n < 8 {
				t.Fatalf("the logger started %d times, want at least 8", n)
			}
			w.run("exit", "counter")
			if code := p.wait(t); code != 0 {
				t.Fatalf("runsv exit %d", code)
			}
		})
	}
}

// TestPlantedSymlinksNotFollowed: symbolic links planted in supervise/ in
// place of status.new, stat.new and pid.new are replaced, never written
// through.
func TestPlantedSymlinksNotFollowed(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "supervise/.keep": ""})
	victim := filepath.Join(w.root, "victim")
	os.WriteFile(victim, []byte("precious"), 0644)
	for _, f := range []string{"status.new", "stat.new", "pid.new"} {
		if err := os.Symlink(victim, filepath.Join(dir, "supervise", f)); err != nil {
			t.Fatal(err)
		}
	}
	w.start(testenv.Bin(t, "runsv"), "svc")
	waitStatus(t, filepath.Join(dir, "supervise/status"), "up", isUp)
	if got := cat(victim); got != "precious" {
		t.Fatalf("runsv wrote through a planted symlink: %q", got)
	}
	if got := cat(filepath.Join(dir, "supervise/stat")); got != "run\n" {
		t.Fatalf("stat %q", got)
	}
	w.run("exit", "svc")
}

// TestModes: supervise/ is 0700, control, ok and lock 0600, status, stat
// and pid 0644, whatever the umask gives (runsv is started with umask 022
// here, as under runsvdir).
func TestModes(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "log/run": "#!/bin/sh\nexec cat\n"})
	w.start(testenv.Bin(t, "runsv"), "svc")
	waitStatus(t, filepath.Join(dir, "log/supervise/status"), "log up", isUp)
	want := map[string]os.FileMode{
		"supervise": os.ModeDir | 0700, "supervise/control": os.ModeNamedPipe | 0600,
		"supervise/ok": os.ModeNamedPipe | 0600, "supervise/lock": 0600,
		"supervise/status": 0644, "supervise/stat": 0644, "supervise/pid": 0644,
		"log/supervise": os.ModeDir | 0700, "log/supervise/control": os.ModeNamedPipe | 0600,
	}
	for name, mode := range want {
		fi, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode() != mode {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), mode)
		}
	}
	w.run("exit", "svc")
}
