package testenv

// A process 1 in new PID and mount namespaces, for the tests of process
// 1 (stages/, reliability/): the test binary re-executes itself with
// GORUNIT_NSBOOT set; that child, process 1 of the namespaces, makes the
// mounts private, binds the scenario's directory over /etc/runit (and
// optionally a service directory over /etc/service and a file over
// /etc/hostname), mounts a tmpfs on /run and a fresh /proc, binds a FIFO
// over /dev/console (the test reads it) and executes runit (ours or
// runit's) with a clean environment. Every wait on it has a deadline.

import (
	"context"
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
)

const envNSBoot = "GORUNIT_NSBOOT"

// NSChild must be called first in the TestMain of a package that uses
// Boot: in the re-executed child it becomes process 1 and never returns;
// elsewhere it returns at once.
func NSChild() {
	if os.Getenv(envNSBoot) != "" {
		nsBoot()
	}
}

// InNSChild reports whether this process is Boot's child (for TestMains
// with other re-executed roles).
func InNSChild() bool { return os.Getenv(envNSBoot) != "" }

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
	// A kernel starts init with every signal at its default. The test
	// may inherit ignored signals (GNU make leaves 32 and 33 ignored, and
	// Go keeps 32 that way); runit's C binary would pass such an ignore on
	// to its stages, ours cannot (Go takes most signals over at start), so
	// start both like a real boot.
	for _, sig := range []int{32, 33} {
		var sa [4]uintptr // struct sigaction, handler SIG_DFL
		unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig), uintptr(unsafe.Pointer(&sa[0])), 0, 8, 0, 0)
	}
	err := syscall.Exec(get("NSB_RUNIT"), []string{get("NSB_ARGV0")}, env)
	bootFail("exec "+get("NSB_RUNIT"), err)
}

// NS describes one boot.
type NS struct {
	Runit   string   // the program process 1 executes
	Argv0   string   // its argv[0] (default "runit")
	Etc     string   // directory bound over /etc/runit
	Service string   // directory bound over /etc/service, if not ""
	Hostnm  string   // file bound over /etc/hostname, if not ""
	Env     []string // process 1's whole environment
	Clone   uintptr  // clone flags besides CLONE_NEWPID|CLONE_NEWNS

	UnmountAPI bool // unmount /proc, /sys, /dev/pts, /dev/shm instead of mounting /proc
	NoNetAdmin bool // no CAP_NET_ADMIN and IPv6 off on lo, like a Docker container

	Dir  string // where the console FIFO and boot.err go (default t.TempDir())
	Name string // for messages (default Argv0)
}

// Booted is one running namespace.
type Booted struct {
	T       *testing.T
	Pid     int // process 1, as seen from outside
	Start   time.Time
	Console *Console
	ErrFile string // process 1's stderr before it has a console

	done  chan struct{}
	state *os.ProcessState
}

var nsDirsOnce sync.Once

