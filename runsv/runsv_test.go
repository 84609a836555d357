package runsv_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// ourExtra is the one file of supervise/ that runit's runsv does not
// write: our supervise/extra (extra.go), left out where the two are
// compared, with its extra.new while it is being replaced.
const ourExtra = "extra"

func isOurExtra(name string) bool { return name == ourExtra || name == ourExtra+".new" }

// listing describes the files of a supervise directory: name, type and
// permission bits, and the size of the fixed-size ones (our extra left
// out).
func listing(t *testing.T, dir string) string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		return "error: " + err.Error()
	}
	st, _ := os.Stat(dir)
	out := []string{". " + st.Mode().String()}
	for _, e := range ents {
		fi, err := os.Lstat(filepath.Join(dir, e.Name()))
		if err != nil || isOurExtra(e.Name()) {
			continue
		}
		size := strconv.FormatInt(fi.Size(), 10)
		if e.Name() == "pid" && fi.Size() > 0 {
			size = "N"
		}
		out = append(out, e.Name()+" "+fi.Mode().String()+" "+size)
	}
	return strings.Join(out, "\n")
}

func cat(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "error: " + err.Error()
	}
	return string(b)
}

// statusBytes renders the status record with time and pid blanked.
func statusBytes(t *testing.T, path string) string {
	r, ok := readStatus(t, path)
	if !ok {
		return "unreadable status"
	}
	pid := "0"
	if r.PID != 0 {
		pid = "N"
	}
	return "pid=" + pid + " paused=" + strconv.FormatBool(r.Paused) + " want=" + string([]byte{r.Want}) +
		" term=" + strconv.FormatBool(r.Term) + " state=" + strconv.Itoa(int(r.State))
}

// logLines returns the lines the logger kept, across rotated files.
func logLines(t *testing.T, dir string) string {
	ents, _ := os.ReadDir(dir)
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append(names, "current")
	var b strings.Builder
	for _, n := range names {
		b.WriteString(cat(filepath.Join(dir, n)))
	}
	return b.String()
}

// newPid waits until the service runs with a pid other than old.
func newPid(t *testing.T, path string, old int) int {
	t.Helper()
	return waitStatus(t, path, "a new process", func(r status.Record) bool { return isUp(r) && r.PID != old }).PID
}

