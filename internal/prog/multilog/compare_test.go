package multilog

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

var stampRE = regexp.MustCompile(`(?m)^@[0-9a-fA-F]{24} `)

// input is the log both loggers get: ordinary, fatal, debug and long
// lines, enough for many rotations at s4096.
func input() []byte {
	var b bytes.Buffer
	for i := 0; i < 1500; i++ {
		switch {
		case i%7 == 0:
			fmt.Fprintf(&b, "fatal: problem %d\n", i)
		case i%5 == 0:
			fmt.Fprintf(&b, "debug %d details\n", i)
		case i%97 == 0:
			fmt.Fprintf(&b, "long %d %s\n", i, strings.Repeat("x", 1500))
		default:
			fmt.Fprintf(&b, "line %d of the log\n", i)
		}
	}
	b.WriteString("unterminated last line")
	return b.Bytes()
}

// runLogger runs bin with args in dir on the input: its stderr.
func runLogger(t *testing.T, dir, bin string, in []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(in)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %q: %v, stderr %q", bin, args, err, errb.String())
	}
	return errb.String()
}

// snapshot lists a log directory: old files in the order of their names
// (time), each as its suffix and contents with stamps replaced; then the
// other files (config and lock excluded) by name.
func snapshot(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	var out []string
	for _, n := range names {
		if n == "config" || n == "lock" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(dir, n))
		name := n
		if len(n) == 27 && n[0] == '@' {
			name = "@old" + n[25:]
		}
		out = append(out, fmt.Sprintf("%s %v %q", name, fi.Mode(), stampRE.ReplaceAllString(string(b), "@T ")))
	}
	return out
}

// TestSameAsSvlogd: multilog with a script writes the same directories
// (files, modes, contents without the stamps) and the same stderr copies
// as svlogd with the equivalent hand-written configs.
func TestSameAsSvlogd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: runs svlogd and multilog")
	}
	ml, sl := testenv.Bin(t, "multilog"), testenv.Bin(t, "svlogd")
	in := input()
	a, b := t.TempDir(), t.TempDir()
	mlErr := runLogger(t, a, ml, in, "t", "s4096", "n4", "-* debug *", "./main",
		"-*", "+* fatal: *", "e", "n3", "./fatal",
		"+*", "-* debug *", "s5000", "!tr a-z A-Z", "./proc")
	configs := map[string]string{
		"main":  "s4096\nn3\n-debug *\n",
		"fatal": "s4096\nn2\n-*\n+fatal: *\nefatal: *\n",
		"proc":  "s5000\nn2\n-debug *\n!tr a-z A-Z\n",
	}
	for d, c := range configs {
		os.Mkdir(filepath.Join(b, d), 0o700)
		if err := os.WriteFile(filepath.Join(b, d, "config"), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	slErr := runLogger(t, b, sl, in, "-t", "main", "fatal", "proc")
	if n, m := stampRE.ReplaceAllString(mlErr, "@T "), stampRE.ReplaceAllString(slErr, "@T "); n != m || !strings.Contains(n, "@T fatal: problem 1491\n") {
		t.Errorf("stderr copies differ or are missing:\nmultilog %q\nsvlogd   %q", n, m)
	}
	for d := range configs {
		if fi, err := os.Stat(filepath.Join(a, d)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("multilog's %s: %v %v", d, fi, err)
		}
		got, want := snapshot(t, filepath.Join(a, d)), snapshot(t, filepath.Join(b, d))
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s differs:\nmultilog:\n%s\nsvlogd:\n%s", d, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		if len(got) < 3 {
			t.Errorf("%s: too few files to show anything: %q", d, got)
		}
	}
	// The directories do hold what the script selects.
	all := strings.Join(snapshot(t, filepath.Join(a, "fatal")), "")
	if strings.Contains(all, "line ") || !strings.Contains(all, "@T fatal: problem 1491") {
		t.Errorf("fatal/ holds the wrong lines: %s", all)
	}
	all = strings.Join(snapshot(t, filepath.Join(a, "proc")), "")
	if !strings.Contains(all, " OF THE LOG\\n") || !strings.Contains(all, "@T FATAL: PROBLEM") || strings.Contains(all, "DEBUG") {
		t.Errorf("proc/ was not processed as configured: %.300s", all)
	}
}

// TestLocked: a directory another logger holds is fatal at start, as in
// multilog (exit 111, nothing read).
func TestLocked(t *testing.T) {
	ml := testenv.Bin(t, "multilog")
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "main"), 0o700)
	f, err := os.OpenFile(filepath.Join(dir, "main", "lock"), os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ml, "t", "./main")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("x\n")
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 111 || string(out) != "multilog: fatal: unable to lock directory ./main: temporary failure\n" {
		t.Fatalf("multilog on a locked directory: %v %q", err, out)
	}
}

// TestFilter: a script without directories copies selected lines to
// stderr (the first 200 bytes of long ones) and exits 0 at the end.
func TestFilter(t *testing.T) {
	ml := testenv.Bin(t, "multilog")
	long := strings.Repeat("y", 300)
	cmd := exec.Command(ml, "e", "-*b*", "e")
	cmd.Stdin = strings.NewReader("a\nb\nab\n" + long + "\nlast")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	want := "a\na\nb\nab\n" + long[:200] + "...\n" + long[:200] + "...\nlast\nlast\n"
	if out.String() != "" || errb.String() != want {
		t.Fatalf("stdout %q\nstderr %q\nwant   %q", out.String(), errb.String(), want)
	}
}
