package stages

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// descendants returns the comm names of every descendant of pid.
func descendants(pid int) []string {
	var names []string
	kids, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	for _, f := range strings.Fields(string(kids)) {
		c, _ := strconv.Atoi(f)
		comm, _ := os.ReadFile("/proc/" + f + "/comm")
		names = append(names, strings.TrimSpace(string(comm)))
		names = append(names, descendants(c)...)
	}
	return names
}

// TestHostedTree: under the built-in stage 2, process 1 hosts every
// service itself: no runsvdir and no runsv process, supervise/ as runsv
// keeps it (runit's sv and ours read and control it), log/run on its
// pipe, and the output of services without log/ on process 1's standard
// output, whole lines prefixed with the service's name.
func TestHostedTree(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "hosted", env: []string{runsvdirPath(t)},
		files: map[string]string{"nosync": "", "1": "#!/bin/sh\n"},
		svc: map[string]string{
			"plain":  "#!/bin/sh\necho one\nprintf 'part'; sleep 0.2; echo 'ial line' >&2\ngrep SigIgn /proc/$$/status\nexec sleep 1000000\n",
			"logged": "#!/bin/sh\necho to-log\nexec sleep 1000000\n",
		},
		svcFiles: map[string]string{
			"logged/log/run":   "#!/bin/sh\nexec svlogd ./main\n",
			"logged/log/main/": "",
		}}
	b := boot(t, sc, testenv.Bin(t, "runit"))
	b.waitLine("plain: one")
	b.waitLine("plain: partial line")
	// No signal ignored in a service process 1 started: execve keeps
	// SIG_IGN, so process 1 catches what it must survive instead.
	b.waitLine("plain: SigIgn:\t0000000000000000")
	for _, n := range descendants(b.pid) {
		if n == "runsv" || n == "runsvdir" {
			t.Errorf("process 1 started %s: %q", n, descendants(b.pid))
		}
	}
	sv := testenv.Bin(t, "sv")
	runitSv := testenv.Oracle(t, "sv")
	status := regexp.MustCompile(`^run: /etc/service/logged: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\n$`)
	for _, bin := range []string{sv, runitSv} {
		if out := b.nsenter(bin, "status", "/etc/service/logged"); !status.MatchString(out) {
			t.Errorf("%s status: %q", bin, out)
		}
	}
	if out := b.nsenter(runitSv, "-w", "5", "down", "/etc/service/plain"); !strings.HasPrefix(out, "ok: down: /etc/service/plain: ") {
		t.Errorf("runit's sv down: %q", out)
	}
	if out := b.nsenter(sv, "-w", "5", "up", "/etc/service/plain"); !strings.HasPrefix(out, "ok: run: /etc/service/plain: ") {
		t.Errorf("sv up: %q", out)
	}
	b.waitLine("plain: one")
	testenv.WaitFor(t, testenv.Deadline, "the logger's line", func() bool {
		out, _ := b.Nsenter("cat", "/etc/service/logged/log/main/current")
		return out == "to-log\n"
	})
	b.kill(syscall.SIGTERM)
	if o := b.outcome(); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
}

// TestHostedMainService: a service with main-service ends the container
// with its own exit code (128+signal if killed), after stage 3 took the
// other services down; `sv restart` of it does not.
func TestHostedMainService(t *testing.T) {
	t.Parallel()
	other := "#!/bin/sh\ntrap 'echo got TERM; exit 0' TERM\necho up\nwhile :; do sleep 1 & wait $!; done\n"
	for _, c := range []struct {
		name, run, outcome string
		restart            bool
	}{
		{"exit7", "#!/bin/sh\necho started\nwhile [ ! -e /run/end ]; do sleep 0.05; done\nexit 7\n", "exit 7", false},
		{"killed", "#!/bin/sh\necho started\nwhile [ ! -e /run/end ]; do sleep 0.05; done\nkill -KILL $$\n", "exit 137", false},
		{"restart-first", "#!/bin/sh\necho started\nwhile [ ! -e /run/end ]; do sleep 0.05; done\nexit 3\n", "exit 3", true},
		// Stopped from outside (docker stop): the shutdown's, not the
		// main service's, exit code (its shell dies of the TERM).
		{"stopped", "#!/bin/sh\necho started\nexec sleep 1000000\n", "exit 0", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sc := scenario{name: "main-" + c.name, env: []string{runsvdirPath(t)},
				files:    map[string]string{"nosync": "", "1": "#!/bin/sh\n"},
				svc:      map[string]string{"app": c.run, "other": other},
				svcFiles: map[string]string{"app/main-service": ""}}
			b := boot(t, sc, testenv.Bin(t, "runit"))
			b.waitLine("app: started")
			b.waitLine("other: up")
			if c.restart {
				// A restart asked for with sv is a restart.
				out := b.nsenter(testenv.Bin(t, "sv"), "restart", "/etc/service/app")
				if !strings.HasPrefix(out, "ok: run: ") {
					t.Errorf("sv restart: %q", out)
				}
				testenv.WaitFor(t, testenv.Deadline, "app started twice", func() bool {
					n := 0
					for _, l := range b.Lines() {
						if l == "app: started" {
							n++
						}
					}
					return n == 2
				})
			}
			if c.name == "stopped" {
				b.kill(syscall.SIGTERM)
			} else {
				os.WriteFile(b.root("/run/end"), nil, 0o644)
			}
			if o := b.outcome(); o != c.outcome {
				t.Errorf("outcome %q, want %q", o, c.outcome)
			}
			if !b.has("other: got TERM") {
				t.Errorf("the other service was not stopped: %q", b.Lines())
			}
			if b.has("signals only work in stage 2") {
				t.Errorf("the main service's end during stage 3 was taken for a signal: %q", b.Lines())
			}
		})
	}
}