// TestSessionMatchesRunit drives runit's runsv and ours through the same
// user session with runit's own sv, and requires the same sv output, the
// same supervise/ files and the same lines kept by the logger (finish
// arguments included).
func TestSessionMatchesRunit(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		svlogd := testenv.Oracle(t, "svlogd")
		dir := w.service("demo", map[string]string{
			"run":      "#!/bin/sh\necho run starting\necho $$ > ../started\nexec sleep 1000\n",
			"finish":   "#!/bin/sh\necho \"finish called with args: [$1] [$2]\"\n",
			"log/run":  "#!/bin/sh\nexec " + svlogd + " ./main\n",
			"log/main": "\x00dir",
		})
		st, logst := filepath.Join(dir, "supervise/status"), filepath.Join(dir, "log/supervise/status")
		// Wait for a new run to have printed its line, so that the next
		// signal cannot kill it before it does.
		newRun := func(t *testing.T, st string, old int) int {
			pid := newPid(t, st, old)
			testenv.WaitFor(t, testenv.Deadline, "run started", func() bool {
				return cat(filepath.Join(w.root, "started")) == strconv.Itoa(pid)+"\n"
			})
			return pid
		}
		tr := &transcript{w: w}
		p := w.start(im.runsv, "demo")
		pid := newRun(t, st, 0)
		waitStatus(t, logst, "log up", isUp)

		tr.sv("status", "demo")
		tr.add(listing(t, filepath.Join(dir, "supervise")))
		tr.add(listing(t, filepath.Join(dir, "log/supervise")))
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + statusBytes(t, st))

		tr.sv("-v", "down", "demo")
		tr.sv("status", "demo")
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + "pid=[" + cat(filepath.Join(dir, "supervise/pid")) + "] " + statusBytes(t, st))
		tr.sv("-v", "down", "demo")

		tr.sv("-v", "up", "demo")
		pid = newRun(t, st, pid)
		tr.sv("-v", "pause", "demo")
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + statusBytes(t, st))
		tr.sv("status", "demo")
		tr.sv("-v", "cont", "demo")
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + statusBytes(t, st))

		os.WriteFile(filepath.Join(dir, "down"), nil, 0644)
		tr.sv("status", "demo")
		os.Remove(filepath.Join(dir, "down"))

		tr.sv("-v", "once", "demo")
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + statusBytes(t, st))
		// Without -v: sv -v up is satisfied by any running process and
		// may read the status before runsv has taken the 'u' (", want
		// down" then, with runit's runsv as with ours: a race of the
		// test's, one run in five); the status after it is compared.
		tr.sv("up", "demo")
		waitStatus(t, st, "want up", func(r status.Record) bool { return r.Want == status.WantUp })
		tr.sv("status", "demo")
		tr.add(cat(filepath.Join(dir, "supervise/stat")))

		tr.sv("hup", "demo")
		pid = newRun(t, st, pid)
		tr.sv("status", "demo")
		tr.sv("-v", "term", "demo")
		pid = newRun(t, st, pid)
		tr.sv("-v", "kill", "demo")
		pid = newRun(t, st, pid)
		tr.sv("-v", "2", "demo")
		pid = newRun(t, st, pid)

		logpid := waitStatus(t, logst, "log up", isUp).PID
		// TERM, not KILL: a killed svlogd may lose the lines it has read
		// but not written, which is the logger's business, not runsv's.
		tr.sv("term", "demo/log")
		newPid(t, logst, logpid)
		tr.sv("status", "demo/log")
		tr.sv("-w", "1", "exit", "demo/log")

		tr.sv("-v", "exit", "demo")
		tr.add("runsv exit " + strconv.Itoa(p.wait(t)))
		tr.add("runsv said: [" + p.output() + "]")
		tr.add(listing(t, filepath.Join(dir, "supervise")))
		tr.add(cat(filepath.Join(dir, "supervise/stat")) + cat(filepath.Join(dir, "log/supervise/stat")))
		tr.add("log:\n" + logLines(t, filepath.Join(dir, "log/main")))
		return tr.String()
	})
}

// TestStartupErrorsMatchRunit compares runsv's messages and exit codes for
// bad arguments and broken service directories.
func TestStartupErrorsMatchRunit(t *testing.T) {
	type tc struct {
		name  string
		args  []string
		setup func(w *world)
		hold  bool // start a first runsv on "svc" before
	}
	cases := []tc{
		{name: "no-args", args: []string{}},
		{name: "two-args", args: []string{"a", "b"}},
		{name: "missing-dir", args: []string{"nosuch"}},
		{name: "locked", args: []string{"svc"}, hold: true},
		{name: "supervise-is-file", args: []string{"svc"}, setup: func(w *world) {
			w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "supervise": "x"})
		}},
		{name: "control-not-fifo", args: []string{"svc"}, setup: func(w *world) {
			w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "supervise/control": "x"})
		}},
		{name: "ok-not-fifo", args: []string{"svc"}, setup: func(w *world) {
			w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "supervise/ok": "x"})
		}},
		{name: "log-supervise-is-file", args: []string{"svc"}, setup: func(w *world) {
			w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "log/run": "#!/bin/sh\nexec cat\n", "log/supervise": "x"})
		}},
	}
	for _, c := range cases {
		c := c
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var results []string
			for _, im := range impls(t) {
				w := newWorld(t)
				if c.setup != nil {
					c.setup(w)
				}
				if c.hold {
					w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n"})
					first := w.start(im.runsv, "svc")
					waitStatus(t, filepath.Join(w.root, "svc/supervise/status"), "first runsv", isUp)
					defer func() { w.run("exit", "svc"); first.wait(t) }()
				}
				p := &runsvProc{out: new(bytes.Buffer), mu: new(sync.Mutex), done: make(chan struct{})}
				cmd := &exec.Cmd{Path: im.runsv, Args: append([]string{"runsv"}, c.args...), Dir: w.root}
				cmd.Stdout = lockedWriter{p.mu, p.out}
				cmd.Stderr = cmd.Stdout
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				go func() { cmd.Wait(); close(p.done) }()
				result := "[still running]"
				select {
				case <-p.done:
					result = "[exit " + strconv.Itoa(cmd.ProcessState.ExitCode()) + "]"
				case <-time.After(3 * time.Second):
					// runsv accepted the directory: stop it like a user would.
					w.run("exit", c.args[0])
					<-p.done
				}
				results = append(results, p.output()+result)
			}
			if results[0] != results[1] {
				t.Errorf("runit: %q\nours:  %q", results[0], results[1])
			}
			if !strings.Contains(results[1], "[exit 1") {
				if strings.Contains(results[1], "[exit 0]") {
					t.Errorf("runsv exited 0 on a start-up error: %q", results[1])
				}
			}
		})
	}
}

