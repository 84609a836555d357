//go:build qemu

package qemutest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// The example services (etc-examples/etc/runit/runsvdir/default).
var services = []string{"console", "greeter", "httpd"}

// svlogd -tt stamps: 2006-01-02_15:04:05.12345 (UTC).
const stampRE = `\d{4}-\d\d-\d\d_\d\d:\d\d:\d\d\.\d{5} `

func scriptsImage(t *testing.T) string {
	return image(t, "scripts", nil, testTools)
}

// bootStages waits for runit's start and stages 1 and 2 of the example
// scripts, then for the console shell.
func bootStages(t *testing.T, v *vm) {
	t.Helper()
	v.expect(`(?m)^- runit: \$Id: [0-9a-f]{40} \$: booting\.$`, bootDeadline)
	v.expectLines(bootDeadline,
		"- runit: enter stage: /etc/runit/1",
		"stage 1: mounting the API file systems...",
		"stage 1: done.",
		"- runit: leave stage: /etc/runit/1",
		"- runit: enter stage: /etc/runit/2")
	v.waitPrompt()
}

// allUp waits until every example service is up and its check passes,
// and returns sv status' lines.
func allUp(t *testing.T, v *vm) []string {
	t.Helper()
	// The console shell can be up before runsvdir started every runsv:
	// wait until sv status shows each service running.
	allRun := `^`
	for _, s := range services {
		allRun += `run: /etc/service/` + s + `: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s\n`
	}
	v.until("sv status /etc/service/*", strings.TrimSuffix(allRun, `\n`)+`$`, bootDeadline)
	// sv prints each service's line as soon as it passes.
	out := strings.Join(v.shOK("sv -w 60 check /etc/service/*"), "\n")
	for _, s := range services {
		if !regexp.MustCompile(`(?m)^ok: run: /etc/service/` + s + `: \(pid \d+\) \d+s$`).MatchString(out) {
			t.Fatalf("sv check: want ok: run: for %s, got:\n%s", s, out)
		}
	}
	if n := strings.Count(out, "\n") + 1; n != len(services) {
		t.Errorf("sv check printed %d lines, want %d:\n%s", n, len(services), out)
	}
	st := v.shOK("sv status /etc/service/*")
	if len(st) != len(services) {
		t.Fatalf("sv status: %d lines, want %d:\n%s", len(st), len(services), strings.Join(st, "\n"))
	}
	for i, s := range services {
		re := `^run: /etc/service/` + s + `: \(pid \d+\) \d+s; run: log: \(pid \d+\) \d+s$`
		if !regexp.MustCompile(re).MatchString(st[i]) {
			t.Errorf("sv status line %d = %q, want %s", i, st[i], re)
		}
	}
	return st
}

// powerOff runs runit-init 0 and checks that stage 3 stopped every
// service before the machine powered off.
func powerOff(t *testing.T, v *vm, builtin bool) {
	t.Helper()
	sfx := ""
	if builtin {
		sfx = " (built-in)"
	}
	stage3 := "/etc/runit/3" + sfx
	v.typeText("runit-init 0\n")
	v.expectLines(downDeadline,
		"- runit: leave stage: /etc/runit/2"+sfx,
		"- runit: enter stage: "+stage3)
	if !builtin {
		v.expectLines(downDeadline, "stage 3: runlevel 0", "Waiting for services to stop...")
		// sv force-stop prints one line per service once it is down
		// ("kill:" if it had to be killed), in the order they stop.
		block := v.upTo("Sending TERM to all processes...", downDeadline)
		for _, s := range services {
			if !regexp.MustCompile(`(?m)^ok: down: /etc/service/` + s + `: \d+s, normally up$`).MatchString(block) {
				t.Errorf("stage 3 did not report %s down:\n%s", s, block)
			}
		}
		v.expectLines(downDeadline, "stage 3: done.", "- runit: leave stage: /etc/runit/3")
	} else {
		v.expectLines(downDeadline, "- runit: leave stage: "+stage3)
	}
	v.expectLines(downDeadline,
		"- runit: sending KILL signal to all processes...",
		"- runit: power off...")
	v.expect(`reboot: Power down`, downDeadline)
	if r := v.waitExit(downDeadline); r != "guest-shutdown" {
		t.Errorf("QMP SHUTDOWN reason %q, want guest-shutdown (power off)", r)
	}
	if text := v.con.text(); strings.Contains(text, "services still running") || strings.Contains(text, "service not down after") || strings.Contains(text, "kill: /etc/service/") {
		t.Errorf("stage 3 had to kill services")
	}
	v.checkClean()
	v.noWarnings()
}

