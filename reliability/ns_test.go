package reliability

// A process 1 in a PID namespace: the test binary re-executes itself with
// GORUNIT_RELBOOT set as process 1 of a new PID and mount namespace; that
// child makes the mounts private, binds the scenario's directory over
// /etc/runit and its service directory over /etc/service, mounts a tmpfs
// on /run and a fresh /proc, binds a FIFO over /dev/console (the test
// reads it) and executes runit (ours or runit's) with a clean environment.
// (The same scheme as stages/ns_test.go, which is not importable.)

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

const envBoot = "GORUNIT_RELBOOT"

func bootFail(what string, err error) {
	os.Stderr.WriteString("nsboot: " + what + ": " + err.Error() + "\n")
	os.Exit(99)
}

func nsBoot() {
	get := os.Getenv
	mount := func(src, dst, fstype string, flags uintptr, data string) {
		if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
			bootFail("mount "+dst, err)
		}
	}
	mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	mount(get("NSB_ETC"), "/etc/runit", "", unix.MS_BIND, "")
	mount(get("NSB_SERVICE"), "/etc/service", "", unix.MS_BIND, "")
	mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")
	mount(get("NSB_CONSOLE"), "/dev/console", "", unix.MS_BIND, "")
	mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	env := strings.Split(get("NSB_ENV"), "\x1f")
	err := syscall.Exec(get("NSB_RUNIT"), []string{"runit"}, env)
	bootFail("exec "+get("NSB_RUNIT"), err)
}

// pid1Impl is one process 1 with its runsvdir/runsv/sv (for PATH).
type pid1Impl struct {
	name, runit, path string
}

func pid1Impls(t *testing.T) []pid1Impl {
	testenv.RequireRoot(t)
	return []pid1Impl{
		{"gorunit", testenv.Bin(t, "runit"), testenv.BinDir(t)},
		{"runit", testenv.Oracle(t, "runit"), testenv.OracleBinDir(t)},
	}
}

// booted is one running namespace.
type booted struct {
	t       *testing.T
	name    string
	pid     int // process 1, as seen from outside
	service string

	console *testenv.Console

	done  chan struct{}
	state *os.ProcessState
}

var mkdirOnce sync.Once

// bootNS starts im's runit as process 1 with the given /etc/runit files
// (all made executable) and an /etc/service directory with the given
// services (name -> run script; the directory is b.service).
func bootNS(t *testing.T, im pid1Impl, files, services map[string]string, env ...string) *booted {
	t.Helper()
	mkdirOnce.Do(func() {
		os.MkdirAll("/etc/runit", 0o755)
		os.MkdirAll("/etc/service", 0o755)
	})
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
	con := testenv.NewConsole(t, filepath.Join(dir, "console"))
	console := con.Path
	errf, err := os.Create(filepath.Join(dir, "boot.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{envBoot + "=1", "NSB_ETC=" + etc, "NSB_SERVICE=" + svc, "NSB_CONSOLE=" + console,
		"NSB_RUNIT=" + im.runit, "NSB_ENV=" + strings.Join(env, "\x1f")}
	cmd.Stdout, cmd.Stderr = errf, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
		Pdeathsig:  syscall.SIGKILL,
	}
	b := &booted{t: t, name: im.name, service: svc, console: con, done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.pid = cmd.Process.Pid
	go func() {
		cmd.Wait()
		b.state = cmd.ProcessState
		close(b.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-b.done
		con.Close()
		if t.Failed() {
			if e, _ := os.ReadFile(errf.Name()); len(e) > 0 {
				t.Logf("%s: boot stderr: %s", im.name, e)
			}
			t.Logf("%s console:\n%s", im.name, strings.Join(b.Lines(), "\n"))
		}
	})
	return b
}

// Lines returns the console lines so far.
func (b *booted) Lines() []string { return b.console.Lines() }

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
func (b *booted) root(path string) string {
	return "/proc/" + strconv.Itoa(b.pid) + "/root" + path
}

func (b *booted) alive() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// outcome waits for the namespace to end and describes how process 1
// ended ("signal: interrupt" is a power-off in a PID namespace).
func (b *booted) outcome() string {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(90 * time.Second):
		b.t.Fatalf("%s: namespace still running after 90 s", b.name)
	}
	ws := b.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return "signal: " + ws.Signal().String()
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
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