// TestLogNotDirectoryMatchesRunit: a log that is a file is warned about and
// the service runs without a logger.
func TestLogNotDirectoryMatchesRunit(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		dir := w.service("svc", map[string]string{"run": "#!/bin/sh\nexec sleep 100\n", "log": "not a dir"})
		tr := &transcript{w: w}
		p := w.start(im.runsv, "svc")
		waitStatus(t, filepath.Join(dir, "supervise/status"), "up", isUp)
		tr.sv("status", "svc")
		tr.sv("-v", "exit", "svc")
		tr.add("exit " + strconv.Itoa(p.wait(t)) + " said: " + p.output())
		return tr.String()
	})
}

// TestControlScriptsMatchRunit: control/<c> scripts run in runit's order,
// and an exit 0 suppresses the signal (transcript §9).
func TestControlScriptsMatchRunit(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		out := filepath.Join(w.root, "trace")
		script := func(c string, code int) string {
			return "#!/bin/sh\necho \"control/" + c + " argv0=$0 cwd=$(pwd | sed 's|.*/||')\" >> " + out + "\nexit " + strconv.Itoa(code) + "\n"
		}
		files := map[string]string{
			"run": "#!/bin/sh\necho \"run\" >> " + out + "\nexec sleep 100\n",
		}
		for _, c := range []string{"u", "d", "t", "k", "x", "p", "c", "a", "i", "q", "1", "2"} {
			files["control/"+c] = script(c, 1)
		}
		files["control/h"] = script("h", 0)
		dir := w.service("custom", files)
		st := filepath.Join(dir, "supervise/status")
		p := w.start(im.runsv, "custom")
		pid := waitStatus(t, st, "up", isUp).PID
		tr := &transcript{w: w}
		tr.sv("hup", "custom")
		tr.sv("-v", "pause", "custom")
		tr.sv("-v", "cont", "custom")
		tr.sv("alarm", "custom")
		pid = newPid(t, st, pid)
		tr.sv("-v", "down", "custom")
		tr.sv("-v", "up", "custom")
		pid = newPid(t, st, pid)
		tr.sv("kill", "custom")
		pid = newPid(t, st, pid)
		w.write("custom/supervise/control", "t")
		newPid(t, st, pid)
		p.cmd.Process.Signal(syscall.SIGTERM)
		tr.add("exit " + strconv.Itoa(p.wait(t)) + " said: [" + p.output() + "]")
		tr.add(cat(out))
		return tr.String()
	})
}

func (w *world) write(name, data string) {
	w.t.Helper()
	f, err := os.OpenFile(filepath.Join(w.root, name), os.O_WRONLY, 0)
	if err != nil {
		w.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		w.t.Fatal(err)
	}
}

