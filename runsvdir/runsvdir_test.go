package runsvdir_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const logArg = "log: " +
	"...................................................................................................."

// TestHundredServices runs the same scenario against our runsvdir (with
// our runsv) and runit's (with runit's runsv): 100 services with loggers
// come up from symlinks made while runsvdir runs; a runsv killed with
// SIGKILL is replaced; removed and dot-renamed entries lose their runsv;
// a new entry gets one; a dangling symlink is warned about in the log
// area; SIGALRM forces a rescan and writes .forced-rescan; SIGHUP stops
// every runsv and makes runsvdir exit 111.
func TestHundredServices(t *testing.T) {
	for _, im := range both(t) {
		t.Run(im.name, func(t *testing.T) { hundred(t, im) })
	}
}

func hundred(t *testing.T, im impl) {
	const n = 100
	tr := newTree(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%03d", i)
		tr.make(names[i], runScript, true)
	}
	r := start(t, im, opts{}, "-P", tr.svdir, logArg)
	begin := time.Now()
	for _, name := range names {
		tr.link(name)
	}
	waitUntil(t, long, 100*time.Millisecond, "100 services up", func() bool {
		for _, name := range names {
			if !up(filepath.Join(tr.ext, name)) {
				return false
			}
		}
		return true
	})
	t.Logf("%s: 100 symlinks to 100 services and loggers running: %v", im.name, time.Since(begin).Round(time.Millisecond))
	sv := r.runsvs()
	if len(sv) != n {
		t.Fatalf("%d runsv processes, want %d: %v", len(sv), n, sv)
	}
	for _, name := range names {
		if sv[name] == 0 {
			t.Fatalf("no runsv for %s", name)
		}
	}
	// -P: every runsv leads a session of its own.
	if sid, _ := unix.Getsid(sv["s000"]); sid != sv["s000"] {
		t.Errorf("runsv s000 (pid %d) is not a session leader (sid %d)", sv["s000"], sid)
	}

	// kill -9 of one runsv: a new one takes over. (Its service and logger
	// would survive it and keep the log directory locked against the new
	// logger, so they are killed first.)
	old := sv["s007"]
	for _, p := range descendants(old) {
		syscall.Kill(p, syscall.SIGKILL)
	}
	must(t, syscall.Kill(old, syscall.SIGKILL))
	d := waitUntil(t, long, 20*time.Millisecond, "a new runsv for s007", func() bool {
		p := r.runsvs()["s007"]
		return p != 0 && p != old
	})
	t.Logf("%s: runsv killed with SIGKILL replaced after %v", im.name, d.Round(time.Millisecond))

	// Removal and renaming to a dot-name: TERM to the runsv, which exits.
	gone := []string{"s010", "s011"}
	pids := []int{sv["s010"], sv["s011"]}
	must(t, os.Remove(filepath.Join(tr.svdir, "s010")))
	must(t, os.Rename(filepath.Join(tr.svdir, "s011"), filepath.Join(tr.svdir, ".s011")))
	d = waitUntil(t, long, 20*time.Millisecond, "the runsv of removed services to exit", func() bool {
		return !alive(pids[0]) && !alive(pids[1])
	})
	t.Logf("%s: removed entries' runsv gone after %v", im.name, d.Round(time.Millisecond))
	waitUntil(t, long, 50*time.Millisecond, "the services of removed entries to stop", func() bool {
		return !running(filepath.Join(tr.ext, "s010", "supervise", "status")) &&
			!running(filepath.Join(tr.ext, "s011", "supervise", "status"))
	})

	// A new entry, whose service writes to stderr: runsv's stderr is the
	// log area.
	tr.make("talker", "#!/bin/sh\necho talker-says-hello >&2\nexec sleep 1000000\n", false)
	begin = time.Now()
	tr.link("talker")
	waitUntil(t, long, 20*time.Millisecond, "the new service", func() bool {
		return up(filepath.Join(tr.ext, "talker"))
	})
	t.Logf("%s: new symlink to service running: %v", im.name, time.Since(begin).Round(time.Millisecond))
	waitUntil(t, long, 20*time.Millisecond, "the talker's line in the log area", func() bool {
		return strings.HasSuffix(r.logArea(), "talker-says-hello\n")
	})

	// A dangling symlink and SIGALRM: forced rescan, warning, stamp.
	must(t, os.Symlink("/nonexistent", filepath.Join(tr.svdir, "dangling")))
	before := time.Now().Unix()
	r.signal(syscall.SIGALRM)
	stampFile := filepath.Join(tr.svdir, ".forced-rescan")
	var stamp []byte
	waitUntil(t, long, 20*time.Millisecond, ".forced-rescan", func() bool {
		stamp, _ = os.ReadFile(stampFile)
		return len(stamp) == 25
	})
	if !regexp.MustCompile(`^@4000000[0-9a-f]{17}$`).Match(stamp) {
		t.Errorf(".forced-rescan = %q", stamp)
	} else if sec := parseStamp(stamp); sec < before-1 || sec > time.Now().Unix()+1 {
		t.Errorf(".forced-rescan = %q: %d is not now (%d)", stamp, sec, before)
	}
	warning := "runsvdir " + tr.svdir + ": warning: unable to stat dangling: file does not exist\n"
	waitUntil(t, long, 20*time.Millisecond, "the dangling symlink warning in the log area", func() bool {
		return strings.HasSuffix(r.logArea(), warning[len(warning)-(len(logArg)-5):]) ||
			strings.HasSuffix(r.logArea(), warning)
	})
	area := r.logArea()
	if !strings.HasPrefix(area, "log: ") || len(area) != len(logArg) {
		t.Errorf("log area %q: first 5 bytes or length changed", area)
	}
	// ps shows the same (newlines as spaces or '?').
	if ps, err := exec.LookPath("ps"); err == nil {
		out, err := exec.Command(ps, "-o", "args=", "-p", fmt.Sprint(r.pid)).Output()
		if err != nil {
			t.Fatal(err)
		}
		if got := string(out); !strings.HasPrefix(got, im.runsvdir+" -P "+tr.svdir+" log: ") ||
			!strings.Contains(got, "unable to stat dangling: file does not exist") {
			t.Errorf("ps -o args shows %q", got)
		}
	}

	// Removed services stay stopped; the others are unchanged.
	sv = r.runsvs()
	for _, name := range gone {
		if sv[name] != 0 {
			t.Errorf("%s was restarted after removal", name)
		}
	}
	if len(sv) != n-len(gone)+1 {
		t.Errorf("%d runsv processes, want %d", len(sv), n-len(gone)+1)
	}

	// SIGHUP: TERM to every runsv, exit 111; the services stop.
	var all []int
	for _, p := range sv {
		all = append(all, p)
	}
	tree := descendants(r.pid)
	r.signal(syscall.SIGHUP)
	if code := r.exitCode(); code != 111 {
		t.Errorf("exit code after SIGHUP: %d, want 111", code)
	}
	waitUntil(t, long, 50*time.Millisecond, "every runsv and service to exit", func() bool {
		for _, p := range tree {
			if alive(p) {
				return false
			}
		}
		return true
	})
	if len(all) == 0 || len(tree) < 3*(n-len(gone)) {
		t.Errorf("only %d runsv and %d processes in the tree", len(all), len(tree))
	}
}

