package reliability

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// treeImpl is a runsvdir with the runsv and svlogd found on its PATH.
type treeImpl struct{ name, runsvdir, path string }

func treeImpls(t *testing.T) []treeImpl {
	testenv.RequireRoot(t)
	var out []treeImpl
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, treeImpl{s.Name, s.Cmd(t, "runsvdir"), s.Dir(t)})
	}
	return out
}

var stampName = regexp.MustCompile(`@[0-9a-f]{24}\.`)

// modes walks root and returns "path mode" lines (stamped names
// normalised), skipping the files the test itself wrote.
func modes(t *testing.T, root string, skip map[string]bool) []string {
	var out []string
	seen := map[string]bool{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == root {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if skip[rel] || skip[filepath.Base(rel)] {
			return nil
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		line := stampName.ReplaceAllString(rel, "@STAMP.") + " " + fi.Mode().String()
		if !seen[line] {
			seen[line] = true
			out = append(out, line)
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func worldWritable(lines []string) []string {
	var bad []string
	for _, l := range lines {
		m := l[strings.LastIndexByte(l, ' ')+1:]
		if m[0] != 'L' && len(m) >= 2 && m[len(m)-2] == 'w' {
			bad = append(bad, l)
		}
	}
	return bad
}

// runTree starts im's runsvdir under umask mask on a service tree with a
// plain service and a logged service whose svlogd rotates, waits until
// the tree is up and svlogd has rotated, and returns the modes of
// everything there while it runs and after runsvdir's SIGHUP stopped it.
func runTree(t *testing.T, im treeImpl, mask string) (running, stopped []string) {
	root := t.TempDir()
	svdir := filepath.Join(root, "service")
	for _, d := range []string{"a", "b/log/main"} {
		if err := os.MkdirAll(filepath.Join(svdir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"a/run":             "#!/bin/sh\nexec sleep 1000000\n",
		"b/run":             "#!/bin/sh\ni=0\nwhile [ $i -lt 400 ]; do echo line $i; i=$((i+1)); done\nexec sleep 1000000\n",
		"b/log/run":         "#!/bin/sh\nexec svlogd -tt main\n",
		"b/log/main/config": "s2000\nn3\n!cat\n",
	}
	skip := map[string]bool{"run": true, "config": true}
	for name, body := range files {
		mode := os.FileMode(0o755)
		if strings.HasSuffix(name, "config") {
			mode = 0o644
		}
		if err := os.WriteFile(filepath.Join(svdir, name), []byte(body), mode); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("/bin/sh", "-c", "umask "+mask+"; exec \"$@\"", "sh", im.runsvdir, svdir)
	cmd.Env = []string{"PATH=" + im.path + ":/usr/bin:/bin"}
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
	testenv.WaitFor(t, 2*testenv.Deadline, im.name+": services up, svlogd rotated", func() bool {
		ents, _ := os.ReadDir(filepath.Join(svdir, "b/log/main"))
		rotated := false
		for _, e := range ents {
			n := e.Name()
			if strings.HasSuffix(n, ".u") || strings.HasSuffix(n, ".t") || n == "newstate" {
				return false // the processor (!cat) is at work
			}
			rotated = rotated || strings.HasSuffix(n, ".s")
		}
		b, _ := os.ReadFile(filepath.Join(svdir, "b/log/main/current"))
		return rotated && strings.Contains(string(b), "line 399") &&
			statIs(filepath.Join(svdir, "a/supervise/stat"), "run") &&
			statIs(filepath.Join(svdir, "b/log/supervise/stat"), "run")
	})
	running = modes(t, svdir, skip)
	pids := []int{readPid(filepath.Join(svdir, "a/supervise/pid")), readPid(filepath.Join(svdir, "b/supervise/pid")),
		readPid(filepath.Join(svdir, "b/log/supervise/pid"))}
	syscall.Kill(cmd.Process.Pid, syscall.SIGHUP)
	select {
	case <-done:
	case <-time.After(testenv.Deadline):
		t.Fatalf("%s: runsvdir did not exit on SIGHUP", im.name)
	}
	// The runsv processes too: each holds its supervise/lock until it
	// exits, and may still be writing supervise/ (a pid.new) after its
	// service is gone.
	testenv.WaitFor(t, testenv.Deadline, im.name+": services, svlogd and runsv to stop", func() bool {
		for _, p := range pids {
			if alive(p) {
				return false
			}
		}
		for _, d := range []string{"a", "b", "b/log"} {
			if !lockFree(filepath.Join(svdir, d, "supervise/lock")) {
				return false
			}
		}
		return true
	})
	return running, modes(t, svdir, skip)
}

// TestTreeModes: a running tree of runsvdir, runsv, services and svlogd
// (ours, and runit's for comparison) under the usual umask 022 and under
// umask 0: the modes of everything they create (supervise/ and
// log/supervise/ with control, ok, lock, status, stat, pid; svlogd's lock,
// current, rotated files) are runit's, and nothing ours creates is
// world-writable. svlogd's current is 0644 while written and 0744 after a
// clean exit, rotated (and processed: the log has a "!cat" processor)
// files 0744, state 0644, as runit.
func TestTreeModes(t *testing.T) {
	for _, mask := range []string{"022", "0"} {
		var got [2][2][]string
		ims := treeImpls(t)
		for i, im := range ims {
			r, s := runTree(t, im, mask)
			got[i] = [2][]string{r, s}
		}
		for k, when := range []string{"running", "stopped"} {
			// How many files svlogd has rotated by the time the tree is
			// looked at depends on timing; their modes are what counts, so
			// each kind of file is compared once.
			// supervise/extra is ours alone (0644, as status): left out.
			ours, theirs := strings.Join(kinds(withoutExtra(got[0][k])), "\n"), strings.Join(kinds(got[1][k]), "\n")
			if ours != theirs {
				t.Errorf("umask %s, %s: modes differ\n--- ours\n%s\n--- runit's\n%s", mask, when, ours, theirs)
			}
			if bad := worldWritable(got[0][k]); len(bad) > 0 && mask == "022" {
				t.Errorf("umask %s, %s: world-writable: %q", mask, when, bad)
			}
			if mask == "0" {
				t.Logf("umask 0, %s: world-writable with ours %q, with runit's %q", when, worldWritable(got[0][k]), worldWritable(got[1][k]))
			}
		}
		want := []string{"a/supervise drwx------", "a/supervise/control prw-------", "a/supervise/ok prw-------",
			"a/supervise/lock -rw-------", "b/log/supervise drwx------", "b/log/supervise/control prw-------",
			"b/log/supervise/lock -rw-------", "b/log/main/lock -rw-------", "b/log/main/current -rw-r--r--",
			"b/log/main/@STAMP.s -rwxr--r--", "a/supervise/extra -rw-r--r--", "b/log/supervise/extra -rw-r--r--"}
		if mask == "022" {
			all := strings.Join(got[0][0], "\n") + "\n"
			for _, w := range want {
				if !strings.Contains(all, w+"\n") {
					t.Errorf("ours: no %q in\n%s", w, all)
				}
			}
			if s := strings.Join(got[0][1], "\n") + "\n"; !strings.Contains(s, "b/log/main/current -rwxr--r--\n") {
				t.Errorf("ours: current not 0744 after svlogd exited:\n%s", s)
			}
			t.Logf("modes of a running tree (ours = runit's):\n%s", strings.Join(got[0][0], "\n"))
		}
	}
	if t.Failed() {
		return
	}
	figure(t, "modes of a running tree (runsvdir, runsv, svlogd), umask 022 and 0",
		"same modes as runit's; supervise/ 0700, control/ok/lock 0600 (service and log), svlogd lock 0600, current 0644 (0744 when closed), rotated/processed 0744, state 0644; nothing world-writable",
		"0 differences from runit")
}

// TestRunitInitFlagFiles: runit-init 0 and 6 (ours and runit's) in a
// mount namespace with a tmpfs on /run and a PID namespace whose process 1
// is a shell (which takes the SIGCONT), under umask 022 and 0: the flag
// files get runit's modes, never world-writable.
func TestRunitInitFlagFiles(t *testing.T) {
	testenv.RequireRoot(t)
	script := `mount -t tmpfs -o mode=0755 tmpfs /run || exit 99
for m in 022 0; do for a in 0 6 0; do
  (umask $m; "$BIN" $a; echo "umask $m: runit-init $a: exit $?")
  ls -l /run | sed -n 's/^\([^ ]*\) .* \(runit\.[a-z]*\)$/  \1 \2/p'
done; done
`
	var out [2]string
	for i, bin := range []string{testenv.Bin(t, "runit-init"), testenv.Oracle(t, "runit-init")} {
		cmd := exec.Command("/bin/sh", "-c", script)
		cmd.Env = []string{"PATH=/usr/bin:/bin", "BIN=" + bin}
		cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS, Unshareflags: syscall.CLONE_NEWNS}
		b, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", bin, err, b)
		}
		out[i] = string(b)
	}
	if out[0] != out[1] {
		t.Errorf("differ:\n--- ours\n%s--- runit's\n%s", out[0], out[1])
	}
	for _, l := range strings.Split(out[0], "\n") {
		if f := strings.Fields(l); len(f) == 2 && len(f[0]) == 10 && f[0][8] == 'w' {
			t.Errorf("world-writable: %s", l)
		}
	}
	if !strings.Contains(out[0], "---x------ runit.reboot") || !strings.Contains(out[0], "---------- runit.reboot") {
		t.Errorf("flag files not armed and disarmed:\n%s", out[0])
	}
	t.Logf("%s", out[0])
}

// withoutExtra leaves out our supervise/extra files (runit has none).
func withoutExtra(lines []string) []string {
	var out []string
	for _, l := range lines {
		if !strings.Contains(l, "supervise/extra ") {
			out = append(out, l)
		}
	}
	return out
}

// kinds returns the lines of a mode listing sorted, with repeats (files
// whose names differ only in their time stamp) removed.
func kinds(lines []string) []string {
	s := append([]string(nil), lines...)
	sort.Strings(s)
	out := s[:0]
	for i, l := range s {
		if i == 0 || l != s[i-1] {
			out = append(out, l)
		}
	}
	return out
}

// lockFree reports whether nobody holds the flock on file.
func lockFree(file string) bool {
	fd, err := syscall.Open(file, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false
	}
	defer syscall.Close(fd)
	return syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB) == nil
}
