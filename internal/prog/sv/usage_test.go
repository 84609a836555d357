package sv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// Usage errors, -V, argv[0] handling, missing services and the exit code
// cap: runit's sv and ours must give the same bytes and exit codes, which
// must also be the expected ones.
func TestUsageAndErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("runs both sv binaries")
	}
	runit, ours := impls(t)
	const use = "usage: sv [-v] [-w sec] command service ...\n\n"
	const lsbUse = "usage: demo [-w sec] command\n\n"
	const id = "$Id: 900314260c6d52c986c5357673bea2f3bd3f4698 $\n"
	nosuch := "fail: nosuch: unable to change to service directory: file does not exist\n"
	many := make([]string, 0, 121)
	many = append(many, "status")
	for i := 0; i < 120; i++ {
		many = append(many, "nosuch")
	}
	cases := []struct {
		name   string
		argv0  string // "" = the binary itself (basename sv); "lsb" = initd/demo symlink
		args   []string
		svdir  string // "" = a temporary empty directory
		stdout string
		stderr string
		code   int
	}{
		{name: "no args", stderr: use, code: 100},
		{name: "-V", args: []string{"-V"}, stderr: id + use, code: 100},
		{name: "-V with command", args: []string{"-V", "status", "x"}, stderr: id + use, code: 100},
		{name: "illegal option", args: []string{"-z", "status", "x"}, stderr: "sv: illegal option -- z\n" + use, code: 100},
		{name: "missing -w arg", args: []string{"-w"}, stderr: "sv: option requires an argument -- w\n" + use, code: 100},
		{name: "only -v", args: []string{"-v"}, stderr: use, code: 100},
		{name: "no service", args: []string{"status"}, stderr: use, code: 100},
		{name: "bogus command", args: []string{"bogus", "x"}, stderr: use, code: 100},
		{name: "empty command", args: []string{"", "x"}, stderr: use, code: 100},
		{name: "r", args: []string{"r", "x"}, stderr: use, code: 100},
		{name: "f", args: []string{"force", "x"}, stderr: use, code: 100},
		{name: "dash command", args: []string{"-", "x"}, stderr: use, code: 100},
		{name: "missing", args: []string{"status", "nosuch"}, stdout: nosuch, code: 1},
		{name: "missing up -v", args: []string{"-v", "up", "nosuch"}, stdout: nosuch, code: 1},
		{name: "missing svdir", args: []string{"status", "x"}, svdir: "/nonexistent/svdir", stdout: "fail: x: unable to change to service directory: file does not exist\n", code: 1},
		{name: "svdir not a directory", args: []string{"status", "x"}, svdir: "/dev/null", stdout: "fail: x: unable to change to service directory: not a directory\n", code: 1},
		{name: "missing relative", args: []string{"status", "./nosuch", "nosuch/"}, stdout: "fail: ./nosuch: unable to change to service directory: file does not exist\nfail: nosuch/: unable to change to service directory: file does not exist\n", code: 2},
		{name: "exit code capped", args: many, stdout: strings.Repeat(nosuch, 120), code: 99},
		{name: "exit runsv missing", args: []string{"exit", "nosuch"}, stdout: nosuch, code: 1},
		{name: "argv0 empty", argv0: "-", args: []string{"status", "x"}, stdout: "fail: : unable to change to service directory: file does not exist\n", code: 1},
		{name: "argv0 path to sv", argv0: "/some/where/sv", args: []string{"bogus", "x"}, stderr: use, code: 100},
		{name: "argv0 ends in slash", argv0: "sv/", args: []string{"bogus"}, stderr: "usage:  [-w sec] command\n\n", code: 2},
		{name: "lsb no args", argv0: "lsb", stderr: lsbUse, code: 2},
		{name: "lsb -V", argv0: "lsb", args: []string{"-V"}, stderr: id + lsbUse, code: 2},
		{name: "lsb illegal option", argv0: "lsb", args: []string{"-x"}, stderr: "demo: illegal option -- x\n" + lsbUse, code: 2},
		{name: "lsb stat", argv0: "lsb", args: []string{"stat"}, stderr: lsbUse, code: 2},
		{name: "lsb s", argv0: "lsb", args: []string{"s"}, stderr: lsbUse, code: 2},
		{name: "lsb bogus", argv0: "lsb", args: []string{"bogus"}, stderr: lsbUse, code: 2},
		{name: "lsb missing status", argv0: "lsb", args: []string{"status"}, stdout: "fail: demo: unable to change to service directory: file does not exist\n", code: 1},
		{name: "lsb missing restart", argv0: "lsb", args: []string{"restart"}, stdout: "fail: demo: unable to change to service directory: file does not exist\n", code: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			svdir := c.svdir
			if svdir == "" {
				svdir = filepath.Join(root, "service")
				os.Mkdir(svdir, 0o755)
			}
			want := result{c.stdout, c.stderr, c.code}
			for _, sv := range []impl{runit, ours} {
				bin, argv0 := sv.bin, c.argv0
				switch argv0 {
				case "-":
					argv0 = emptyArgv0
				case "lsb":
					link := filepath.Join(root, "initd-"+sv.name, "demo")
					os.MkdirAll(filepath.Dir(link), 0o755)
					if err := os.Symlink(sv.bin, link); err != nil {
						t.Fatal(err)
					}
					bin, argv0 = link, link
				case "":
					argv0 = sv.bin
				}
				got, err := runSv(bin, argv0, root, []string{"SVDIR=" + svdir}, c.args...)
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s sv (argv0 %q) %q:\n got %v\nwant %v", sv.name, argv0, c.args, got, want)
				}
			}
		})
	}
}

// A working directory sv cannot open is fatal: exit 100, or 151 in LSB
// mode. (Run as nobody in a directory it may enter but not read.)
func TestFatalCurrentDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("runs both sv binaries")
	}
	runit, ours := impls(t)
	// t.TempDir's parent is private to root: use a directory nobody can
	// reach.
	root, err := os.MkdirTemp("", "sv-fatal-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	cwd := filepath.Join(root, "cwd")
	if err := os.Mkdir(cwd, 0o711); err != nil {
		t.Fatal(err)
	}
	os.Chmod(cwd, 0o711)
	for _, sv := range []impl{runit, ours} {
		sv.bin = testenv.ForOthers(t, sv.bin) // the clone may be private to root
		for _, c := range []struct {
			argv0 string
			args  []string
			code  int
		}{
			{"sv", []string{"status", "x"}, 100},
			{"sv", []string{"bogus", "x"}, 100}, // checked before the command
			{"demo", []string{"status"}, 151},
			{"demo", []string{"bogus"}, 151},
		} {
			var out, errb strings.Builder
			cmd := &exec.Cmd{
				Path:        sv.bin,
				Args:        append([]string{c.argv0}, c.args...),
				Dir:         cwd,
				Env:         svEnv([]string{"SVDIR=" + root}),
				Stdout:      &out,
				Stderr:      &errb,
				SysProcAttr: &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}},
			}
			err := cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			got := result{out.String(), errb.String(), code}
			want := result{"", "fatal: unable to open current directory: access denied\n", c.code}
			if got != want {
				t.Errorf("%s sv as %s %q:\n got %v\nwant %v", sv.name, c.argv0, c.args, got, want)
			}
		}
	}
}
