package sv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
)

// Status-line rendering from status bytes, incl. the log part and the LSB
// status exit codes: supervise/ directories are crafted by the test (which
// holds supervise/ok open, as runsv does), and runit's sv and ours must
// both print exactly the expected bytes.

// future is a since time far ahead, so that every line says "0s".
var future = tai64.FromTime(time.Now().Add(1000 * time.Hour))

func rec(pid int, paused bool, want byte, term bool, state byte) []byte {
	r := supervise.Record{Since: future, PID: pid, Paused: paused, Want: want, Term: term, State: state}
	var b [supervise.Size]byte
	r.Encode(&b)
	return b[:]
}

// fakeSv describes one supervise/ directory: status bytes (nil: no status
// file), whether runsv "runs" (ok held open), and whether supervise/ok
// exists at all.
type fakeSv struct {
	status  []byte
	noRunsv bool
	noOk    bool
	statDir bool // supervise/status is a directory
}

type renderCase struct {
	name    string
	main    fakeSv
	log     *fakeSv           // log/ with this supervise/
	files   map[string]string // extra files in the service dir ("->x" makes a symlink to x)
	arg     string            // service argument (default "svc")
	stdout  string
	stderr  string
	code    int
	lsbCode int
	anySecs bool // compare with seconds normalised
}

