package sv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"gorunit/internal/supervise"
)

// Cross-compatibility: for every case, runit's sv and ours each run
// against a fresh world in the same state, once with runit's runsv and
// once with ours; stdout, stderr and the exit code must agree after
// normalising pids and seconds. runit's output must also be the expected
// one, so that a broken setup cannot pass silently.

const (
	runSleep = "#!/bin/sh\nexec sleep 1000\n"
	// ignores every signal sv can send except TERM (and KILL, STOP)
	runIgnoring = "#!/bin/sh\ntrap '' HUP INT QUIT USR1 USR2 ALRM\nexec sleep 1000\n"
	runStubborn = "#!/bin/sh\ntrap '' TERM\nexec sleep 1000\n"
	finishSlow  = "#!/bin/sh\nexec sleep 3\n"
	logCat      = "#!/bin/sh\nexec cat >/dev/null\n"
	// passes on its third run (the count is kept in the service dir)
	checkThird = "#!/bin/sh\nn=$(cat count 2>/dev/null || echo 0)\nn=$((n+1))\necho $n >count\ntest $n -ge 3\n"
	checkFail  = "#!/bin/sh\nexit 1\n"
	checkNoX   = "exit 1\n" // not executable: exec fails, counts as success
	checkKill  = "#!/bin/sh\nkill -9 $$\n"
	// passes only when run in the service dir with stdout closed
	checkEnv = "#!/bin/sh\n[ -f run ] || exit 1\nif echo x 2>/dev/null; then exit 1; fi\nexit 0\n"
)

// setup brings a world into a state.
type setup func(w *world) error

func isUp(r supervise.Record) bool { return r.PID != 0 && r.State == supervise.Run }

// started writes the files and starts runsv on svc.
func started(files map[string]string, then func(w *world) error) setup {
	return func(w *world) error {
		if err := w.files(files); err != nil {
			return err
		}
		if _, err := w.start("svc"); err != nil {
			return err
		}
		return then(w)
	}
}

func svcFiles(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m["svc/"+kv[i]] = kv[i+1]
	}
	return m
}

// waitUp waits for svc to run and the clock to pass its start second.
func waitUp(w *world) error {
	if err := w.until("svc", "run", isUp); err != nil {
		return err
	}
	return w.settle("svc")
}

// waitDown waits for runsv to write the status of svc (down, because of a
// down file), then removes the down file.
func waitDown(w *world) error {
	if err := w.until("svc", "status", func(supervise.Record) bool { return true }); err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(w.dir, "svc", "down")); err != nil {
		return err
	}
	return w.settle("svc")
}

func then(steps ...func(w *world) error) func(w *world) error {
	return func(w *world) error {
		for _, s := range steps {
			if err := s(w); err != nil {
				return err
			}
		}
		return nil
	}
}

func send(c string) func(w *world) error {
	return func(w *world) error { return w.control("svc", c) }
}

func until(what string, cond func(supervise.Record) bool) func(w *world) error {
	return func(w *world) error { return w.until("svc", what, cond) }
}

var (
	stUp           = started(svcFiles("run", runIgnoring), waitUp)
	stDown         = started(svcFiles("run", runSleep, "down", ""), waitDown)
	stNormallyDown = started(svcFiles("run", runSleep, "down", ""), then(
		until("status", func(supervise.Record) bool { return true }), send("u"), waitUp))
	stPaused   = started(svcFiles("run", runSleep), then(waitUp, send("p"), until("paused", func(r supervise.Record) bool { return r.Paused })))
	stWantDown = started(svcFiles("run", runSleep), then(waitUp, send("o"), until("want down", func(r supervise.Record) bool { return r.Want == 'd' })))
	stGotTerm  = started(svcFiles("run", runStubborn), then(waitUp, send("d"), until("got TERM", func(r supervise.Record) bool { return r.Term })))
	stFinish   = started(svcFiles("run", runSleep, "finish", finishSlow), then(waitUp, send("d"),
		until("finish", func(r supervise.Record) bool { return r.State == supervise.Finish && r.PID != 0 })))
	stLog = started(svcFiles("run", runSleep, "log/run", logCat), then(waitUp, func(w *world) error {
		return w.until("svc/log", "log run", isUp)
	}))
	stLogMainDown = started(svcFiles("run", runSleep, "down", "", "log/run", logCat), then(func(w *world) error {
		return w.until("svc/log", "log run", isUp)
	}, waitDown))
	stMissing     = func(w *world) error { return nil }
	stNoSupervise = func(w *world) error { return w.files(svcFiles("run", runSleep)) }
)