// TestSupervisionSymlinksMatchRunit: supervise and log/supervise as
// symbolic links to directories that do not exist yet (absolute and
// relative targets) are created, as Debian's update-service relies on.
func TestSupervisionSymlinksMatchRunit(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		dir := w.service("sym", map[string]string{
			"run":     "#!/bin/sh\necho hello\nexec sleep 100\n",
			"log/run": "#!/bin/sh\nexec cat > captured\n",
		})
		abs := filepath.Join(w.root, "elsewhere-supervise")
		os.Symlink(abs, filepath.Join(dir, "supervise"))
		os.Symlink("../../sym-log-supervise", filepath.Join(dir, "log/supervise"))
		p := w.start(im.runsv, "sym")
		waitStatus(t, filepath.Join(abs, "status"), "up", isUp)
		waitStatus(t, filepath.Join(w.root, "sym-log-supervise/status"), "log up", isUp)
		tr := &transcript{w: w}
		tr.sv("status", "sym")
		tr.add(listing(t, abs))
		tr.add(listing(t, filepath.Join(w.root, "sym-log-supervise")))
		tr.sv("-v", "exit", "sym")
		tr.add("exit " + strconv.Itoa(p.wait(t)) + " said: [" + p.output() + "]")
		tr.add(cat(filepath.Join(dir, "log/captured")))
		return tr.String()
	})
}

// TestMissingRunScript: a missing or non-executable ./run is retried at
// runit's pace (about once a second, never faster), each time with runit's
// message, while the finish script sees "111 0".
func TestMissingRunScript(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		dir := w.service("norun", map[string]string{
			"finish": "#!/bin/sh\necho \"finish $1 $2\" >> ../finish.out\n",
		})
		start := time.Now()
		p := w.start(im.runsv, "norun")
		testenv.WaitFor(t, testenv.Deadline, "three start attempts", func() bool {
			return strings.Count(cat(filepath.Join(w.root, "finish.out")), "\n") >= 3
		})
		elapsed := time.Since(start)
		attempts := strings.Count(p.output(), "unable to start ./run")
		if max := int(elapsed/time.Second) + 2; attempts > max {
			t.Errorf("%d start attempts in %v: faster than once a second", attempts, elapsed)
		}
		tr := &transcript{w: w}
		os.WriteFile(filepath.Join(dir, "run"), []byte("#!/bin/sh\nexec sleep 100\n"), 0644)
		testenv.WaitFor(t, testenv.Deadline, "a non-executable run", func() bool {
			return strings.Contains(p.output(), "access denied")
		})
		tr.sv("-v", "exit", "norun")
		tr.add("exit " + strconv.Itoa(p.wait(t)))
		lines := strings.Split(strings.TrimSpace(p.output()), "\n")
		tr.add("first message: " + lines[0])
		tr.add("last message: " + lines[len(lines)-1])
		tr.add("finish: " + strings.SplitN(cat(filepath.Join(w.root, "finish.out")), "\n", 2)[0])
		return strings.ReplaceAll(tr.String(), w.root, "ROOT")
	})
}

// TestSignalCommandsMatchRunit: h a i q 1 2 deliver HUP ALRM INT QUIT USR1
// USR2 to a running service (which traps them), t TERM, and nothing while
// the service is down (the service exits on TERM, and is restarted).
func TestSignalCommandsMatchRunit(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		out := filepath.Join(w.root, "got")
		run := "#!/bin/sh\n" +
			"for s in HUP ALRM INT QUIT USR1 USR2; do trap \"echo $s >> " + out + "\" $s; done\n" +
			"trap \"echo TERM >> " + out + "; exit 0\" TERM\n" +
			"echo ready >> " + out + "\nwhile :; do sleep 0.05; done\n"
		dir := w.service("sig", map[string]string{"run": run})
		st := filepath.Join(dir, "supervise/status")
		p := w.start(im.runsv, "sig")
		pid := waitStatus(t, st, "up", isUp).PID
		testenv.WaitFor(t, testenv.Deadline, "traps set", func() bool { return strings.Contains(cat(out), "ready") })
		want := ""
		for _, c := range []struct{ b, sig string }{{"h", "HUP"}, {"a", "ALRM"}, {"i", "INT"}, {"q", "QUIT"}, {"1", "USR1"}, {"2", "USR2"}, {"t", "TERM"}} {
			w.write("sig/supervise/control", c.b)
			want += c.sig + "\n"
			testenv.WaitFor(t, testenv.Deadline, "signal "+c.sig, func() bool { return strings.HasSuffix(cat(out), want) })
		}
		newPid(t, st, pid)
		// The restarted run says ready too: wait for it, or the
		// transcript depends on how fast the new run got there.
		want += "ready\n"
		testenv.WaitFor(t, testenv.Deadline, "the restarted run ready", func() bool { return strings.HasSuffix(cat(out), want) })
		tr := &transcript{w: w}
		tr.sv("status", "sig")
		tr.add(cat(out))
		tr.sv("-v", "down", "sig")
		tr.sv("-v", "exit", "sig")
		tr.add("exit " + strconv.Itoa(p.wait(t)))
		return tr.String()
	})
}

