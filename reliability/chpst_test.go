package reliability

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

type chpstImpl struct{ name, bin string }

func chpstImpls(t *testing.T) []chpstImpl {
	testenv.RequireRoot(t)
	var out []chpstImpl
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, chpstImpl{s.Name, s.Cmd(t, "chpst")})
	}
	return out
}

// runAs runs argv (argv[0] is the program name the binary sees) with the
// given credential and returns stdout+stderr and the exit code.
func runAs(t *testing.T, bin string, argv []string, cred *syscall.Credential, env []string) (string, int) {
	t.Helper()
	cmd := &exec.Cmd{Path: bin, Args: argv, Env: env}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), code
}

func statusLines(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Uid:") || strings.HasPrefix(l, "Gid:") || strings.HasPrefix(l, "Groups:") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// TestChpstDropsSupplementaryGroups: a caller (root) holding supplementary
// groups 4, 5, 6 and 100 runs chpst -u nobody / setuidgid nobody; the
// program's /proc/self/status shows nobody's ids and none of the caller's
// groups (only nobody's own group), as with runit's chpst.
func TestChpstDropsSupplementaryGroups(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin"}
	cred := &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{4, 5, 6, 100}}
	var got []string
	for _, im := range chpstImpls(t) {
		for _, argv := range [][]string{
			{"chpst", "-u", "nobody", "cat", "/proc/self/status"},
			{"setuidgid", "nobody", "cat", "/proc/self/status"},
			{"chpst", "-u", "nobody:nogroup", "cat", "/proc/self/status"},
		} {
			bin := im.bin
			if argv[0] != "chpst" {
				bin = filepath.Join(t.TempDir(), argv[0])
				if err := os.Symlink(im.bin, bin); err != nil {
					t.Fatal(err)
				}
			}
			out, code := runAs(t, bin, argv, cred, env)
			s := statusLines(out)
			if code != 0 || !strings.Contains(s, "Uid:\t65534\t65534\t65534\t65534") {
				t.Fatalf("%s %q: exit %d\n%s", im.name, argv, code, out)
			}
			var groups string
			for _, l := range strings.Split(s, "\n") {
				if strings.HasPrefix(l, "Groups:") {
					groups = strings.TrimSpace(strings.TrimPrefix(l, "Groups:"))
				}
			}
			for _, g := range strings.Fields(groups) {
				if g == "4" || g == "5" || g == "6" || g == "100" || g == "0" {
					t.Errorf("%s %q: caller's group %s kept: %q", im.name, argv, g, groups)
				}
			}
			got = append(got, strings.Join(argv[:3], " ")+": "+s)
		}
	}
	if n := len(got) / 2; strings.Join(got[:n], "\n") != strings.Join(got[n:], "\n") {
		t.Errorf("ids differ:\n--- ours\n%s\n--- runit's\n%s", strings.Join(got[:n], "\n"), strings.Join(got[n:], "\n"))
	}
	// The caller really had the groups (the test proves something).
	out, _ := runAs(t, "/bin/cat", []string{"cat", "/proc/self/status"}, cred, env)
	if !strings.Contains(statusLines(out), "Groups:\t4 5 6 100") {
		t.Fatalf("caller's groups not set: %q", statusLines(out))
	}
}

// TestChpstEnvUidKeepsCallerIds: -U (envuidgid) only sets $UID and $GID;
// the program still runs with the caller's ids and groups.
func TestChpstEnvUidKeepsCallerIds(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin"}
	cred := &syscall.Credential{Uid: 0, Gid: 0, Groups: []uint32{7}}
	for _, im := range chpstImpls(t) {
		out, code := runAs(t, im.bin, []string{"chpst", "-U", "nobody:nogroup", "sh", "-c",
			`echo "UID=$UID GID=$GID"; grep -E "^(Uid|Gid|Groups)" /proc/self/status`}, cred, env)
		want := "UID=65534 GID=65534\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nGroups:\t7 \n"
		if strings.Contains(out, "Groups:\t7\n") {
			want = strings.Replace(want, "7 \n", "7\n", 1)
		}
		if code != 0 || out != want {
			t.Errorf("%s: chpst -U: exit %d, output %q, want %q", im.name, code, out, want)
		}
	}
}

