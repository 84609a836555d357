package daemontools

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
	"gorunit/internal/testenv"
)

func record(since uint64, pid int, paused bool, want byte) []byte {
	r := supervise.Record{Since: tai64.N{Sec: since}, PID: pid, Paused: paused, Want: want, State: supervise.Run}
	if pid == 0 {
		r.State = supervise.Down
	}
	var b [supervise.Size]byte
	r.Encode(&b)
	return b[:]
}

func TestStatText(t *testing.T) {
	const now = tai64.Base + 1000
	cases := []struct {
		rec        []byte
		normallyUp bool
		want       string
	}{
		{record(now-5, 42, false, 'u'), true, "up (pid 42) 5 seconds"},
		{record(now-5, 42, false, 'u'), false, "up (pid 42) 5 seconds, normally down"},
		{record(now, 42, true, 'u'), true, "up (pid 42) 0 seconds, paused"},
		{record(now-7, 42, true, 'd'), false, "up (pid 42) 7 seconds, normally down, paused, want down"},
		{record(now-3, 0, false, 'd'), true, "down 3 seconds, normally up"},
		{record(now-3, 0, false, 'd'), false, "down 3 seconds"},
		{record(now-3, 0, false, 'u'), false, "down 3 seconds, want up"},
		{record(now-3, 0, true, 'u'), true, "down 3 seconds, normally up, want up"},
		{record(now+100, 0, false, 'd'), true, "down 0 seconds, normally up"}, // clock went back
		{record(now-1, 4294967295, false, 'u'), true, "up (pid 4294967295) 1 seconds"},
	}
	for _, c := range cases {
		if got := StatText(c.rec[:18], now, c.normallyUp); got != c.want {
			t.Errorf("StatText(% x, up=%v) = %q, want %q", c.rec, c.normallyUp, got, c.want)
		}
		// runit's two extra bytes change nothing
		if got := StatText(c.rec, now, c.normallyUp); got != c.want {
			t.Errorf("StatText with 20 bytes = %q, want %q", got, c.want)
		}
	}
}

func TestSvcCommands(t *testing.T) {
	cases := []struct {
		args []string
		data string
		dirs []string
		ok   bool
	}{
		{[]string{"-dx", "."}, "dx", []string{"."}, true},
		{[]string{"-xd", "a", "b"}, "xd", []string{"a", "b"}, true},
		{[]string{"-d", "-u", "-d", "-x", "s"}, "dux", []string{"s"}, true},
		{[]string{"-udopchaitkx", "s"}, "udopchaitkx", []string{"s"}, true},
		{[]string{"s", "-d"}, "", []string{"s", "-d"}, true},
		{[]string{"--", "-d"}, "", []string{"-d"}, true},
		{[]string{"-u"}, "u", nil, true},
		{[]string{"-q", "s"}, "", nil, false}, // runit's q is not daemontools'
		{[]string{"-1", "s"}, "", nil, false},
	}
	for _, c := range cases {
		data, dirs, ok := SvcCommands(c.args, true)
		if data != c.data || ok != c.ok || (ok && strings.Join(dirs, "|") != strings.Join(c.dirs, "|")) {
			t.Errorf("SvcCommands(%q) = %q %q %v, want %q %q %v", c.args, data, dirs, ok, c.data, c.dirs, c.ok)
		}
	}
}

func FuzzSvcCommands(f *testing.F) {
	for _, s := range []string{"-dx\x00.", "-udopchaitkx\x00a\x00b", "-z", "--\x00-d", "-", "-uuuu\x00x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		data, _, ok := SvcCommands(args, true)
		if !ok {
			return
		}
		seen := map[rune]bool{}
		for _, c := range data {
			if seen[c] || !strings.ContainsRune("udopchaitkx", c) {
				t.Fatalf("SvcCommands(%q) data %q", args, data)
			}
			seen[c] = true
		}
	})
}

