package runsvdir_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// long bounds every wait: runit's runsvdir notices some changes only on
// its 5-second wake-up, and the test machine is small and shared.
const long = 90 * time.Second

// impl is one runsvdir with the PATH it runs under (which selects runsv
// and the loggers' svlogd).
type impl struct {
	name     string
	runsvdir string
	path     string
}

func ours(t *testing.T) impl {
	t.Helper()
	testenv.RequireRoot(t)
	bin := testenv.BinDir(t) // fails unless ./bin/runsv is built
	path := bin + ":/usr/bin:/bin"
	if _, err := os.Stat(filepath.Join(bin, "svlogd")); err != nil {
		t.Logf("./bin/svlogd not built: the loggers run runit's svlogd")
		path = bin + ":" + testenv.OracleBinDir(t) + ":/usr/bin:/bin"
	}
	return impl{testenv.Ours.Name, testenv.Ours.Cmd(t, "runsvdir"), path}
}

func runit(t *testing.T) impl {
	t.Helper()
	return impl{testenv.Runit.Name, testenv.Runit.Cmd(t, "runsvdir"), testenv.Runit.Dir(t) + ":/usr/bin:/bin"}
}

func both(t *testing.T) []impl { return []impl{ours(t), runit(t)} }

// waitUntil polls cond every interval until it holds or d passes.
func waitUntil(t testing.TB, d, interval time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(interval)
	}
	return time.Since(start)
}

// tree is a service directory (svdir) whose entries are symlinks to
// service directories under ext.
type tree struct {
	t                testing.TB
	root, svdir, ext string
}

const (
	runScript = "#!/bin/sh\necho started\nexec sleep 1000000\n"
	logScript = "#!/bin/sh\nexec svlogd -tt main\n"
)

func newTree(t testing.TB) *tree {
	root := t.TempDir()
	tr := &tree{t, root, filepath.Join(root, "service"), filepath.Join(root, "sv")}
	for _, d := range []string{tr.svdir, tr.ext} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// make creates service directory ext/name with the given run script and,
// if withLog, a logger running svlogd.
func (tr *tree) make(name, run string, withLog bool) string {
	dir := filepath.Join(tr.ext, name)
	must(tr.t, os.MkdirAll(dir, 0o755))
	must(tr.t, os.WriteFile(filepath.Join(dir, "run"), []byte(run), 0o755))
	if withLog {
		must(tr.t, os.MkdirAll(filepath.Join(dir, "log", "main"), 0o755))
		must(tr.t, os.WriteFile(filepath.Join(dir, "log", "run"), []byte(logScript), 0o755))
	}
	return dir
}

func (tr *tree) link(name string) {
	must(tr.t, os.Symlink(filepath.Join(tr.ext, name), filepath.Join(tr.svdir, name)))
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// up reports whether the service in dir (and its logger, if it has one)
// runs, according to the supervise/status files its runsv writes.
func up(dir string) bool {
	if !running(filepath.Join(dir, "supervise", "status")) {
		return false
	}
	if _, err := os.Stat(filepath.Join(dir, "log")); err == nil {
		return running(filepath.Join(dir, "log", "supervise", "status"))
	}
	return true
}

func running(file string) bool {
	r, err := readStatus(file)
	return err == nil && r.State == supervise.Run && r.PID != 0
}

func readStatus(file string) (supervise.Record, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return supervise.Record{}, err
	}
	return supervise.Decode(b)
}

// rsd is one runsvdir, run in a PID namespace of its own under a small
// shell that stays as the namespace's init: killing that shell at the end
// of the test kills every process the test started.
type rsd struct {
	t    testing.TB
	im   impl
	init *exec.Cmd
	pid  int // runsvdir, as seen from the test
	dir  string
}

const wrapper = `case "$RSD_STDERR" in
closed) exec 2>&- ;;
file) exec 2>>"$RSD_DIR/stderr" ;;
esac
"$@"
echo $? >"$RSD_DIR/exit.tmp"
/bin/mv "$RSD_DIR/exit.tmp" "$RSD_DIR/exit"
while :; do /bin/sleep 3600; done
`

type opts struct {
	stderr string // "file" (default), "closed", or "inherit" (use stderrFile)
	file   *os.File
	stdout *os.File // runsvdir's standard output (default /dev/null)
	cred   *syscall.Credential
	env    []string
	cwd    string
	noPath bool // run runsvdir without PATH in its environment
}

func start(t testing.TB, im impl, o opts, args ...string) *rsd {
	t.Helper()
	dir := t.TempDir()
	if o.cred != nil {
		must(t, os.Chmod(filepath.Dir(dir), 0o755))
		must(t, os.Chown(dir, int(o.cred.Uid), int(o.cred.Gid)))
		im = forOthers(t, im)
	}
	if o.stderr == "" {
		o.stderr = "file"
	}
	cmd := exec.Command("/bin/sh", append([]string{"-c", wrapper, "sh", im.runsvdir}, args...)...)
	cmd.Env = append([]string{"PATH=" + im.path, "RSD_DIR=" + dir, "RSD_STDERR=" + o.stderr}, o.env...)
	if o.noPath {
		cmd.Env = cmd.Env[1:]
	}
	cmd.Dir = o.cwd
	if o.file != nil {
		cmd.Stderr = o.file
	}
	if o.stdout != nil {
		cmd.Stdout = o.stdout
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: syscall.CLONE_NEWPID, Credential: o.cred}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &rsd{t: t, im: im, init: cmd, dir: dir}
	t.Cleanup(r.kill)
	waitUntil(t, long, 10*time.Millisecond, "runsvdir to start", func() bool {
		for _, c := range children(cmd.Process.Pid) {
			if comm(c) == "runsvdir" {
				r.pid = c
				return true
			}
		}
		return false
	})
	return r
}

// forOthers returns im with its runsvdir and the non-system directories
// of its PATH copied where another user can run them (the clone may be
// private to root, as under /root).
func forOthers(t testing.TB, im impl) impl {
	t.Helper()
	im.runsvdir = testenv.ForOthers(t, im.runsvdir)
	dirs := strings.Split(im.path, ":")
	for i, d := range dirs {
		switch d {
		case "/bin", "/usr/bin", "/sbin", "/usr/sbin":
			continue
		}
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			dirs[i] = testenv.ForOthers(t, d)
		}
	}
	im.path = strings.Join(dirs, ":")
	return im
}

