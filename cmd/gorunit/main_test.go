package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

func TestCommand(t *testing.T) {
	for name, want := range map[string]string{
		"runit": "runit", "runit-init": "runit-init", "runsvdir": "runsvdir", "runsv": "runsv",
		"sv": "sv", "svlogd": "svlogd", "chpst": "chpst", "svok": "svok", "svc": "svc",
		"svstat": "svstat", "multilog": "multilog", "tai64nlocal": "tai64nlocal",
		"utmpset": "utmpset", "runsvchdir": "runsvchdir", "init": "runit-init",
		"envdir": "chpst", "envuidgid": "chpst", "setuidgid": "chpst", "softlimit": "chpst",
		"setlock": "chpst", "pgrphack": "chpst", "denvdir": "chpst", "dchpst": "chpst",
		"d": "", "ddenvdir": "", "foo": "", "gorunit": "", "": "", "runsv ": "", "Runsv": "",
	} {
		if got := command(name); got != want {
			t.Errorf("command(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestByFile: the last command name on the way from the file executed to
// the binary wins; names that are no command are passed over.
func TestByFile(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "gorunit")
	if err := os.WriteFile(bin, nil, 0o755); err != nil {
		t.Fatal(err)
	}
	link := func(name, target string) string {
		p := filepath.Join(dir, name)
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	sv := link("sv", "gorunit")  // relative
	svc := link("svc", sv)       // an LSB script named svc
	foo := link("foo", "svc")    // through it
	runsv := link("runsv", bin)  // absolute
	loop := link("loop", "loop") // a loop
	deep := link("deep", "../"+filepath.Base(dir)+"/runsv")
	long := link("long", strings.Repeat("./", 200)+"sv") // longer than byFile's first buffer
	for path, want := range map[string]string{
		bin: "", sv: "sv", svc: "sv", foo: "sv", runsv: "runsv", loop: "", deep: "runsv", long: "sv",
		filepath.Join(dir, "missing"): "", "": "",
	} {
		if got := byFile(path); got != want {
			t.Errorf("byFile(%s) = %q, want %q", filepath.Base(path), got, want)
		}
	}
}

// TestDispatch runs ./bin/gorunit through links and argv[0]s, telling the
// command by its usage line.
func TestDispatch(t *testing.T) {
	bin := testenv.BinDir(t)
	dir := t.TempDir()
	for name, target := range map[string]string{
		"foo": "sv", "svc": "sv", "mylogger": "svlogd", "init": "runit-init", "xyz": "chpst",
	} {
		if err := os.Symlink(filepath.Join(bin, target), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		path  string
		argv  []string
		usage string // first line of stderr
		code  int
	}{
		{filepath.Join(bin, "gorunit"), []string{"gorunit"}, "usage: gorunit command [arg ...]", 100},
		{filepath.Join(bin, "gorunit"), []string{"gorunit", "sv"}, "usage: sv [-v] [-w sec] command service ...", 100},
		{filepath.Join(bin, "gorunit"), []string{"/etc/init.d/abc"}, "usage: abc [-w sec] command", 2},
		{filepath.Join(dir, "foo"), []string{"foo"}, "usage: foo [-w sec] command", 2},
		{filepath.Join(dir, "svc"), []string{"svc"}, "usage: svc [-w sec] command", 2}, // sv, not daemontools' svc
		{filepath.Join(bin, "svc"), []string{"svc"}, "", 0},                            // daemontools' svc: nothing to do
		{filepath.Join(dir, "init"), []string{"init"}, "usage: init 0|6", 0},
		{filepath.Join(dir, "mylogger"), []string{"mylogger"}, "usage: mylogger [-ttv] [-r c] [-R abc] [-l len] [-b buflen] dir ...", 111},
		{filepath.Join(bin, "runsv"), []string{"svlogd"}, "usage: svlogd dir", 1}, // runsv whatever argv[0] says
		{filepath.Join(dir, "xyz"), []string{"setuidgid"}, "usage: setuidgid account child", 100},
	} {
		cmd := exec.Command(c.path)
		cmd.Args = c.argv
		var stderr strings.Builder
		cmd.Stderr = &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.Sys().(syscall.WaitStatus).ExitStatus()
		} else if err != nil {
			t.Fatal(err)
		}
		first, _, _ := strings.Cut(stderr.String(), "\n")
		if first != c.usage || code != c.code {
			t.Errorf("%s as %q: %q, exit %d; want %q, exit %d", filepath.Base(c.path), c.argv, first, code, c.usage, c.code)
		}
	}
}