func renderCases() []renderCase {
	run := func(pid int) []byte { return rec(pid, false, 'u', false, supervise.Run) }
	short := rec(3, false, 'd', false, supervise.Down)[:19]
	return []renderCase{
		{name: "run", main: fakeSv{status: run(11601)}, stdout: "run: svc: (pid 11601) 0s\n"},
		{name: "down", main: fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, stdout: "down: svc: 0s, normally up\n", lsbCode: 3},
		{name: "down want up", main: fakeSv{status: rec(0, false, 'u', false, supervise.Down)}, stdout: "down: svc: 0s, normally up, want up\n", lsbCode: 3},
		{name: "paused", main: fakeSv{status: rec(5, true, 'u', false, supervise.Run)}, stdout: "run: svc: (pid 5) 0s, paused\n"},
		{name: "want down got TERM", main: fakeSv{status: rec(6, false, 'd', true, supervise.Run)}, stdout: "run: svc: (pid 6) 0s, want down, got TERM\n"},
		{name: "everything", main: fakeSv{status: rec(6, true, 'd', true, supervise.Run)}, files: map[string]string{"down": ""}, stdout: "run: svc: (pid 6) 0s, normally down, paused, want down, got TERM\n"},
		{name: "finish", main: fakeSv{status: rec(7, false, 'd', false, supervise.Finish)}, stdout: "finish: svc: (pid 7) 0s, want down\n"},
		{name: "normally down", main: fakeSv{status: run(8)}, files: map[string]string{"down": ""}, stdout: "run: svc: (pid 8) 0s, normally down\n"},
		{name: "down, down file", main: fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, files: map[string]string{"down": ""}, stdout: "down: svc: 0s\n", lsbCode: 3},
		{name: "down file is a directory", main: fakeSv{status: rec(0, true, 'u', true, supervise.Down)}, files: map[string]string{"down/x": ""}, stdout: "down: svc: 0s, want up\n", lsbCode: 3},
		{name: "unknown state", main: fakeSv{status: rec(0, false, 'u', false, 7)}, stdout: "svc: (pid 0) 0s, normally up, want up\n", lsbCode: 3},
		{name: "run without pid", main: fakeSv{status: rec(0, true, 'd', true, supervise.Run)}, stdout: "run: svc: (pid 0) 0s, normally up\n", lsbCode: 3},
		{name: "down with pid", main: fakeSv{status: rec(9, true, 'd', true, supervise.Down)}, stdout: "down: svc: 0s, paused, want down, got TERM\n"},
		{name: "want byte other", main: fakeSv{status: rec(9, false, 'x', false, supervise.Run)}, stdout: "run: svc: (pid 9) 0s\n"},
		{name: "pid 2^31+5", main: fakeSv{status: run(0x80000005)}, stdout: "run: svc: (pid 18446744071562067973) 0s\n"},
		{name: "pid 2^32-1", main: fakeSv{status: run(0xffffffff)}, stdout: "run: svc: (pid 18446744073709551615) 0s\n"},
		{name: "pid 2^31-1", main: fakeSv{status: run(0x7fffffff)}, stdout: "run: svc: (pid 2147483647) 0s\n"},
		{name: "long status file", main: fakeSv{status: append(run(10), "extra"...)}, stdout: "run: svc: (pid 10) 0s\n"},
		{name: "past since", main: fakeSv{status: func() []byte {
			b := run(11)
			tai64.FromTime(time.Unix(1000, 0)).Pack(b[:12])
			return b
		}()}, stdout: "run: svc: (pid 11) Ns\n", anySecs: true},
		{name: "short status file", main: fakeSv{status: short}, stdout: "warning: svc: unable to read supervise/status: bad format\n", code: 1, lsbCode: 4},
		{name: "empty status file", main: fakeSv{status: []byte{}}, stdout: "warning: svc: unable to read supervise/status: bad format\n", code: 1, lsbCode: 4},
		{name: "no status file", main: fakeSv{}, stdout: "warning: svc: unable to open supervise/status: file does not exist\n", code: 1, lsbCode: 4},
		{name: "status is a directory", main: fakeSv{statDir: true}, stdout: "warning: svc: unable to read supervise/status: is a directory\n", code: 1, lsbCode: 4},
		{name: "runsv not running", main: fakeSv{status: run(12), noRunsv: true}, stdout: "fail: svc: runsv not running\n", code: 1, lsbCode: 1},
		{name: "no supervise/ok", main: fakeSv{status: run(12), noOk: true}, stdout: "warning: svc: unable to open supervise/ok: file does not exist\n", code: 1, lsbCode: 4},
		{name: "down file loop", main: fakeSv{status: run(13)}, files: map[string]string{"down": "->down"}, stdout: "\n", stderr: "warning: unable to stat svc/down: symbolic link loop\n", lsbCode: 4},
		// the log part
		{name: "log run", main: fakeSv{status: run(1)}, log: &fakeSv{status: run(2)}, stdout: "run: svc: (pid 1) 0s; run: log: (pid 2) 0s\n"},
		{name: "log down, main run", main: fakeSv{status: run(1)}, log: &fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, stdout: "run: svc: (pid 1) 0s; down: log: 0s, normally up\n", lsbCode: 3},
		{name: "log run, main down", main: fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, log: &fakeSv{status: run(2)}, stdout: "down: svc: 0s, normally up; run: log: (pid 2) 0s\n"},
		{name: "log down file", main: fakeSv{status: run(1)}, log: &fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, files: map[string]string{"log/down": ""}, stdout: "run: svc: (pid 1) 0s; down: log: 0s\n", lsbCode: 3},
		{name: "log without supervise", main: fakeSv{status: rec(0, false, 'd', false, supervise.Down)}, files: map[string]string{"log/run": ""},
			stdout: "down: svc: 0s, normally up; warning: svc/log: unable to open supervise/ok: file does not exist\ndown: log: 0s, normally up\n", code: 1, lsbCode: 3},
		{name: "log runsv not running", main: fakeSv{status: run(1)}, log: &fakeSv{status: run(2), noRunsv: true}, stdout: "run: svc: (pid 1) 0s; fail: svc/log: runsv not running\n", code: 1},
		{name: "log short status", main: fakeSv{status: run(1)}, log: &fakeSv{status: short}, stdout: "run: svc: (pid 1) 0s; warning: svc/log: unable to read supervise/status: bad format\nrun: log: (pid 3) 0s, want down\n", code: 1},
		{name: "log is a file", main: fakeSv{status: run(1)}, files: map[string]string{"log": ""}, stdout: "run: svc: (pid 1) 0s; warning: svc/log: unable to change directory: not a directory\n", code: 1},
		{name: "log down file loop", main: fakeSv{status: run(1)}, log: &fakeSv{status: run(2)}, files: map[string]string{"log/down": "->down"}, stdout: "run: svc: (pid 1) 0s; \n", stderr: "warning: unable to stat svc/down: symbolic link loop\n", lsbCode: 4},
		{name: "down file loop, several", main: fakeSv{status: run(13)}, files: map[string]string{"down": "->down"}, arg: "svc nosuch ./svc",
			stdout: "\nfail: nosuch: unable to change to service directory: file does not exist\n\n", stderr: "warning: unable to stat svc/down: symbolic link loop\nwarning: unable to stat ./svc/down: symbolic link loop\n", code: 1, lsbCode: -1},
		{name: "log down file loop, several", main: fakeSv{status: run(1)}, log: &fakeSv{status: run(2)}, files: map[string]string{"log/down": "->down"}, arg: "svc svc",
			stdout: "run: svc: (pid 1) 0s; \nrun: svc: (pid 1) 0s; \n", stderr: "warning: unable to stat svc/down: symbolic link loop\nwarning: unable to stat svc/down: symbolic link loop\n", lsbCode: -1},
		{name: "log addressed directly", main: fakeSv{status: run(1)}, log: &fakeSv{status: run(2)}, arg: "svc/log", stdout: "run: svc/log: (pid 2) 0s\n", lsbCode: -1},
	}
}