// TestExampleTree boots the example tree with its stage scripts and
// exercises the services, then powers off with runit-init 0.
func TestExampleTree(t *testing.T) {
	t.Parallel()
	v := boot(t, "scripts", scriptsImage(t))
	bootStages(t, v)
	allUp(t, v)

	// Stage 1's work.
	if out := v.shOK("hostname"); len(out) != 1 || out[0] != "gorunit" {
		t.Errorf("hostname = %q, want gorunit", out)
	}
	mounts := strings.Join(v.shOK("cat /proc/mounts"), "\n")
	for _, m := range []string{" /proc proc ", " /sys sysfs ", " /dev devtmpfs ", " /dev/pts devpts ", " /dev/shm tmpfs ", " /run tmpfs "} {
		if !strings.Contains(mounts, m) {
			t.Errorf("/proc/mounts lacks %q", m)
		}
	}
	if out := v.shOK("ls -l /run/runit.stopit /run/runit.reboot"); !strings.HasPrefix(out[0], "----------") || !strings.HasPrefix(out[1], "----------") {
		t.Errorf("flag files not disarmed by stage 1:\n%s", strings.Join(out, "\n"))
	}
	// The console shell is a session leader with ttyS0 as its
	// controlling terminal, outside every service's process group.
	if out := v.shOK("sh -c 'cat /proc/$(cat /etc/service/console/supervise/pid)/stat'"); len(out) != 1 || !ctty(out[0]) {
		t.Errorf("console shell's stat: %q: want session leader with a controlling tty", out)
	}

	// httpd answers on the loopback interface, with the hostname stage 1 set.
	if out := v.shOK("wget -q -O - http://127.0.0.1/"); !strings.Contains(strings.Join(out, "\n"), "gorunit on gorunit") {
		t.Errorf("httpd answered %q", out)
	}
	// greeter: envdir's GREETING, run as nobody (chpst -u nobody).
	if out := v.shOK("sh -c 'echo | nc -w 5 127.0.0.1 7777'"); len(out) != 1 || out[0] != "Hello from gorunit (uid 65534)" {
		t.Errorf("greeter answered %q", out)
	}
	ids := strings.Join(v.shOK(`sh -c 'grep -E "^(Uid|Gid|Groups):" /proc/$(cat /etc/service/greeter/supervise/pid)/status'`), "\n")
	for _, re := range []string{`Uid:\s+65534\s+65534\s+65534\s+65534`, `Gid:\s+65534\s+65534\s+65534\s+65534`, `Groups:\s*65534\s*(\n|$)`} {
		if !regexp.MustCompile(re).MatchString(ids) {
			t.Errorf("greeter's credentials:\n%s\nwant %s", ids, re)
		}
	}

	// Every service logs into /var/log/<name>/current through svlogd -tt.
	v.until("cat /var/log/console/current", `(?m)^`+stampRE+`starting a root shell on /dev/ttyS0$`, cmdDeadline)
	v.until("cat /var/log/httpd/current", `(?m)^`+stampRE+`starting httpd on 127\.0\.0\.1:80$`, cmdDeadline)
	v.until("cat /var/log/httpd/current", `(?m)^`+stampRE+`127\.0\.0\.1:\d+: url:/$`, cmdDeadline)
	v.until("cat /var/log/greeter/current", `(?m)^`+stampRE+`starting greeter as nobody$`, cmdDeadline)
	v.until("cat /var/log/greeter/current", `(?m)^`+stampRE+`greeted a client$`, cmdDeadline)

	// sv down / up / restart.
	v.shOK("sv down /etc/service/httpd")
	v.until("sv status /etc/service/httpd", `^down: /etc/service/httpd: \d+s, normally up; run: log: `, cmdDeadline)
	if _, code := v.sh("timeout 5 wget -q -O /dev/null http://127.0.0.1/"); code == 0 {
		t.Errorf("httpd still answers after sv down")
	}
	v.shOK("sv -w 30 up /etc/service/httpd")
	out := v.shOK("sv -w 30 check /etc/service/httpd")
	pid1 := regexp.MustCompile(`(?m)^ok: run: /etc/service/httpd: \(pid (\d+)\)`).FindStringSubmatch(strings.Join(out, "\n"))
	if pid1 == nil {
		t.Fatalf("sv check after up: %q", out)
	}
	out = v.shOK("sv -w 30 restart /etc/service/httpd")
	pid2 := regexp.MustCompile(`(?m)^ok: run: /etc/service/httpd: \(pid (\d+)\)`).FindStringSubmatch(strings.Join(out, "\n"))
	if pid2 == nil || pid2[1] == pid1[1] {
		t.Fatalf("sv restart: %q (pid before: %s)", out, pid1[1])
	}
	v.shOK("timeout 5 wget -q -O /dev/null http://127.0.0.1/")

	// An orphan storm: 400 orphans re-parented to process 1, exiting
	// together; afterwards no zombie is left.
	out = v.shOK("storm 200")
	if len(out) != 1 || out[0] != "orphans of process 1: 400" {
		t.Fatalf("storm: %q, want 400 orphans of process 1", out)
	}
	v.until("zombies", `^zombies=0 orphans=0$`, 120*time.Second)

	powerOff(t, v, false)
}