// TestLogPidFile: log/supervise/pid appears only once the logger has run
// (runit's runsv writes it on a pid change, and start-up is the main
// service's); with log/down it is not there, then it is after `sv up`.
func TestLogPidFile(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		tr := &transcript{w: w}
		dir := w.service("lp", map[string]string{
			"run":      "#!/bin/sh\nexec sleep 1000\n",
			"log/run":  "#!/bin/sh\nexec cat >/dev/null\n",
			"log/down": "",
		})
		p := w.start(im.runsv, "lp")
		waitStatus(t, filepath.Join(dir, "supervise/status"), "up", isUp)
		list := func() {
			ents, _ := os.ReadDir(filepath.Join(dir, "log/supervise"))
			var names []string
			for _, e := range ents {
				if !isOurExtra(e.Name()) {
					names = append(names, e.Name())
				}
			}
			pid, err := os.ReadFile(filepath.Join(dir, "log/supervise/pid"))
			tr.add("log/supervise: " + strings.Join(names, " ") + " pid=" + strconv.Quote(string(pid)) + " " + strconv.FormatBool(err == nil))
		}
		list()
		tr.sv("-w", "5", "up", "lp/log")
		waitStatus(t, filepath.Join(dir, "log/supervise/status"), "log up", isUp)
		n := 0
		ents, _ := os.ReadDir(filepath.Join(dir, "log/supervise"))
		for _, e := range ents {
			if !isOurExtra(e.Name()) {
				n++
			}
		}
		tr.add("after up: " + strconv.Itoa(n) + " entries")
		if b, err := os.ReadFile(filepath.Join(dir, "log/supervise/pid")); err != nil || len(b) < 2 {
			t.Errorf("no log pid after the logger started: %q %v", b, err)
		}
		w.run("exit", "lp")
		p.wait(t)
		return tr.String()
	})
}

// TestKillDuringFinishThenUp: 'k' while ./finish runs sends nothing and
// sets the state down; a 'u' then starts ./run at once, with ./finish
// still running, and ./finish's later exit is ignored (runit's runsv looks
// at the state, not at whether a process is left).
func TestKillDuringFinishThenUp(t *testing.T) {
	both(t, func(t *testing.T, w *world, im impl) string {
		out := filepath.Join(w.root, "got")
		gate := filepath.Join(w.root, "go")
		dir := w.service("kf", map[string]string{
			"run":    "#!/bin/sh\necho run >> " + out + "\nexec sleep 60\n",
			"finish": "#!/bin/sh\necho finish \"$@\" >> " + out + "\nwhile [ ! -e " + gate + " ]; do sleep 0.05; done\n",
		})
		st := filepath.Join(dir, "supervise/status")
		p := w.start(im.runsv, "kf")
		waitStatus(t, st, "up", isUp)
		// Up means the pid is known, not that ./run has written its line:
		// a TERM before the echo would leave no "run" (seen under load).
		testenv.WaitFor(t, testenv.Deadline, "run", func() bool { return cat(out) == "run\n" })
		w.write("kf/supervise/control", "t")
		testenv.WaitFor(t, testenv.Deadline, "finish", func() bool { return cat(out) == "run\nfinish -1 15\n" })
		w.write("kf/supervise/control", "ku")
		testenv.WaitFor(t, testenv.Deadline, "run with finish running", func() bool { return cat(out) == "run\nfinish -1 15\nrun\n" })
		// A forking runsv (runit's) may write the new status only after
		// ./run has written its line (seen under load).
		waitStatus(t, st, "up again", isUp)
		tr := &transcript{w: w}
		tr.sv("status", "kf")
		os.WriteFile(gate, nil, 0644)
		tr.sv("-v", "exit", "kf")
		tr.add("exit " + strconv.Itoa(p.wait(t)))
		tr.add(cat(out))
		return tr.String()
	})
}
