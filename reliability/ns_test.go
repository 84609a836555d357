package reliability

// A process 1 in a PID namespace (testenv.Boot): the test binary
// re-executes itself as process 1 of a new PID and mount namespace, which
// binds the scenario's directory over /etc/runit and its service
// directory over /etc/service, a FIFO over /dev/console (the test reads
// it) and executes runit (ours or runit's) with a clean environment.

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// pid1Impl is one process 1 with its runsvdir/runsv/sv (for PATH).
type pid1Impl struct {
	name, runit, path string
}

func pid1Impls(t *testing.T) []pid1Impl {
	testenv.RequireRoot(t)
	var out []pid1Impl
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, pid1Impl{s.Name, s.Cmd(t, "runit"), s.Dir(t)})
	}
	return out
}

// booted is one running namespace.
type booted struct {
	*testenv.Booted
	t       *testing.T
	name    string
	pid     int // process 1, as seen from outside
	service string
	console *testenv.Console
}

// bootNS starts im's runit as process 1 with the given /etc/runit files
// (all made executable) and an /etc/service directory with the given
// services (name -> run script; the directory is b.service).
func bootNS(t *testing.T, im pid1Impl, files, services map[string]string, env ...string) *booted {
	t.Helper()
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc-runit")
	svc := filepath.Join(dir, "service")
	os.Mkdir(etc, 0o755)
	os.Mkdir(svc, 0o755)
	files["nosync"] = ""
	files["nocontainer"] = "" // ours would take the namespace for a container
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(etc, name), []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, run := range services {
		os.Mkdir(filepath.Join(svc, name), 0o755)
		if err := os.WriteFile(filepath.Join(svc, name, "run"), []byte(run), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env = append([]string{"PATH=" + im.path + ":/usr/sbin:/usr/bin:/sbin:/bin"}, env...)
	nb := testenv.Boot(t, testenv.NS{Runit: im.runit, Etc: etc, Service: svc, Env: env, Dir: dir, Name: im.name})
	return &booted{Booted: nb, t: t, name: im.name, pid: nb.Pid, service: svc, console: nb.Console}
}

// waitLine waits for a console line containing sub and returns it.
func (b *booted) waitLine(sub string, d time.Duration) string {
	b.t.Helper()
	var got string
	testenv.WaitFor(b.t, d, b.name+": console line "+strconv.Quote(sub), func() bool {
		for _, l := range b.Lines() {
			if strings.Contains(l, sub) {
				got = l
				return true
			}
		}
		return false
	})
	return got
}

// root is path as seen inside the namespace.
func (b *booted) root(path string) string { return b.Root(path) }

func (b *booted) alive() bool { return b.Alive() }

// outcome waits for the namespace to end and describes how process 1
// ended ("signal: interrupt" is a power-off in a PID namespace).
func (b *booted) outcome() string {
	b.t.Helper()
	return b.Outcome(90 * time.Second)
}

// children lists the children of pid (host pids).
func children(pid int) []int {
	var out []int
	tasks, _ := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	for _, task := range tasks {
		b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + task.Name() + "/children")
		for _, f := range strings.Fields(string(b)) {
			if c, err := strconv.Atoi(f); err == nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// comm is a process's command name ("" if it is gone).
func comm(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	return strings.TrimSpace(string(b))
}

// childNamed is pid's first child with the given command name, or 0.
func childNamed(pid int, name string) int {
	for _, c := range children(pid) {
		if comm(c) == name {
			return c
		}
	}
	return 0
}

// statusField is a field of /proc/pid/status in kB ("VmRSS"), or -1.
func statusField(pid int, field string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, field+":") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				v, _ := strconv.Atoi(f[1])
				return v
			}
		}
	}
	return -1
}

// pss is the Pss of pid in kB from smaps_rollup, or -1.
func pss(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Pss:") {
			v, _ := strconv.Atoi(strings.Fields(l)[1])
			return v
		}
	}
	return -1
}

func alive(pid int) bool {
	if pid <= 0 {
		return false
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z'
}