// ctty reports whether a /proc/PID/stat line shows a session leader with
// a controlling terminal.
func ctty(stat string) bool {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return false
	}
	f := strings.Fields(stat[i+1:])
	// state ppid pgrp session tty_nr
	return len(f) > 4 && f[3] == strings.Fields(stat)[0] && f[4] != "0"
}

// TestStage2RestartAndReboot: a stage 2 that exits 111 is restarted
// (after its process group is killed), and runit-init 6 reboots.
func TestStage2RestartAndReboot(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile(filepath.Join(testenv.Root(t), "etc-examples", "etc", "runit", "2"))
	if err != nil {
		t.Fatal(err)
	}
	img := image(t, "stage2-111", nil, merge(testTools, map[string]string{
		"etc/runit/2.example": string(example),
		"etc/runit/2": `#!/bin/sh
# Test: the first stage 2 leaves a process in its group and exits 111;
# the next one is the example's.
if [ ! -e /run/stage2-failed ]; then
	: >/run/stage2-failed
	sleep 1000 &
	echo $! >/run/stage2-child
	echo "stage 2: exiting 111"
	exit 111
fi
exec /etc/runit/2.example
`,
	}))
	v := boot(t, "stage2-111", img)
	v.expectLines(bootDeadline,
		"- runit: enter stage: /etc/runit/2",
		"stage 2: exiting 111",
		"- runit: warning: child failed: /etc/runit/2",
		"- runit: warning: killing all processes in stage 2...",
		"- runit: warning: restarting.",
		"- runit: enter stage: /etc/runit/2")
	v.waitPrompt()
	allUp(t, v)
	// The first stage 2's background process was killed with its group.
	if out, code := v.sh("sh -c 'kill -0 $(cat /run/stage2-child)'"); code == 0 {
		t.Errorf("stage 2's child survived the restart: %q", out)
	}
	v.typeText("runit-init 6\n")
	v.expectLines(downDeadline,
		"- runit: leave stage: /etc/runit/2",
		"- runit: enter stage: /etc/runit/3",
		"stage 3: runlevel 6",
		"stage 3: done.",
		"- runit: leave stage: /etc/runit/3",
		"- runit: sending KILL signal to all processes...",
		"- runit: system reboot.")
	v.expect(`reboot: Restarting system`, downDeadline)
	if r := v.waitExit(downDeadline); r != "guest-reset" {
		t.Errorf("QMP SHUTDOWN reason %q, want guest-reset (reboot)", r)
	}
	if strings.Contains(v.con.text(), "power off...") {
		t.Errorf("runit-init 6 powered off")
	}
	v.checkClean()
	v.noWarnings("child failed: /etc/runit/2", "killing all processes in stage 2...", "restarting.")
}