func parseStamp(b []byte) int64 {
	var v uint64
	for _, c := range b[1:17] {
		v <<= 4
		if c >= 'a' {
			v |= uint64(c-'a') + 10
		} else {
			v |= uint64(c - '0')
		}
	}
	return int64(v - (1<<62 + 10))
}

// TestSIGTERM: runsvdir exits 0 and leaves its runsv processes running.
func TestSIGTERM(t *testing.T) {
	for _, im := range both(t) {
		t.Run(im.name, func(t *testing.T) {
			tr := newTree(t)
			for _, name := range []string{"a", "b"} {
				tr.make(name, runScript, false)
				tr.link(name)
			}
			r := start(t, im, opts{}, tr.svdir)
			waitUntil(t, long, 20*time.Millisecond, "services up", func() bool {
				return up(filepath.Join(tr.ext, "a")) && up(filepath.Join(tr.ext, "b"))
			})
			sv := r.runsvs()
			r.signal(syscall.SIGTERM)
			if code := r.exitCode(); code != 0 {
				t.Errorf("exit code after SIGTERM: %d, want 0", code)
			}
			for name, p := range sv {
				if !alive(p) {
					t.Errorf("runsv %s (pid %d) did not survive runsvdir", name, p)
				}
			}
			if len(sv) != 2 {
				t.Errorf("runsv processes: %v", sv)
			}
			if got := r.stderr(); got != "" {
				t.Errorf("stderr: %q", got)
			}
		})
	}
}