// Boot starts ns.Runit as process 1 of new PID and mount namespaces. The
// namespace is killed, and waited for with a deadline, when the test ends;
// on failure the test log gets its stderr and console.
func Boot(t *testing.T, ns NS) *Booted {
	t.Helper()
	RequireRoot(t)
	nsDirsOnce.Do(func() {
		// Mount points for the scratch directories (empty; a Debian
		// system with runit has them anyway).
		os.MkdirAll("/etc/runit", 0o755)
		os.MkdirAll("/etc/service", 0o755)
	})
	if ns.Argv0 == "" {
		ns.Argv0 = "runit"
	}
	if ns.Name == "" {
		ns.Name = ns.Argv0
	}
	if ns.Dir == "" {
		ns.Dir = t.TempDir()
	}
	env := []string{envNSBoot + "=1", "NSB_ETC=" + ns.Etc, "NSB_RUNIT=" + ns.Runit, "NSB_ARGV0=" + ns.Argv0,
		"NSB_ENV=" + strings.Join(ns.Env, "\x1f")}
	if ns.Service != "" {
		env = append(env, "NSB_SERVICE="+ns.Service)
	}
	if ns.Hostnm != "" {
		env = append(env, "NSB_HOSTNAME="+ns.Hostnm)
	}
	if ns.UnmountAPI {
		env = append(env, "NSB_UNMOUNT_API=1")
	}
	if ns.NoNetAdmin {
		env = append(env, "NSB_NO_NET_ADMIN=1")
	}
	con := NewConsole(t, filepath.Join(ns.Dir, "console"))
	env = append(env, "NSB_CONSOLE="+con.Path)
	errf, err := os.Create(filepath.Join(ns.Dir, "boot.err"))
	if err != nil {
		t.Fatal(err)
	}
	defer errf.Close()
	cmd := exec.Command(os.Args[0])
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = errf, errf
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS | ns.Clone,
		Pdeathsig:  syscall.SIGKILL,
	}
	b := &Booted{T: t, Console: con, Start: time.Now(), ErrFile: errf.Name(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	b.Pid = cmd.Process.Pid
	go func() {
		cmd.Wait()
		b.state = cmd.ProcessState
		close(b.done)
	}()
	t.Cleanup(func() {
		if !b.Stop() {
			t.Errorf("%s: namespace still there %v after SIGKILL to its process 1", ns.Name, Deadline)
		}
		con.Close()
		if t.Failed() {
			if e, _ := os.ReadFile(b.ErrFile); len(e) > 0 {
				t.Logf("%s: boot stderr: %s", ns.Name, e)
			}
			t.Logf("%s (%s) console:\n%s", ns.Name, ns.Runit, strings.Join(b.Lines(), "\n"))
		}
	})
	return b
}

// Lines returns the console lines so far.
func (b *Booted) Lines() []string { return b.Console.Lines() }

// Done is closed when process 1 has ended and been waited for.
func (b *Booted) Done() <-chan struct{} { return b.done }

// Alive reports whether process 1 still runs.
func (b *Booted) Alive() bool {
	select {
	case <-b.done:
		return false
	default:
		return true
	}
}

// State is how process 1 ended (nil while it runs).
func (b *Booted) State() *os.ProcessState {
	if b.Alive() {
		return nil
	}
	return b.state
}

// Wait waits up to d for process 1 to end and reports whether it did.
func (b *Booted) Wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-b.done:
		return true
	case <-t.C:
		return false
	}
}

// Stop kills process 1 (and so the whole namespace) if it still runs and
// waits for it up to Deadline; it reports whether it ended.
func (b *Booted) Stop() bool {
	if b.Alive() {
		syscall.Kill(b.Pid, syscall.SIGKILL)
	}
	return b.Wait(Deadline)
}

// Outcome waits up to d for the namespace to end and describes how
// process 1 ended: "signal: hangup", "signal: interrupt" (a power-off in
// a PID namespace), "exit 3". It fails the test if process 1 still runs.
func (b *Booted) Outcome(d time.Duration) string {
	b.T.Helper()
	if !b.Wait(d) {
		b.T.Fatalf("namespace still running after %v", d)
	}
	ws := b.state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return "signal: " + ws.Signal().String()
	}
	return "exit " + strconv.Itoa(ws.ExitStatus())
}

// Root is path as seen inside the namespace.
func (b *Booted) Root(path string) string {
	return "/proc/" + strconv.Itoa(b.Pid) + "/root" + path
}

// Nsenter runs a command inside the namespace's PID and mount namespaces,
// under process 1's root directory, and returns its combined output; the
// command is killed after Deadline.
func (b *Booted) Nsenter(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Deadline)
	defer cancel()
	// -r: process 1's root, which is not the mount namespace's own root
	// when the tests run in a chroot.
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(b.Pid), "-p", "-m", "-r", "--"}, args...)...)
	cmd.WaitDelay = time.Second // a grandchild holding the output pipe
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	return string(out), err
}