// run runs bin with args in dir: stdout, stderr, exit code.
func run(t *testing.T, dir, bin string, args ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Deadline)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q hung", bin, args)
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// fakeSupervise makes dir look supervised: FIFOs supervise/ok and
// supervise/control held open for reading by the test, and a status
// file. It returns the control FIFO's reader.
func fakeSupervise(t *testing.T, dir string, rec []byte) *os.File {
	t.Helper()
	sup := filepath.Join(dir, "supervise")
	if err := os.MkdirAll(sup, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ok", "control"} {
		if err := syscall.Mkfifo(filepath.Join(sup, f), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ok, err := os.OpenFile(filepath.Join(sup, "ok"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ok.Close() })
	ctl, err := os.OpenFile(filepath.Join(sup, "control"), os.O_RDWR|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctl.Close() })
	if err := os.WriteFile(filepath.Join(sup, "status"), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	return ctl
}

func drain(f *os.File) string {
	var b [64]byte
	n, _ := syscall.Read(int(f.Fd()), b[:])
	if n < 0 {
		n = 0
	}
	return string(b[:n])
}

// TestSvcBytes: the bytes svc writes to supervise/control, ours and
// busybox's. Where busybox differs it is listed: busybox writes the
// letters in its fixed order (daemontools and ours: as given) and skips a
// letter equal to the want byte of supervise/status (sv's optimisation).
func TestSvcBytes(t *testing.T) {
	bb := testenv.Busybox(t)
	ours := testenv.Bin(t, "svc")
	root := t.TempDir()
	// want 'u': busybox skips a 'u' when the want byte already says u
	ctl := fakeSupervise(t, filepath.Join(root, "s"), record(tai64.Now().Sec, 42, false, 'u'))
	cases := []struct {
		opts      []string
		ours, bbx string
	}{
		{[]string{"-d"}, "d", "d"},
		{[]string{"-o"}, "o", "o"},
		{[]string{"-x"}, "x", "x"},
		{[]string{"-dx"}, "dx", "dx"},
		{[]string{"-pchaitk"}, "pchaitk", "pchaitk"},
		{[]string{"-p", "-c"}, "pc", "pc"},
		{[]string{"-dd"}, "d", "d"},
		{[]string{"-xd"}, "xd", "dx"}, // order
		{[]string{"-u"}, "u", ""},     // want byte is already u
		{[]string{"-du"}, "du", "d"},  // both
	}
	for _, c := range cases {
		for _, impl := range []struct{ bin, want string }{{ours, c.ours}, {bb, c.bbx}} {
			args := append([]string{}, c.opts...)
			if impl.bin == bb {
				args = append([]string{"svc"}, args...)
			}
			args = append(args, "./s")
			out, errs, code := run(t, root, impl.bin, args...)
			if got := drain(ctl); got != impl.want || code != 0 || out != "" || errs != "" {
				t.Errorf("%s %q: wrote %q, exit %d, stdout %q, stderr %q; want %q, exit 0", impl.bin, args, got, code, out, errs, impl.want)
			}
		}
	}
}

// world runs our runsv on service s in a fresh directory.
func world(t *testing.T, run string, files ...string) (root string) {
	t.Helper()
	testenv.RequireRoot(t)
	root = t.TempDir()
	s := filepath.Join(root, "s")
	os.MkdirAll(s, 0o755)
	if err := os.WriteFile(filepath.Join(s, "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		os.WriteFile(filepath.Join(s, f), nil, 0o644)
	}
	cmd := exec.Command(testenv.Bin(t, "runsv"), "s")
	cmd.Dir = root
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	testenv.WaitFor(t, testenv.Deadline, "runsv", func() bool { return supervised(s) })
	return root
}

func supervised(dir string) bool {
	fd, err := syscall.Open(filepath.Join(dir, "supervise", "ok"), syscall.O_WRONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return false
	}
	syscall.Close(fd)
	return true
}

func statusOf(t *testing.T, dir string) supervise.Record {
	b, err := os.ReadFile(filepath.Join(dir, "supervise", "status"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := supervise.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestAgainstRunsv drives our runsv with our svc and with busybox's, step
// by step, and checks that each step has the same effect; svok and svstat
// report each state.
func TestAgainstRunsv(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv")
	}
	bb := testenv.Busybox(t)
	svc, svok, svstat := testenv.Bin(t, "svc"), testenv.Bin(t, "svok"), testenv.Bin(t, "svstat")
	steps := []struct {
		opt   string
		cond  func(supervise.Record) bool
		stat  string // svstat's line (seconds and pid normalised)
		title string
	}{
		{"-d", func(r supervise.Record) bool { return r.PID == 0 && r.Want == 'd' }, "./s: down N seconds, normally up", "down"},
		{"-u", func(r supervise.Record) bool { return r.PID != 0 && r.Want == 'u' && r.State == supervise.Run }, "./s: up (pid N) N seconds", "up"},
		{"-p", func(r supervise.Record) bool { return r.PID != 0 && r.Paused }, "./s: up (pid N) N seconds, paused", "pause"},
		{"-c", func(r supervise.Record) bool { return r.PID != 0 && !r.Paused }, "./s: up (pid N) N seconds", "continue"},
		{"-k", func(r supervise.Record) bool { return r.PID != 0 && r.State == supervise.Run }, "./s: up (pid N) N seconds", "kill (restarted)"},
		{"-o", func(r supervise.Record) bool { return r.PID != 0 && r.Want == 'd' }, "./s: up (pid N) N seconds, want down", "once"},
	}
	norm := regexp.MustCompile(`\(pid [0-9]+\) [0-9]+ seconds|down [0-9]+ seconds`)
	normalise := func(s string) string {
		return norm.ReplaceAllStringFunc(s, func(m string) string {
			if strings.HasPrefix(m, "down") {
				return "down N seconds"
			}
			return "(pid N) N seconds"
		})
	}
	for _, impl := range []string{svc, bb} {
		root := world(t, "#!/bin/sh\nexec sleep 1000\n")
		s := filepath.Join(root, "s")
		testenv.WaitFor(t, testenv.Deadline, "up", func() bool { r := statusOf(t, s); return r.PID != 0 })
		for _, st := range steps {
			args := []string{st.opt, "./s"}
			if impl == bb {
				args = append([]string{"svc"}, args...)
			}
			pid0 := statusOf(t, s).PID
			if _, errs, code := run(t, root, impl, args...); code != 0 || errs != "" {
				t.Fatalf("%s %q: exit %d, %q", impl, args, code, errs)
			}
			testenv.WaitFor(t, testenv.Deadline, impl+" "+st.title, func() bool {
				r := statusOf(t, s)
				return st.cond(r) && (st.opt != "-k" || r.PID != pid0)
			})
			if out, _, code := run(t, root, svstat, "./s"); normalise(out) != st.stat+"\n" || code != 0 {
				t.Errorf("after %s %s: svstat printed %q (exit %d), want %q", impl, st.opt, out, code, st.stat)
			}
			for _, ok := range []string{svok, bb} {
				args := []string{"./s"}
				if ok == bb {
					args = []string{"svok", "./s"}
				}
				if _, errs, code := run(t, root, ok, args...); code != 0 || errs != "" {
					t.Errorf("%s %q with runsv running: exit %d, %q", ok, args, code, errs)
				}
			}
		}
		// -dx: the service goes down and runsv exits.
		args := []string{"-dx", "./s"}
		if impl == bb {
			args = append([]string{"svc"}, args...)
		}
		if _, errs, code := run(t, root, impl, args...); code != 0 || errs != "" {
			t.Fatalf("%s %q: exit %d, %q", impl, args, code, errs)
		}
		testenv.WaitFor(t, testenv.Deadline, "runsv to exit", func() bool { return !supervised(s) })
		// busybox's svok opens supervise/ok blocking and would hang on
		// the FIFO runsv left behind; ours says 100 at once.
		if out, errs, code := run(t, root, svok, "./s"); code != 100 || out != "" || errs != "" {
			t.Errorf("svok after runsv exited: exit %d, %q %q", code, out, errs)
		}
		if out, _, _ := run(t, root, svstat, "./s", "s", "nonexistent"); out != "./s: supervise not running\ns: supervise not running\nnonexistent: unable to chdir: file does not exist\n" {
			t.Errorf("svstat after runsv exited: %q", out)
		}
	}
}

// TestCookbook: daemontools' `svc -dx . ; while svok . ; do sleep 1; done`
// in a service directory ends once runsv is gone.
func TestCookbook(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs runsv")
	}
	root := world(t, "#!/bin/sh\nexec sleep 1000\n")
	s := filepath.Join(root, "s")
	env := append(os.Environ(), "PATH="+testenv.BinDir(t)+":"+os.Getenv("PATH"))
	cmd := exec.Command("/bin/sh", "-c", "svc -dx . && while svok . ; do sleep 1; done; echo done; exec svok .")
	cmd.Dir, cmd.Env = s, env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 100 || string(out) != "done\n" {
		t.Fatalf("cookbook loop: %v, output %q (after %v)", err, out, time.Since(start))
	}
	if supervised(s) {
		t.Fatal("runsv still running")
	}
}

// TestMessages: daemontools' messages and exit codes for bad input.
func TestMessages(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bare"), 0o755)
	svc, svok, svstat := testenv.Bin(t, "svc"), testenv.Bin(t, "svok"), testenv.Bin(t, "svstat")
	cases := []struct {
		bin       string
		args      []string
		out, errs string
		code      int
	}{
		{svok, nil, "", "svok: usage: svok dir\n", 100},
		{svok, []string{"nonexistent"}, "", "svok: fatal: unable to chdir to nonexistent: file does not exist\n", 111},
		{svok, []string{"bare"}, "", "", 100},
		{svc, []string{"-z", "bare"}, "", "svc: illegal option -- z\n" + svcUsage + "\n", 100},
		{svc, []string{"-u", "nonexistent", "bare"}, "", "svc: warning: unable to chdir to nonexistent: file does not exist\nsvc: warning: unable to control bare: file does not exist\n", 0},
		{svc, []string{"-u"}, "", "", 0},
		{svstat, nil, "", "", 0},
		{svstat, []string{"bare", "nonexistent"}, "bare: unable to open supervise/ok: file does not exist\nnonexistent: unable to chdir: file does not exist\n", "", 0},
	}
	for _, c := range cases {
		out, errs, code := run(t, root, c.bin, c.args...)
		if out != c.out || errs != c.errs || code != c.code {
			t.Errorf("%s %q: stdout %q stderr %q exit %d; want %q %q %d", filepath.Base(c.bin), c.args, out, errs, code, c.out, c.errs, c.code)
		}
	}
	// A supervised directory whose status is too short.
	fakeSupervise(t, filepath.Join(root, "short"), []byte("short"))
	if out, _, _ := run(t, root, svstat, "short"); out != "short: unable to read supervise/status: bad format\n" {
		t.Errorf("svstat on a short status: %q", out)
	}
}