// TestUsage compares what both runsvdir print for bad invocations.
func TestUsage(t *testing.T) {
	o, r := ours(t), runit(t)
	for _, args := range [][]string{{}, {"-P"}, {"--"}, {"-Pfoo"}} {
		var got [2]string
		for i, im := range []impl{o, r} {
			cmd := exec.Command(im.runsvdir, args...)
			cmd.Args[0] = "runsvdir"
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			got[i] = fmt.Sprintf("%q exit %d", stderr.String(), code)
		}
		if got[0] != got[1] {
			t.Errorf("runsvdir %q: ours %s, runit %s", args, got[0], got[1])
		}
		if want := fmt.Sprintf("%q exit 1", "usage: runsvdir [-P] dir\n\n"); got[0] != want {
			t.Errorf("runsvdir %q: %s, want %s", args, got[0], want)
		}
	}
}

// firstLines waits until r's stderr has n lines and returns them.
func firstLines(t *testing.T, r *rsd, n int) []string {
	t.Helper()
	var lines []string
	waitUntil(t, long, 20*time.Millisecond, fmt.Sprintf("%d lines from %s runsvdir", n, r.im.name), func() bool {
		lines = strings.SplitAfter(r.stderr(), "\n")
		return len(lines) > n
	})
	return lines[:n]
}

// TestMessages compares runsvdir's messages with runit's for a directory
// named like an option, a short log argument, runsv missing from PATH,
// .forced-rescan that cannot be opened or written, and unreadable
// directories; each time runsvdir keeps running.
func TestMessages(t *testing.T) {
	impls := both(t)
	type result struct {
		lines []string
		code  int
	}
	cases := []struct {
		name  string
		lines int
		run   func(t *testing.T, im impl, cwd string) *rsd
	}{
		{"dash-dir", 2, func(t *testing.T, im impl, cwd string) *rsd {
			return start(t, im, opts{cwd: cwd}, "-V")
		}},
		{"short-log", 2, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.Mkdir(filepath.Join(cwd, "empty"), 0o755))
			return start(t, im, opts{cwd: cwd}, "empty", "short")
		}},
		{"no-runsv", 2, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.MkdirAll(filepath.Join(cwd, "sv", "a"), 0o755))
			must(t, os.WriteFile(filepath.Join(cwd, "sv", "a", "run"), []byte(runScript), 0o755))
			im.path = filepath.Join(cwd, "nobin")
			return start(t, im, opts{cwd: cwd}, "sv")
		}},
		{"unset-path", 2, func(t *testing.T, im impl, cwd string) *rsd {
			// runsv is looked up in /bin:/usr/bin, where it is not.
			if _, err := os.Stat("/bin/runsv"); err == nil {
				t.Skip("/bin/runsv exists")
			}
			if _, err := os.Stat("/usr/bin/runsv"); err == nil {
				t.Skip("/usr/bin/runsv exists")
			}
			must(t, os.MkdirAll(filepath.Join(cwd, "sv", "a"), 0o755))
			must(t, os.WriteFile(filepath.Join(cwd, "sv", "a", "run"), []byte(runScript), 0o755))
			return start(t, im, opts{cwd: cwd, noPath: true}, "sv")
		}},
		{"stamp-open", 1, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.MkdirAll(filepath.Join(cwd, "sv", ".forced-rescan"), 0o755))
			return alarmed(t, im, cwd)
		}},
		{"stamp-write", 1, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.Mkdir(filepath.Join(cwd, "sv"), 0o755))
			must(t, os.Symlink("/dev/full", filepath.Join(cwd, "sv", ".forced-rescan")))
			return alarmed(t, im, cwd)
		}},
		{"no-search", 2, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.Chmod(cwd, 0o755))
			must(t, os.Chmod(filepath.Dir(cwd), 0o755))
			must(t, os.Mkdir(filepath.Join(cwd, "locked"), 0))
			return start(t, im, opts{cwd: cwd, cred: &syscall.Credential{Uid: 65534, Gid: 65534}}, filepath.Join(cwd, "locked"))
		}},
		{"no-read", 1, func(t *testing.T, im impl, cwd string) *rsd {
			must(t, os.Chmod(cwd, 0o755))
			must(t, os.Chmod(filepath.Dir(cwd), 0o755))
			must(t, os.Mkdir(filepath.Join(cwd, "xonly"), 0o111))
			return start(t, im, opts{cwd: cwd, cred: &syscall.Credential{Uid: 65534, Gid: 65534}}, filepath.Join(cwd, "xonly"))
		}},
	}
	stampRE := regexp.MustCompile(`@4000000[0-9a-f]{17}`)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var res [2]result
			for i, im := range impls {
				cwd := t.TempDir()
				r := c.run(t, im, cwd)
				lines := firstLines(t, r, c.lines)
				for j := range lines {
					lines[j] = stampRE.ReplaceAllString(strings.ReplaceAll(lines[j], cwd, "CWD"), "@STAMP")
				}
				if !alive(r.pid) {
					t.Errorf("%s runsvdir did not keep running", im.name)
				}
				r.signal(syscall.SIGTERM)
				res[i] = result{lines, r.exitCode()}
			}
			if fmt.Sprint(res[0]) != fmt.Sprint(res[1]) {
				t.Errorf("ours:  %q exit %d\nrunit: %q exit %d", res[0].lines, res[0].code, res[1].lines, res[1].code)
			}
			t.Logf("%q exit %d", res[0].lines, res[0].code)
		})
	}
}