// stGone: a runsv ran on svc and is gone (killed with its service).
func stGone(w *world) error {
	if err := w.files(svcFiles("run", runSleep)); err != nil {
		return err
	}
	cmd, err := w.start("svc")
	if err != nil {
		return err
	}
	if err := w.until("svc", "run", isUp); err != nil {
		return err
	}
	w.stop(cmd)
	return w.gone("svc")
}

// stMulti: svc up, gone down (runsv gone); nosuch does not exist.
func stMulti(w *world) error {
	if err := stUp(w); err != nil {
		return err
	}
	if err := w.files(map[string]string{"gone/run": runSleep}); err != nil {
		return err
	}
	cmd, err := w.start("gone")
	if err != nil {
		return err
	}
	if err := w.until("gone", "run", isUp); err != nil {
		return err
	}
	w.stop(cmd)
	return w.gone("gone")
}

func stCheck(script string) setup {
	return started(svcFiles("run", runSleep, "check", script), waitUp)
}

func stCheckDown(script string) setup {
	return started(svcFiles("run", runSleep, "check", script, "down", ""), waitDown)
}

type compatCase struct {
	name   string
	state  setup
	lsb    bool     // run as /…/initd/svc (LSB mode)
	args   []string // after argv[0]
	stdout string   // runit's stdout, normalised
	code   int
	stderr string // runit's stderr, normalised
	env    []string
	after  func(w *world) error
}

