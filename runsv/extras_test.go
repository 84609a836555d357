package runsv_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	status "gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/internal/testenv"
)

func exists(path string) bool { _, err := os.Stat(path); return err == nil }

// TestReadiness: with notification-fd, supervise/ready appears only once
// the service writes a newline on that descriptor, and goes away when the
// service stops; status stays runit's 20 bytes.
func TestReadiness(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	flag := filepath.Join(w.root, "go")
	dir := w.service("rdy", map[string]string{
		"notification-fd": "5\n",
		"run":             "#!/bin/sh\nwhile [ ! -e " + flag + " ]; do sleep 0.05; done\necho >&5\nexec sleep 100 5>&-\n",
	})
	ready := filepath.Join(dir, "supervise/ready")
	st := filepath.Join(dir, "supervise/status")
	w.start(testenv.Bin(t, "runsv"), "rdy")
	waitStatus(t, st, "up", isUp)
	if exists(ready) {
		t.Fatal("ready before the service said so")
	}
	os.WriteFile(flag, nil, 0644)
	testenv.WaitFor(t, testenv.Deadline, "supervise/ready", func() bool { return exists(ready) })
	b, _ := os.ReadFile(ready)
	if _, ok := tai64.ParseText(b); !ok || len(b) != tai64.TextLen+1 || b[len(b)-1] != '\n' {
		t.Fatalf("ready holds %q", b)
	}
	if fi, _ := os.Stat(st); fi.Size() != status.Size {
		t.Fatalf("status is %d bytes", fi.Size())
	}
	w.run("-v", "down", "rdy")
	if exists(ready) {
		t.Fatal("ready left behind after the service stopped")
	}
	w.run("exit", "rdy")
}

// TestNeverReady: a service that closes its notification descriptor
// without a newline never becomes ready.
func TestNeverReady(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("nr", map[string]string{
		"notification-fd": "3",
		"run":             "#!/bin/sh\nexec 3>&-\necho closed > ../closed\nexec sleep 100\n",
	})
	w.start(testenv.Bin(t, "runsv"), "nr")
	testenv.WaitFor(t, testenv.Deadline, "the descriptor closed", func() bool { return exists(filepath.Join(w.root, "closed")) })
	// runsv has seen the EOF once the poll loop ran; a status write after
	// a command proves the loop went round.
	w.run("-v", "pause", "nr")
	if exists(filepath.Join(dir, "supervise/ready")) {
		t.Fatal("ready without a newline")
	}
	w.run("exit", "nr")
}

// TestTimeoutKill: a service that ignores SIGTERM, with timeout-kill 1000,
// goes down on `sv -w 5 down` (runit's sv) about a second after the TERM.
func TestTimeoutKill(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("stubborn", map[string]string{
		"timeout-kill": "1000\n",
		"run":          "#!/bin/sh\ntrap '' TERM\necho ready > ../ready\nwhile :; do sleep 0.05; done\n",
	})
	w.start(testenv.Bin(t, "runsv"), "stubborn")
	waitStatus(t, filepath.Join(dir, "supervise/status"), "up", isUp)
	testenv.WaitFor(t, testenv.Deadline, "TERM trapped", func() bool { return exists(filepath.Join(w.root, "ready")) })
	out, _, code := w.run("-w", "5", "down", "stubborn")
	if code != 0 || !strings.HasPrefix(out, "ok: down: stubborn:") {
		t.Fatalf("sv -w 5 down: %q exit %d", out, code)
	}
	w.run("exit", "stubborn")
}

// TestTimeoutFinish: a ./finish that outlives timeout-finish is killed.
func TestTimeoutFinish(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("slowfin", map[string]string{
		"timeout-finish": "300",
		"run":            "#!/bin/sh\nexec sleep 100\n",
		"finish":         "#!/bin/sh\nexec sleep 100\n",
	})
	w.start(testenv.Bin(t, "runsv"), "slowfin")
	st := filepath.Join(dir, "supervise/status")
	waitStatus(t, st, "up", isUp)
	out, _, code := w.run("-w", "5", "down", "slowfin")
	if code != 0 || !strings.HasPrefix(out, "ok: down: slowfin:") {
		t.Fatalf("sv -w 5 down: %q exit %d", out, code)
	}
	w.run("exit", "slowfin")
}

// TestBackoff: with backoff 8, a service that fails at once is restarted
// after 1 s, 2 s, 4 s (never sooner), and `sv down` during a wait is obeyed
// at once: no further start.
func TestBackoff(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	starts := filepath.Join(w.root, "starts")
	dir := w.service("flaky", map[string]string{
		"backoff": "8",
		"run":     "#!/bin/sh\ndate +%s.%N >> " + starts + "\nexit 1\n",
	})
	w.start(testenv.Bin(t, "runsv"), "flaky")
	times := func() []float64 {
		var v []float64
		b, _ := os.ReadFile(starts)
		for _, l := range strings.Fields(string(b)) {
			f, _ := strconv.ParseFloat(l, 64)
			v = append(v, f)
		}
		return v
	}
	testenv.WaitFor(t, testenv.Deadline, "four starts", func() bool { return len(times()) >= 4 })
	v := times()
	for i, want := range []float64{1, 2, 4} {
		if got := v[i+1] - v[i]; got < want-0.05 {
			t.Fatalf("restart %d came after %.2fs, before its %vs backoff (starts %v)", i+1, got, want, v)
		}
	}
	// Now in an 8 s wait: 'd' shows at once and nothing starts again.
	n := len(times())
	w.write("flaky/supervise/control", "d")
	waitStatus(t, filepath.Join(dir, "supervise/status"), "want down", func(r status.Record) bool { return r.Want == status.WantDown })
	if len(times()) != n {
		t.Fatal("started during the 'd'")
	}
	// `sv up` cuts the wait to runit's one second.
	begin := time.Now()
	w.write("flaky/supervise/control", "u")
	testenv.WaitFor(t, testenv.Deadline, "a start after sv up", func() bool { return len(times()) > n })
	if time.Since(begin) >= 8*time.Second {
		t.Fatalf("sv up waited out the whole backoff (%v)", time.Since(begin))
	}
	w.run("exit", "flaky")
}

// TestReadinessFlood: a service that writes a line of more than 4096
// bytes on its notification-fd never becomes ready; runsv closes the pipe
// with a warning and goes on answering commands.
func TestReadinessFlood(t *testing.T) {
	testenv.RequireRoot(t)
	w := newWorld(t)
	dir := w.service("flood", map[string]string{
		"notification-fd": "4\n",
		"run":             "#!/bin/sh\nprintf '%5000s\\n' x >&4\necho wrote > ../wrote\nexec sleep 100 4>&-\n",
	})
	p := w.start(testenv.Bin(t, "runsv"), "flood")
	testenv.WaitFor(t, testenv.Deadline, "the warning", func() bool {
		return strings.Contains(p.output(), "runsv flood: warning: notification-fd: readiness line longer than 4096 bytes, pipe closed\n")
	})
	testenv.WaitFor(t, testenv.Deadline, "the writes done", func() bool { return exists(filepath.Join(w.root, "wrote")) })
	out, _, code := w.run("-v", "pause", "flood")
	if code != 0 || !strings.Contains(out, "paused") {
		t.Fatalf("sv pause after the flood: %q exit %d", out, code)
	}
	if exists(filepath.Join(dir, "supervise/ready")) {
		t.Fatal("ready after a line longer than the limit")
	}
	w.run("exit", "flood")
}