// TestCtrlAltDel: Ctrl-Alt-Del on the keyboard runs /etc/runit/ctrlaltdel,
// which arms a reboot.
func TestCtrlAltDel(t *testing.T) {
	t.Parallel()
	v := boot(t, "scripts", scriptsImage(t))
	bootStages(t, v)
	allUp(t, v)
	v.ctrlAltDel()
	v.expectLines(downDeadline,
		"- runit: ctrl-alt-del request...",
		"- runit: enter stage: /etc/runit/ctrlaltdel",
		"ctrl-alt-del: the system is going down for reboot NOW",
		"- runit: leave stage: /etc/runit/ctrlaltdel",
		"- runit: leave stage: /etc/runit/2",
		"- runit: enter stage: /etc/runit/3",
		"stage 3: runlevel 6",
		"stage 3: done.",
		"- runit: sending KILL signal to all processes...",
		"- runit: system reboot.")
	v.expect(`reboot: Restarting system`, downDeadline)
	if r := v.waitExit(downDeadline); r != "guest-reset" {
		t.Errorf("QMP SHUTDOWN reason %q, want guest-reset (reboot)", r)
	}
	v.checkClean()
	v.noWarnings()
}

// TestBuiltinStages boots the example tree without /etc/runit/1, 2, 3 and
// ctrlaltdel: runit's built-in stages mount, name and network the
// machine, run the services and stop them.
func TestBuiltinStages(t *testing.T) {
	t.Parallel()
	v := boot(t, "builtin", image(t, "builtin", []string{"-B"}, testTools))
	v.expectLines(bootDeadline,
		"- runit: enter stage: /etc/runit/1 (built-in)",
		"- runit: leave stage: /etc/runit/1 (built-in)",
		"- runit: enter stage: /etc/runit/2 (built-in)")
	v.waitPrompt()
	allUp(t, v)
	if out := v.shOK("hostname"); len(out) != 1 || out[0] != "gorunit" {
		t.Errorf("hostname = %q, want gorunit", out)
	}
	mounts := strings.Join(v.shOK("cat /proc/mounts"), "\n")
	for _, m := range []string{" /proc proc ", " /sys sysfs ", " /dev devtmpfs ", " /dev/pts devpts ", " /dev/shm tmpfs ", " /run tmpfs "} {
		if !strings.Contains(mounts, m) {
			t.Errorf("/proc/mounts lacks %q", m)
		}
	}
	if out := v.shOK("wget -q -O - http://127.0.0.1/"); !strings.Contains(strings.Join(out, "\n"), "gorunit on gorunit") {
		t.Errorf("httpd answered %q (loopback up?)", out)
	}
	// The built-in stage 2 hosts every service in process 1: no runsvdir,
	// no runsv (the loggers run as processes).
	if ps := strings.Join(v.shOK("ps"), "\n"); strings.Contains(ps, "runsvdir") || strings.Contains(ps, "runsv ") ||
		!strings.Contains(ps, "svlogd -tt /var/log/httpd") {
		t.Errorf("ps under the built-in stage 2 (want no runsvdir, no runsv, the loggers):\n%s", ps)
	}
	powerOff(t, v, true)
}