// alarmed starts runsvdir on cwd/sv holding one service and sends it
// SIGALRM once it has started that service's runsv (so its handlers are
// in place).
func alarmed(t *testing.T, im impl, cwd string) *rsd {
	t.Helper()
	must(t, os.MkdirAll(filepath.Join(cwd, "sv", "a"), 0o755))
	must(t, os.WriteFile(filepath.Join(cwd, "sv", "a", "run"), []byte(runScript), 0o755))
	r := start(t, im, opts{cwd: cwd}, "sv")
	waitUntil(t, long, 20*time.Millisecond, "runsv a", func() bool { return r.runsvs()["a"] != 0 })
	r.signal(syscall.SIGALRM)
	return r
}

// TestLogAreaStderr: the log area works whether runsvdir's own stderr
// was closed or a terminal. (runit's runsvdir gets it wrong with stderr
// closed: its pipe's read end becomes fd 2 and is then replaced by the
// write end, so the area never changes; that case is ours only.)
func TestLogAreaStderr(t *testing.T) {
	for _, im := range both(t) {
		for _, mode := range []string{"closed", "tty"} {
			if im.name == "runit" && mode == "closed" {
				continue
			}
			t.Run(im.name+"/"+mode, func(t *testing.T) {
				tr := newTree(t)
				tr.make("talker", "#!/bin/sh\necho said-"+mode+" >&2\nexec sleep 1000000\n", false)
				tr.link("talker")
				o := opts{stderr: mode}
				if mode == "tty" {
					o.stderr = "inherit"
					o.file = openTTY(t)
				}
				r := start(t, im, o, tr.svdir, logArg)
				waitUntil(t, long, 20*time.Millisecond, "the talker in the log area", func() bool {
					return strings.HasSuffix(r.logArea(), "said-"+mode+"\n")
				})
			})
		}
	}
}

// openTTY returns the slave side of a new pseudo-terminal.
func openTTY(t *testing.T) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestReplacedDirectory (ours only): a service directory behind a
// symlink removed and made again while its runsv runs. runit's runsvdir
// never notices (the service directory's own mtime does not change), so
// the old runsv keeps running in the deleted directory and the new
// directory gets no runsv. Ours notices at its next wake-up: TERM to the
// old runsv, a new runsv for the new directory, and a message.
func TestReplacedDirectory(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	for _, name := range []string{"keep", "replaced", "removed"} {
		tr.make(name, runScript, false)
		tr.link(name)
	}
	r := start(t, im, opts{}, tr.svdir)
	waitUntil(t, long, 20*time.Millisecond, "services up", func() bool {
		return up(filepath.Join(tr.ext, "keep")) && up(filepath.Join(tr.ext, "replaced")) &&
			up(filepath.Join(tr.ext, "removed"))
	})
	sv := r.runsvs()
	// Not a synchronisation: let runsvdir's follow-up scan (a second
	// after services were added) pass, so that what notices the change is
	// the periodic check of the services' names. The outcome is the same
	// either way.
	time.Sleep(2 * time.Second)
	begin := time.Now()
	must(t, os.RemoveAll(filepath.Join(tr.ext, "replaced")))
	tr.make("replaced", "#!/bin/sh\necho second >&2\nexec sleep 1000000\n", false)
	must(t, os.RemoveAll(filepath.Join(tr.ext, "removed")))
	waitUntil(t, long, 20*time.Millisecond, "the new directory's service", func() bool {
		return up(filepath.Join(tr.ext, "replaced"))
	})
	waitUntil(t, long, 20*time.Millisecond, "the old runsv processes to exit", func() bool {
		return !alive(sv["replaced"]) && !alive(sv["removed"])
	})
	now := r.runsvs()
	if now["replaced"] == 0 || now["replaced"] == sv["replaced"] || now["removed"] != 0 || now["keep"] != sv["keep"] {
		t.Errorf("runsv processes before %v, after %v", sv, now)
	}
	errs := r.stderr()
	if !strings.Contains(errs, "runsvdir "+tr.svdir+": warning: service directory replaced was replaced: stopping its old runsv.\n") &&
		!strings.Contains(errs, "runsvdir "+tr.svdir+": warning: unable to stat replaced: file does not exist\n") {
		t.Errorf("no message about the replaced directory: %q", errs)
	}
	if !strings.Contains(errs, "runsvdir "+tr.svdir+": warning: unable to stat removed: file does not exist\n") {
		t.Errorf("no message about the removed directory: %q", errs)
	}
	t.Logf("replaced directory running again after %v; stderr: %q", time.Since(begin).Round(time.Millisecond), errs)
}