// TestSetuidgidUnknownUserFailsClosed: an unknown user (or group) makes
// chpst -u / setuidgid exit 111 with runit's message without running the
// program, as root or not.
func TestSetuidgidUnknownUserFailsClosed(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin"}
	var res [2][]string
	for i, im := range chpstImpls(t) {
		dir := t.TempDir()
		marker := filepath.Join(dir, "ran")
		sud := filepath.Join(dir, "setuidgid")
		os.Symlink(im.bin, sud)
		for _, argv := range [][]string{
			{"chpst", "-u", "no-such-user-x", "touch", marker},
			{"chpst", "-u", "nobody:no-such-group-x", "touch", marker},
			{"chpst", "-u", "nobody:nogroup:no-such-group-x", "touch", marker},
			{"chpst", "-U", "no-such-user-x", "touch", marker},
			{"setuidgid", "no-such-user-x", "touch", marker},
		} {
			bin := im.bin
			if argv[0] == "setuidgid" {
				bin = sud
			}
			out, code := runAs(t, bin, argv, nil, env)
			if code != 111 {
				t.Errorf("%s %q: exit %d (%q), want 111", im.name, argv, code, out)
			}
			if _, err := os.Stat(marker); err == nil {
				t.Errorf("%s %q: the program ran", im.name, argv)
				os.Remove(marker)
			}
			res[i] = append(res[i], strings.Join(argv[:len(argv)-1], " ")+": "+out)
		}
	}
	if strings.Join(res[0], "") != strings.Join(res[1], "") {
		t.Errorf("messages differ:\n--- ours\n%s\n--- runit's\n%s", strings.Join(res[0], ""), strings.Join(res[1], ""))
	}
}

// TestChpstHugeLimitsAsRunit is the regression test for a bug found by
// FuzzParse: a limit of 2^63 or more wraps to a negative C long in runit,
// which then leaves that limit alone; ours set the soft limit to the hard
// one. (2^64-1 wraps to -1: soft := hard in both.)
func TestChpstHugeLimitsAsRunit(t *testing.T) {
	env := []string{"PATH=/usr/bin:/bin"}
	var res [2]string
	for i, im := range chpstImpls(t) {
		soft := filepath.Join(t.TempDir(), "softlimit")
		os.Symlink(im.bin, soft)
		for _, c := range [][]string{
			{im.bin, "-c", "10000000000000000000"},
			{im.bin, "-c", "9223372036854775808"},
			{im.bin, "-c", "18446744073709551615"},
			{im.bin, "-c", "18446744073709551614"},
			{im.bin, "-m", "12345678901234567890"},
			{soft, "-c", "10000000000000000000"},
			{soft, "-c", "="},
		} {
			script := `ulimit -S -c 100; ulimit -H -c 100000; exec "$@"`
			args := append([]string{"sh", "-c", script, "sh"}, c...)
			args = append(args, "sh", "-c", `echo "$(ulimit -S -c) $(ulimit -H -c) $(ulimit -S -d)"`)
			cmd := exec.Command("/bin/sh", args[1:]...) // the personality is c[0]'s base name
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s %q: %v %s", im.name, c[1:], err, out)
			}
			res[i] += filepath.Base(c[0]) + " " + strings.Join(c[1:], " ") + ": " + string(out)
		}
	}
	if res[0] != res[1] {
		t.Errorf("limits differ:\n--- ours\n%s--- runit's\n%s", res[0], res[1])
	}
	if !strings.Contains(res[0], "chpst -c 10000000000000000000: 100 100000") {
		t.Errorf("a wrapped limit changed the soft limit:\n%s", res[0])
	}
}
