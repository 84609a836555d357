package stages

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gorunit/internal/testenv"
)

type run struct {
	stdout, stderr string
	code           int
}

func runCmd(t *testing.T, argv0, path string, args ...string) run {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Args[0] = argv0
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return run{o.String(), e.String(), code}
}

// TestNotProcess1: runit refuses to run unless it is process 1, and the
// helper marker does not turn it into anything else.
func TestNotProcess1(t *testing.T) {
	want := run{"", "- runit: fatal: must be run as process no 1.\n", 111}
	for _, c := range [][]string{{"runit"}, {"/sbin/runit", "1", "2"}, {helperMarker, modeStage, "/bin/true"},
		{helperMarker, modeBuiltin, "3", "r"}, {helperMarker, modeReboot, "r"}} {
		for _, bin := range []string{testenv.Bin(t, "runit"), testenv.Oracle(t, "runit")} {
			if got := runCmd(t, c[0], bin, c[1:]...); got != want {
				t.Errorf("%s %q: got %+v, want %+v", bin, c, got, want)
			}
		}
	}
}

func TestRunitInitUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"-V"}, {"-Vx"}, {"5"}, {""}, {"-x"}, {"--", "0"}, {"halt"}} {
		ours := runCmd(t, "runit-init", testenv.Bin(t, "runit-init"), args...)
		theirs := runCmd(t, "runit-init", testenv.Oracle(t, "runit-init"), args...)
		if ours != theirs {
			t.Errorf("runit-init %q: ours %+v, runit's %+v", args, ours, theirs)
		}
		if !strings.Contains(ours.stderr, "usage: runit-init 0|6\n\n") {
			t.Errorf("runit-init %q: no usage: %+v", args, ours)
		}
	}
}

// TestRunitInitErrors: /run read-only (in a private mount namespace).
func TestRunitInitErrors(t *testing.T) {
	testenv.RequireRoot(t)
	for _, arg := range []string{"0", "6"} {
		var res []run
		for _, bin := range []string{testenv.Bin(t, "runit-init"), testenv.Oracle(t, "runit-init")} {
			cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c",
				`mount -t tmpfs -o ro tmpfs /run && exec "$0" "$1"`, bin, arg)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			err := cmd.Run()
			code := 0
			if x, ok := err.(*exec.ExitError); ok {
				code = x.ExitCode()
			}
			res = append(res, run{o.String(), strings.ReplaceAll(e.String(), bin, "runit-init"), code})
		}
		if res[0] != res[1] {
			t.Errorf("runit-init %s on a read-only /run: ours %+v, runit's %+v", arg, res[0], res[1])
		}
		if res[0].code != 111 || res[0].stderr != "init: fatal: unable to create /run/runit.stopit: file descriptor not open\n" {
			t.Errorf("runit-init %s: %+v", arg, res[0])
		}
	}
}

// TestRunitInitAsProcess1: as process 1, runit-init executes the runit
// next to it; with none there and no /sbin/runit it fails as runit's does.
func TestRunitInitAsProcess1(t *testing.T) {
	t.Parallel()
	files := map[string]string{"nosync": "", "nocontainer": "",
		"1": "#!/bin/sh\necho \"stage1: process 1 is $(cut -d' ' -f2 /proc/1/stat) $(tr '\\0' ' ' </proc/1/cmdline)\"\n",
		"2": "#!/bin/sh\n", "3": "#!/bin/sh\n"}
	b := boot(t, scenario{name: "init1", files: files, argv0: "/sbin/init"}, testenv.Bin(t, "runit-init"))
	if o := b.outcome(); o != "signal: interrupt" {
		t.Errorf("outcome %q, want power off", o)
	}
	expectLines(t, b.Lines(), lBoot, enter("1"), "stage1: process 1 is (runit) runit ", leave("1"), enter("2"), leave("2"),
		enter("3"), leave("3"), lKill, lPower)

	if _, err := os.Stat("/sbin/runit"); err == nil {
		t.Skip("/sbin/runit exists on this machine")
	}
	alone := filepath.Join(t.TempDir(), "runit-init")
	data, err := os.ReadFile(testenv.Bin(t, "runit-init"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(alone, data, 0o755); err != nil {
		t.Fatal(err)
	}
	var errs []string
	for _, bin := range []string{alone, testenv.Oracle(t, "runit-init")} {
		b := boot(t, scenario{name: "init1-norunit", files: files, argv0: "/sbin/init"}, bin)
		if o := b.outcome(); o != "exit 111" {
			t.Errorf("%s: outcome %q, want exit 111", bin, o)
		}
		e, _ := os.ReadFile(b.errFile)
		errs = append(errs, string(e))
	}
	if errs[0] != errs[1] || errs[0] != "init: fatal: unable to start runit: file does not exist\n" {
		t.Errorf("stderr: ours %q, runit's %q", errs[0], errs[1])
	}
}
