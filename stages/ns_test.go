package stages

// Test harness: each scenario boots a runit (ours or runit's own) as
// process 1 of a new PID and mount namespace. The test binary re-executes
// itself with GORUNIT_NSBOOT set; that child (process 1 of the namespace)
// makes the mounts private, binds the scenario's directory over
// /etc/runit, mounts a tmpfs on /run, binds a FIFO over /dev/console (the
// test reads it) and executes runit with a clean environment.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

const envBoot = "GORUNIT_NSBOOT"

func TestMain(m *testing.M) {
	if os.Getenv(envBoot) != "" {
		nsBoot()
	}
	os.Exit(m.Run())
}

func bootFail(what string, err error) {
	os.Stderr.WriteString("nsboot: " + what + ": " + err.Error() + "\n")
	os.Exit(99)
}

// nsBoot runs as process 1 of the new namespaces and becomes runit.
func nsBoot() {
	get := os.Getenv
	mount := func(src, dst, fstype string, flags uintptr, data string) {
		if err := unix.Mount(src, dst, fstype, flags, data); err != nil {
			bootFail("mount "+dst, err)
		}
	}
	mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "")
	mount(get("NSB_ETC"), "/etc/runit", "", unix.MS_BIND, "")
	if s := get("NSB_SERVICE"); s != "" {
		mount(s, "/etc/service", "", unix.MS_BIND, "")
	}
	if h := get("NSB_HOSTNAME"); h != "" {
		mount(h, "/etc/hostname", "", unix.MS_BIND, "")
	}
	mount("tmpfs", "/run", "tmpfs", 0, "mode=0755")
	mount(get("NSB_CONSOLE"), "/dev/console", "", unix.MS_BIND, "")
	if get("NSB_NO_NET_ADMIN") != "" {
		// /proc/sys/net shows the namespace of the process that opens it.
		if err := os.WriteFile("/proc/sys/net/ipv6/conf/lo/disable_ipv6", []byte("1\n"), 0); err != nil {
			bootFail("disable IPv6 on lo", err)
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, unix.CAP_NET_ADMIN, 0, 0, 0); err != nil {
			bootFail("drop CAP_NET_ADMIN", err)
		}
	}
	if get("NSB_UNMOUNT_API") != "" {
		// Leave the API filesystems to the built-in stage 1.
		for _, p := range []string{"/dev/pts", "/dev/shm", "/sys", "/proc"} {
			unix.Unmount(p, unix.MNT_DETACH)
		}
	} else {
		mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "")
	}
	var env []string
	if e := get("NSB_ENV"); e != "" {
		env = strings.Split(e, "\x1f")
	}
	argv0 := get("NSB_ARGV0")
	// A kernel starts init with every signal at its default. The test
	// may inherit ignored signals (GNU make leaves 32 and 33 ignored, and
	// Go keeps 32 that way); runit's C binary would pass such an ignore on
	// to its stages, ours cannot (Go takes most signals over at start), so
	// start both like a real boot.
	for _, sig := range []int{32, 33} {
		var sa [4]uintptr // struct sigaction, handler SIG_DFL
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa[0])), 0, 8, 0, 0)
	}
	err := syscall.Exec(get("NSB_RUNIT"), []string{argv0}, env)
	bootFail("exec "+get("NSB_RUNIT"), err)
}

// scenario describes one boot.
type scenario struct {
	name       string
	files      map[string]string // /etc/runit entries: name -> script ("" = none)
	modes      map[string]uint32 // mode overrides (default 0755)
	svc        map[string]string // /etc/service/<svc>/run scripts, if any
	env        []string          // extra environment for runit
	clone      uintptr           // extra clone flags
	hostnm     string            // /etc/hostname content, if set
	unmountAPI bool
	noNetAdmin bool   // like a Docker container: no CAP_NET_ADMIN, and IPv6 off on lo
	argv0      string // argv[0] for process 1 (default "runit")
}

// booted is one running namespace.
type booted struct {
	t     *testing.T
	cmd   *exec.Cmd
	pid   int
	start time.Time

	console *testenv.Console

	done    chan struct{}
	state   *os.ProcessState
	errFile string // process 1's stderr before it has a console
}

var etcOnce sync.Once