// TestTooManyServices: the 1001st service is refused with runit's
// message; runsvdir keeps running the other 1000. A stand-in runsv
// (a shell script sleeping) keeps the test light.
func TestTooManyServices(t *testing.T) {
	var res [2]string
	for i, im := range both(t) {
		t.Run(im.name, func(t *testing.T) {
			root := t.TempDir()
			bin := filepath.Join(root, "bin")
			svdir := filepath.Join(root, "sv")
			must(t, os.MkdirAll(bin, 0o755))
			must(t, os.WriteFile(filepath.Join(bin, "runsv"), []byte("#!/bin/sh\nexec sleep 1000000\n"), 0o755))
			for j := 0; j <= 1000; j++ {
				must(t, os.MkdirAll(filepath.Join(svdir, fmt.Sprintf("n%04d", j)), 0o755))
			}
			im.path = bin + ":/usr/bin:/bin"
			r := start(t, im, opts{cwd: root}, "sv")
			lines := firstLines(t, r, 1)
			res[i] = regexp.MustCompile(`n[0-9]{4}`).ReplaceAllString(lines[0], "NAME")
			waitUntil(t, long, 100*time.Millisecond, "1000 stand-in runsv processes", func() bool {
				n := 0
				for _, c := range children(r.pid) {
					if alive(c) && comm(c) == "sleep" {
						n++
					}
				}
				return n == 1000
			})
			if !alive(r.pid) {
				t.Fatal("runsvdir exited")
			}
		})
	}
	if want := "runsvdir sv: warning: unable to start runsv NAME: too many services.\n"; res[0] != want || res[1] != want {
		t.Errorf("ours %q, runit %q, want %q", res[0], res[1], want)
	}
}

// TestHeartbeat: the log area gets its first '.' at start-up.
func TestHeartbeat(t *testing.T) {
	var got [2]string
	for i, im := range both(t) {
		tr := newTree(t)
		r := start(t, im, opts{}, tr.svdir, "log: xxxxxxxx")
		waitUntil(t, long, 10*time.Millisecond, "the heartbeat", func() bool {
			got[i] = r.logArea()
			return got[i] != "log: xxxxxxxx"
		})
	}
	if got[0] != "log: xxxxxxx." || got[1] != got[0] {
		t.Errorf("log area: ours %q, runit %q, want %q", got[0], got[1], "log: xxxxxxx.")
	}
}

// TestUnreadableRecovers (ours): a service directory runsvdir may not
// read is warned about; once made readable its services start, without
// any change to its contents (runit waits for its mtime to change).
func TestUnreadableRecovers(t *testing.T) {
	im := ours(t)
	root := t.TempDir()
	must(t, os.Chmod(filepath.Dir(root), 0o755))
	must(t, os.Chmod(root, 0o755))
	svdir := filepath.Join(root, "sv")
	must(t, os.MkdirAll(filepath.Join(svdir, "a"), 0o755))
	must(t, os.WriteFile(filepath.Join(svdir, "a", "run"), []byte(runScript), 0o755))
	must(t, os.Chown(filepath.Join(svdir, "a"), 65534, 65534))
	must(t, os.Chmod(svdir, 0o111))
	r := start(t, im, opts{cwd: root, cred: &syscall.Credential{Uid: 65534, Gid: 65534}}, "sv")
	if got := firstLines(t, r, 1)[0]; got != "runsvdir sv: warning: unable to open directory sv: access denied\n" {
		t.Fatalf("first message %q", got)
	}
	must(t, os.Chmod(svdir, 0o755))
	waitUntil(t, long, 20*time.Millisecond, "the service to start", func() bool {
		return up(filepath.Join(svdir, "a"))
	})
}