func compatCases() []compatCase {
	a := func(s ...string) []string { return s }
	downAfter := until("down", func(r supervise.Record) bool { return r.PID == 0 && r.State == supervise.Down })
	return []compatCase{
		// up
		{name: "up/status", state: stUp, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns\n"},
		{name: "up/s", state: stUp, args: a("s", "svc"), stdout: "run: svc: (pid N) Ns\n"},
		{name: "up/-v status", state: stUp, args: a("-v", "status", "svc"), stdout: "run: svc: (pid N) Ns\n"},
		{name: "up/up", state: stUp, args: a("up", "svc")},
		{name: "up/-v up", state: stUp, args: a("-v", "up", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v down", state: stUp, args: a("-v", "down", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "up/stop", state: stUp, args: a("stop", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "up/-w 3 restart", state: stUp, args: a("-w", "3", "restart", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/try-restart", state: stUp, args: a("try-restart", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/force-restart", state: stUp, args: a("force-restart", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/force-reload", state: stUp, args: a("force-reload", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v term", state: stUp, args: a("-v", "term", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v kill", state: stUp, args: a("-v", "kill", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v pause", state: stUp, args: a("-v", "pause", "svc"), stdout: "ok: run: svc: (pid N) Ns, paused\n"},
		{name: "up/-v cont", state: stUp, args: a("-v", "cont", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v once", state: stUp, args: a("-v", "once", "svc"), stdout: "ok: run: svc: (pid N) Ns, want down\n"},
		{name: "up/-v hup", state: stUp, args: a("-v", "hup", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/reload", state: stUp, args: a("reload", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v alarm twice", state: stUp, args: a("-v", "alarm", "svc", "svc"), stdout: "ok: run: svc: (pid N) Ns\nok: run: svc: (pid N) Ns\n"},
		{name: "up/-v interrupt", state: stUp, args: a("-v", "interrupt", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v quit", state: stUp, args: a("-v", "quit", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v 1", state: stUp, args: a("-v", "1", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/-v 2", state: stUp, args: a("-v", "2", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/check", state: stUp, args: a("check", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/exit", state: stUp, args: a("exit", "svc")},
		{name: "up/-v exit", state: stUp, args: a("-v", "exit", "svc"), stdout: "ok: svc: runsv not running\n"},
		{name: "up/shutdown", state: stUp, args: a("shutdown", "svc"), stdout: "ok: svc: runsv not running\n"},
		{name: "up/by path", state: stUp, args: a("status", "./svc", "svc/", "./svc/"), stdout: "run: ./svc: (pid N) Ns\nrun: svc/: (pid N) Ns\nrun: ./svc/: (pid N) Ns\n"},
		{name: "up/lsb status", state: stUp, lsb: true, args: a("status"), stdout: "run: svc: (pid N) Ns\n"},
		{name: "up/lsb stop", state: stUp, lsb: true, args: a("stop"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "up/lsb restart", state: stUp, lsb: true, args: a("restart"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/lsb reload", state: stUp, lsb: true, args: a("reload"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "up/lsb -w 1 shutdown", state: stUp, lsb: true, args: a("-w", "1", "shutdown"), stdout: "ok: svc: runsv not running\n"},
		// down, normally up
		{name: "down/status", state: stDown, args: a("status", "svc"), stdout: "down: svc: Ns, normally up\n"},
		{name: "down/-v up", state: stDown, args: a("-v", "up", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "down/start", state: stDown, args: a("start", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "down/-v down", state: stDown, args: a("-v", "down", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "down/-v once", state: stDown, args: a("-v", "once", "svc"), stdout: "ok: run: svc: (pid N) Ns, want down\n"},
		{name: "down/-w 1 term", state: stDown, args: a("-w", "1", "term", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "down/-w 1 cont", state: stDown, args: a("-w", "1", "cont", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "down/check", state: stDown, args: a("check", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "down/lsb status", state: stDown, lsb: true, args: a("status"), stdout: "down: svc: Ns, normally up\n", code: 3},
		{name: "down/lsb start", state: stDown, lsb: true, args: a("start"), stdout: "ok: run: svc: (pid N) Ns\n"},
		// normally down
		{name: "normally down/status", state: stNormallyDown, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns, normally down\n"},
		{name: "normally down/-v down", state: stNormallyDown, args: a("-v", "down", "svc"), stdout: "ok: down: svc: Ns\n"},
		{name: "normally down/lsb status", state: stNormallyDown, lsb: true, args: a("status"), stdout: "run: svc: (pid N) Ns, normally down\n"},
		// paused
		{name: "paused/status", state: stPaused, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns, paused\n"},
		{name: "paused/-v cont", state: stPaused, args: a("-v", "cont", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "paused/-v pause", state: stPaused, args: a("-v", "pause", "svc"), stdout: "ok: run: svc: (pid N) Ns, paused\n"},
		// want down
		{name: "want down/status", state: stWantDown, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns, want down\n"},
		{name: "want down/-w 1 down", state: stWantDown, args: a("-w", "1", "down", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		// got TERM (run ignores SIGTERM)
		{name: "got TERM/status", state: stGotTerm, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns, want down, got TERM\n"},
		{name: "got TERM/-w 1 down", state: stGotTerm, args: a("-w", "1", "down", "svc"), stdout: "timeout: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/-w 1 stop", state: stGotTerm, args: a("-w", "1", "stop", "svc"), stdout: "timeout: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/-w 0 down", state: stGotTerm, args: a("-w", "0", "down", "svc"), stdout: "timeout: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/SVWAIT=1 -v down", state: stGotTerm, env: []string{"SVWAIT=1"}, args: a("-v", "down", "svc"), stdout: "timeout: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/SVWAIT=1 -w 0 down", state: stGotTerm, env: []string{"SVWAIT=1"}, args: a("-w", "0", "down", "svc"), stdout: "timeout: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/-w 1 force-stop", state: stGotTerm, args: a("-w", "1", "force-stop", "svc"), stdout: "kill: run: svc: (pid N) Ns, want down, got TERM\n", code: 1, after: downAfter},
		{name: "got TERM/-w 1 force-shutdown", state: stGotTerm, args: a("-w", "1", "force-shutdown", "svc"), stdout: "kill: run: svc: (pid N) Ns, want down, got TERM\n", code: 1},
		{name: "got TERM/-w 1 D", state: stGotTerm, args: a("-w", "1", "Down", "svc"), stdout: "kill: run: svc: (pid N) Ns, want down, got TERM\n", code: 1, after: downAfter},
		{name: "got TERM/lsb status", state: stGotTerm, lsb: true, args: a("status"), stdout: "run: svc: (pid N) Ns, want down, got TERM\n"},
		{name: "got TERM/lsb -w 1 force-stop", state: stGotTerm, lsb: true, args: a("-w", "1", "force-stop"), stdout: "kill: run: svc: (pid N) Ns, want down, got TERM\n", code: 1, after: downAfter},
		// finishing (./finish sleeps 3 s)
		{name: "finish/status", state: stFinish, args: a("status", "svc"), stdout: "finish: svc: (pid N) Ns, want down\n"},
		{name: "finish/lsb status", state: stFinish, lsb: true, args: a("status"), stdout: "finish: svc: (pid N) Ns, want down\n"},
		{name: "finish/-v down", state: stFinish, args: a("-v", "down", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "finish/-w 6 up", state: stFinish, args: a("-w", "6", "up", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		// runsv gone
		{name: "gone/status", state: stGone, args: a("status", "svc"), stdout: "fail: svc: runsv not running\n", code: 1},
		{name: "gone/up", state: stGone, args: a("up", "svc"), stdout: "fail: svc: runsv not running\n", code: 1},
		{name: "gone/-v up", state: stGone, args: a("-v", "up", "svc"), stdout: "fail: svc: runsv not running\n", code: 1},
		{name: "gone/exit", state: stGone, args: a("exit", "svc"), stdout: "ok: svc: runsv not running\n"},
		{name: "gone/-v exit", state: stGone, args: a("-v", "exit", "svc"), stdout: "ok: svc: runsv not running\n"},
		{name: "gone/force-shutdown", state: stGone, args: a("force-shutdown", "svc"), stdout: "ok: svc: runsv not running\n"},
		{name: "gone/check", state: stGone, args: a("check", "svc"), stdout: "fail: svc: runsv not running\n", code: 1},
		{name: "gone/lsb status", state: stGone, lsb: true, args: a("status"), stdout: "fail: svc: runsv not running\n", code: 1},
		// missing directory, no supervise directory
		{name: "missing/status", state: stMissing, args: a("status", "svc"), stdout: "fail: svc: unable to change to service directory: file does not exist\n", code: 1},
		{name: "missing/-v up", state: stMissing, args: a("-v", "up", "svc"), stdout: "fail: svc: unable to change to service directory: file does not exist\n", code: 1},
		{name: "missing/lsb status", state: stMissing, lsb: true, args: a("status"), stdout: "fail: svc: unable to change to service directory: file does not exist\n", code: 1},
		{name: "missing/lsb start", state: stMissing, lsb: true, args: a("start"), stdout: "fail: svc: unable to change to service directory: file does not exist\n", code: 1},
		{name: "nosupervise/status", state: stNoSupervise, args: a("status", "svc"), stdout: "warning: svc: unable to open supervise/ok: file does not exist\n", code: 1},
		{name: "nosupervise/up", state: stNoSupervise, args: a("up", "svc"), stdout: "warning: svc: unable to open supervise/ok: file does not exist\n", code: 1},
		{name: "nosupervise/lsb status", state: stNoSupervise, lsb: true, args: a("status"), stdout: "warning: svc: unable to open supervise/ok: file does not exist\n", code: 4},
		// with a log service
		{name: "log/status", state: stLog, args: a("status", "svc"), stdout: "run: svc: (pid N) Ns; run: log: (pid N) Ns\n"},
		{name: "log/status log", state: stLog, args: a("status", "svc/log"), stdout: "run: svc/log: (pid N) Ns\n"},
		{name: "log/-w 1 exit log", state: stLog, args: a("-w", "1", "exit", "svc/log"), stdout: "timeout: run: svc/log: (pid N) Ns\n", code: 1},
		{name: "log/-v kill log", state: stLog, args: a("-v", "kill", "svc/log"), stdout: "ok: run: svc/log: (pid N) Ns\n"},
		{name: "log/lsb status", state: stLog, lsb: true, args: a("status"), stdout: "run: svc: (pid N) Ns; run: log: (pid N) Ns\n"},
		{name: "log main down/status", state: stLogMainDown, args: a("status", "svc"), stdout: "down: svc: Ns, normally up; run: log: (pid N) Ns\n"},
		{name: "log main down/lsb status", state: stLogMainDown, lsb: true, args: a("status"), stdout: "down: svc: Ns, normally up; run: log: (pid N) Ns\n"},
		{name: "log/shutdown", state: stLog, args: a("shutdown", "svc"), stdout: "ok: svc: runsv not running\n"},
		// several services; errors are counted
		{name: "multi/status", state: stMulti, args: a("status", "svc", "gone", "nosuch", "svc"),
			stdout: "run: svc: (pid N) Ns\nfail: gone: runsv not running\nfail: nosuch: unable to change to service directory: file does not exist\nrun: svc: (pid N) Ns\n", code: 2},
		{name: "multi/-v up", state: stMulti, args: a("-v", "up", "nosuch", "svc", "gone"),
			stdout: "fail: nosuch: unable to change to service directory: file does not exist\nfail: gone: runsv not running\nok: run: svc: (pid N) Ns\n", code: 2},
		// ./check
		{name: "check third/-w 5 check", state: stCheck(checkThird), args: a("-w", "5", "check", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "check third/-w 5 up from down", state: stCheckDown(checkThird), args: a("-w", "5", "up", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "check third/lsb -w 5 start", state: stCheckDown(checkThird), lsb: true, args: a("-w", "5", "start"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "check fails/-w 1 check", state: stCheck(checkFail), args: a("-w", "1", "check", "svc"), stdout: "timeout: run: svc: (pid N) Ns\n", code: 1},
		{name: "check fails/-w 1 restart", state: stCheck(checkFail), args: a("-w", "1", "restart", "svc"), stdout: "timeout: run: svc: (pid N) Ns\n", code: 1},
		{name: "check fails/-w 1 force-restart", state: stCheck(checkFail), args: a("-w", "1", "force-restart", "svc"), stdout: "kill: run: svc: (pid N) Ns\n", code: 1},
		{name: "check fails/down check", state: stCheckDown(checkFail), args: a("-w", "1", "check", "svc"), stdout: "ok: down: svc: Ns, normally up\n"},
		{name: "check not executable", state: stCheck(checkNoX), args: a("check", "svc"), stdout: "ok: run: svc: (pid N) Ns\n", stderr: "warning: unable to run svc/check: access denied\n"},
		{name: "check killed", state: stCheck(checkKill), args: a("-w", "1", "check", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
		{name: "check env", state: stCheck(checkEnv), args: a("-w", "1", "check", "svc"), stdout: "ok: run: svc: (pid N) Ns\n"},
	}
}

// runCase sets up a fresh world with runsv rs, runs sv, and checks after.
func runCase(root string, c compatCase, rs, sv impl) (result, error) {
	dir := filepath.Join(root, "service")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return result{}, err
	}
	w := newWorld(dir, rs.bin)
	defer w.close()
	if err := c.state(w); err != nil {
		return result{}, fmt.Errorf("setup: %v", err)
	}
	argv0, bin := "", sv.bin
	if c.lsb {
		initd := filepath.Join(root, "initd")
		os.MkdirAll(initd, 0o755)
		argv0 = filepath.Join(initd, "svc")
		if err := os.Symlink(sv.bin, argv0); err != nil {
			return result{}, err
		}
		bin = argv0
	}
	r, err := runSv(bin, argv0, dir, append([]string{"SVDIR=" + dir}, c.env...), c.args...)
	if err != nil {
		return r, err
	}
	if c.after != nil {
		if err := c.after(w); err != nil {
			return r, fmt.Errorf("after: %v", err)
		}
	}
	return r, nil
}

// compatParallel is how many cases run at once (each runs four worlds);
// the worlds mostly sleep, so this is more than the test's -parallel.
const compatParallel = 4

func TestCompat(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv and both sv binaries")
	}
	runit, ours := impls(t)
	supervisors := runsvs(t)
	svs := []impl{runit, ours}
	cases := compatCases()
	type outcome struct {
		res  [][]result // [runsv][sv]
		errs []string
	}
	outcomes := make([]outcome, len(cases))
	tmp := t.TempDir()
	sem := make(chan struct{}, compatParallel)
	var wg sync.WaitGroup
	for ci, c := range cases {
		o := &outcomes[ci]
		o.res = make([][]result, len(supervisors))
		for i := range supervisors {
			o.res[i] = make([]result, len(svs))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			var mu sync.Mutex
			var cw sync.WaitGroup
			for i, rs := range supervisors {
				for j, sv := range svs {
					cw.Add(1)
					go func() {
						defer cw.Done()
						root, err := os.MkdirTemp(tmp, "w")
						var r result
						if err == nil {
							r, err = runCase(root, c, rs, sv)
						}
						mu.Lock()
						defer mu.Unlock()
						if err != nil {
							o.errs = append(o.errs, fmt.Sprintf("%s sv with %s: %v", sv.name, rs.name, err))
						}
						o.res[i][j] = r
					}()
				}
			}
			cw.Wait()
		}()
	}
	wg.Wait()
	for ci, c := range cases {
		o := outcomes[ci]
		t.Run(c.name, func(t *testing.T) {
			if len(o.errs) > 0 {
				t.Fatal(strings.Join(o.errs, "\n"))
			}
			for i, rs := range supervisors {
				want, got := o.res[i][0], o.res[i][1]
				if rs.name == "runit-runsv" {
					if n := want.normal(); n.stdout != c.stdout || n.code != c.code || n.stderr != c.stderr {
						t.Errorf("runit's sv with %s: unexpected result (test expectation or setup wrong?)\n%v", rs.name, want)
					}
				}
				if got.normal() != want.normal() {
					t.Errorf("with %s, sv %q:\nrunit's: %v\nours:    %v", rs.name, c.args, want, got)
				}
			}
		})
	}
}