// boot starts the scenario with the given process-1 binary.
func boot(t *testing.T, sc scenario, pid1 string) *booted {
	t.Helper()
	testenv.RequireRoot(t)
	etcOnce.Do(func() {
		// Mount points for the scratch directories (empty; a Debian
		// system with runit has them anyway).
		os.MkdirAll("/etc/runit", 0o755)
		os.MkdirAll("/etc/service", 0o755)
	})
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc-runit")
	os.Mkdir(etc, 0o755)
	for name, body := range sc.files {
		mode := uint32(0o755)
		if m, ok := sc.modes[name]; ok {
			mode = m
		}
		p := filepath.Join(etc, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, os.FileMode(mode))
	}
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SCEN=" + sc.name}
	for _, e := range sc.env {
		if strings.HasPrefix(e, "PATH=") {
			env[0] = e
		} else {
			env = append(env, e)
		}
	}
	benv := []string{envBoot + "=1", "NSB_ETC=" + etc, "NSB_RUNIT=" + pid1,
		"NSB_ENV=" + strings.Join(env, "\x1f")}
	argv0 := sc.argv0
	if argv0 == "" {
		argv0 = "runit"
	}
	benv = append(benv, "NSB_ARGV0="+argv0)
	if sc.svc != nil {
		sv := filepath.Join(dir, "service")
		for name, run := range sc.svc {
			d := filepath.Join(sv, name)
			os.MkdirAll(d, 0o755)
			if err := os.WriteFile(filepath.Join(d, "run"), []byte(run), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(sv, 0o755)
		benv = append(benv, "NSB_SERVICE="+sv)
	}
	if sc.hostnm != "" {
		h := filepath.Join(dir, "hostname")
		os.WriteFile(h, []byte(sc.hostnm), 0o644)
		benv = append(benv, "NSB_HOSTNAME="+h)
	}
	if sc.unmountAPI {
		benv = append(benv, "NSB_UNMOUNT_API=1")
	}
	if sc.noNetAdmin {
		benv = append(benv, "NSB_NO_NET_ADMIN=1")
	}
	con := testenv.NewConsole(t, filepath.Join(dir, "console"))
	console := con.Path
	benv = append(benv, "NSB_CONSOLE="+console)
	errf, err := os.Create(filepath.Join(dir, "boot.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()

	cmd := exec.Command(os.Args[0])
	cmd.Env = benv
	cmd.Stdout, cmd.Stderr = errf, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | sc.clone,
		Pdeathsig:  syscall.SIGKILL,
	}
	b := &booted{t: t, cmd: cmd, done: make(chan struct{}), console: con, start: time.Now(), errFile: errf.Name()}
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
				t.Logf("%s: boot stderr: %s", sc.name, e)
			}
			t.Logf("%s (%s) console:\n%s", sc.name, pid1, strings.Join(b.Lines(), "\n"))
		}
	})
	return b
}

// Lines returns the console lines so far.
func (b *booted) Lines() []string { return b.console.Lines() }

func (b *booted) has(sub string) bool {
	for _, l := range b.Lines() {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// waitLine waits for a console line containing sub.
func (b *booted) waitLine(sub string) {
	b.t.Helper()
	testenv.WaitFor(b.t, testenv.Deadline, "console line "+strconv.Quote(sub), func() bool { return b.has(sub) })
}

// kill sends sig to the namespace's process 1 from outside.
func (b *booted) kill(sig syscall.Signal) {
	b.t.Helper()
	if err := syscall.Kill(b.pid, sig); err != nil {
		b.t.Fatalf("kill %v: %v", sig, err)
	}
}

// root is path as seen inside the namespace.
func (b *booted) root(path string) string {
	return "/proc/" + strconv.Itoa(b.pid) + "/root" + path
}

// nsenter runs a command inside the namespace's PID and mount namespaces.
func (b *booted) nsenter(args ...string) string {
	b.t.Helper()
	out, err := exec.Command("nsenter", append([]string{"-t", strconv.Itoa(b.pid), "-p", "-m", "--"}, args...)...).CombinedOutput()
	if err != nil {
		b.t.Fatalf("nsenter %v: %v: %s", args, err, out)
	}
	return string(out)
}

// alive reports whether process 1 of the namespace still runs.
func (b *booted) alive() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// outcome waits for the namespace to end and describes how process 1
// ended: "signal: hangup", "signal: interrupt", "exit 3".
func (b *booted) outcome() string {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(90 * time.Second):
		b.t.Fatalf("namespace still running after 90 s")
	}
	ws := b.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return "signal: " + ws.Signal().String()
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}