// kill ends the whole PID namespace.
func (r *rsd) kill() {
	if r.init.Process != nil {
		r.init.Process.Kill()
		r.init.Wait()
	}
}

func (r *rsd) signal(sig syscall.Signal) {
	r.t.Helper()
	must(r.t, syscall.Kill(r.pid, sig))
}

// exitCode waits for runsvdir to exit and returns its exit status.
func (r *rsd) exitCode() int {
	r.t.Helper()
	var code int
	waitUntil(r.t, long, 10*time.Millisecond, r.im.name+" runsvdir to exit", func() bool {
		b, err := os.ReadFile(filepath.Join(r.dir, "exit"))
		if err != nil {
			return false
		}
		code, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	return code
}

func (r *rsd) stderr() string {
	b, _ := os.ReadFile(filepath.Join(r.dir, "stderr"))
	return string(b)
}

// runsvs maps service names to the pids of runsvdir's runsv children.
func (r *rsd) runsvs() map[string]int {
	m := map[string]int{}
	for _, c := range children(r.pid) {
		args := strings.Split(strings.TrimSuffix(cmdline(c), "\x00"), "\x00")
		if alive(c) && len(args) == 2 && args[0] == "runsv" {
			if _, dup := m[args[1]]; dup {
				r.t.Errorf("two runsv processes for %s", args[1])
			}
			m[args[1]] = c
		}
	}
	return m
}

// logArea is what /proc/PID/cmdline shows as runsvdir's last argument.
func (r *rsd) logArea() string {
	args := strings.Split(strings.TrimSuffix(cmdline(r.pid), "\x00"), "\x00")
	return args[len(args)-1]
}

func children(pid int) []int {
	var out []int
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// descendants lists pid's children, grandchildren, ...
func descendants(pid int) []int {
	var out []int
	for _, c := range children(pid) {
		out = append(out, c)
		out = append(out, descendants(c)...)
	}
	return out
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return string(b)
}

func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i > 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

// cpuTicks is utime+stime of pid in clock ticks.
func cpuTicks(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+2:]))
	// fields after the name: state(0) ppid(1) ... utime(11) stime(12)
	u, _ := strconv.ParseInt(f[11], 10, 64)
	s, _ := strconv.ParseInt(f[12], 10, 64)
	return u + s
}

// pss is the proportional set size of pid in kB.
func pss(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "Pss:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	return -1
}