// build creates the supervise directory described by f under dir; opened
// ok FIFOs are appended to held.
func (f fakeSv) build(t testing.TB, dir string, held *[]int) {
	t.Helper()
	sup := filepath.Join(dir, "supervise")
	if err := os.MkdirAll(sup, 0o700); err != nil {
		t.Fatal(err)
	}
	if !f.noOk {
		ok := filepath.Join(sup, "ok")
		if err := unix.Mkfifo(ok, 0o600); err != nil {
			t.Fatal(err)
		}
		if !f.noRunsv {
			fd, err := unix.Open(ok, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
			if err != nil {
				t.Fatal(err)
			}
			*held = append(*held, fd)
		}
	}
	if f.statDir {
		if err := os.Mkdir(filepath.Join(sup, "status"), 0o755); err != nil {
			t.Fatal(err)
		}
	} else if f.status != nil {
		if err := os.WriteFile(filepath.Join(sup, "status"), f.status, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRender(t *testing.T) {
	if testing.Short() {
		t.Skip("runs both sv binaries")
	}
	runit, ours := impls(t)
	var held []int
	defer func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	}()
	for _, c := range renderCases() {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			svdir := filepath.Join(root, "service")
			svc := filepath.Join(svdir, "svc")
			if err := os.MkdirAll(svc, 0o755); err != nil {
				t.Fatal(err)
			}
			c.main.build(t, svc, &held)
			if c.log != nil {
				c.log.build(t, filepath.Join(svc, "log"), &held)
			}
			for name, content := range c.files {
				p := filepath.Join(svc, name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				var err error
				if len(content) > 2 && content[:2] == "->" {
					err = os.Symlink(content[2:], p)
				} else {
					err = os.WriteFile(p, []byte(content), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			arg := c.arg
			if arg == "" {
				arg = "svc"
			}
			want := result{c.stdout, c.stderr, c.code}
			initd := filepath.Join(root, "initd")
			os.Mkdir(initd, 0o755)
			merged := map[string]string{}
			defer func() {
				if merged[runit.name] != merged[ours.name] {
					t.Errorf("stdout and stderr to one pipe:\nrunit's %q\nours    %q", merged[runit.name], merged[ours.name])
				}
			}()
			for _, sv := range []impl{runit, ours} {
				got, err := runSv(sv.bin, "", svdir, []string{"SVDIR=" + svdir}, append([]string{"status"}, strings.Fields(arg)...)...)
				if err != nil {
					t.Fatal(err)
				}
				if c.anySecs {
					got.stdout = secsRE.ReplaceAllString(got.stdout, "Ns")
				}
				if got != want {
					t.Errorf("%s sv status %s:\n got %v\nwant %v", sv.name, arg, got, want)
				}
				merged[sv.name], err = runSvMerged(sv.bin, svdir, []string{"SVDIR=" + svdir}, append([]string{"status"}, strings.Fields(arg)...)...)
				if err != nil {
					t.Fatal(err)
				}
				if c.lsbCode < 0 {
					continue
				}
				link := filepath.Join(initd, "svc")
				os.Remove(link)
				if err := os.Symlink(sv.bin, link); err != nil {
					t.Fatal(err)
				}
				got, err = runSv(link, "", root, []string{"SVDIR=" + svdir}, "status")
				if err != nil {
					t.Fatal(err)
				}
				if c.anySecs {
					got.stdout = secsRE.ReplaceAllString(got.stdout, "Ns")
				}
				if lsbWant := (result{c.stdout, c.stderr, c.lsbCode}); got != lsbWant {
					t.Errorf("%s LSB svc status:\n got %v\nwant %v", sv.name, got, lsbWant)
				}
			}
		})
	}
}

// runSvMerged runs sv with stdout and stderr on one pipe and returns what
// came out, with the exit code appended.
func runSvMerged(bin, dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = svEnv(env)
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		return "", err
	}
	return string(out) + "[exit " + strconv.Itoa(code) + "]", nil
}
