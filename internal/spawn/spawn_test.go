package spawn

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

// waitPid collects pid's exit (the test owns its children).
func waitPid(t *testing.T, pid int) unix.WaitStatus {
	t.Helper()
	var ws unix.WaitStatus
	testenv.WaitFor(t, testenv.Deadline, "exit of "+strconv.Itoa(pid), func() bool {
		got, err := unix.Wait4(pid, &ws, unix.WNOHANG, nil)
		if err != nil && err != unix.EINTR {
			t.Fatalf("wait4 %d: %v", pid, err)
		}
		return got == pid
	})
	return ws
}

// deadline bounds every wait of these tests.
const deadline = 30 * time.Second

// commandCtx is exec.Command killed after deadline.
func commandCtx(t *testing.T, name string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	t.Cleanup(cancel)
	return exec.CommandContext(ctx, name, args...)
}

// both runs f with each way of cloning: clone3 with CLONE_VM and a stack
// of the child's own (where the architecture has it), clone3 with a copy
// of the memory (CLONE_CLEAR_SIGHAND), and clone(2) with the child's own
// reset of the signal handlers.
func both(t *testing.T, f func(t *testing.T)) {
	if haveVM {
		t.Run("vm", f)
	}
	t.Run("clone3", func(t *testing.T) {
		forceCopy = true
		defer func() { forceCopy = false }()
		f(t)
	})
	t.Run("clone", func(t *testing.T) {
		forceClone = true
		defer func() { forceClone = false }()
		f(t)
	})
}

func lookPath(t *testing.T, name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skip(name, " not found")
	}
	return p
}

// run starts sh -c script with files and returns its exit and output
// (written to a file, whose path is $OUT in the script).
func run(t *testing.T, script, dir string, env []string, files []uintptr) (unix.WaitStatus, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	env = append(env, "OUT="+out)
	pid, pidfd, err := Start("/bin/sh", []string{"sh", "-c", script}, env, dir, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pidfd != -1 {
		t.Errorf("pidfd %d without Attr.PidFD", pidfd)
	}
	ws := waitPid(t, pid)
	b, _ := os.ReadFile(out)
	return ws, string(b)
}

func TestExec(t *testing.T) {
	both(t, func(t *testing.T) {
		dir := t.TempDir()
		ws, out := run(t, `echo "$0 $1 $2|$FOO|$(pwd)|$(env | grep -c .)" > $OUT`, dir, []string{"FOO=bar=baz"}, []uintptr{0, 1, 2})
		if !ws.Exited() || ws.ExitStatus() != 0 {
			t.Fatalf("exit %v", ws)
		}
		// sh's env adds PWD (and perhaps SHLVL, _): count at least 2.
		if want := "sh  |bar=baz|" + dir + "|"; !strings.HasPrefix(out, want) {
			t.Errorf("got %q, want prefix %q", out, want)
		}
		if _, err := ExecError(0); err {
			t.Error("a record without a failure")
		}
	})
}

func TestArgvEnvExact(t *testing.T) {
	both(t, func(t *testing.T) {
		env := lookPath(t, "env")
		r, w, _ := os.Pipe()
		r.SetReadDeadline(time.Now().Add(deadline))
		defer r.Close()
		pid, _, err := Start(env, []string{"env", "-0"}, []string{"A=1", "B=two words", "C="}, "", []uintptr{0, w.Fd(), 2}, nil)
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		n, _ := r.Read(b)
		waitPid(t, pid)
		if got, want := string(b[:n]), "A=1\x00B=two words\x00C=\x00"; got != want {
			t.Errorf("env %q, want %q", got, want)
		}
	})
}

// TestBigEnv: an environment larger than a slot's mapping (the strings
// and arrays then go to the heap) arrives whole, with the descriptors,
// and the next start with a small one uses the mapping again.
func TestBigEnv(t *testing.T) {
	both(t, func(t *testing.T) {
		big := make([]string, 0, 600)
		for i := 0; i < cap(big); i++ {
			big = append(big, fmt.Sprintf("V%d=%s", i, strings.Repeat("x", 200)))
		}
		for _, env := range [][]string{big, {"SMALL=1"}} {
			ws, out := run(t, `env | grep -c '^V[0-9]*=x' > $OUT; echo "$SMALL" >> $OUT`, "", env, []uintptr{0, 1, 2})
			if !ws.Exited() || ws.ExitStatus() != 0 {
				t.Fatalf("exit %v", ws)
			}
			want := "600\n\n"
			if len(env) == 1 {
				want = "0\n1\n"
			}
			if out != want {
				t.Errorf("%d variables: got %q, want %q", len(env), out, want)
			}
		}
	})
}

// TestFiles: the child gets files[i] as descriptor i, whatever the order
// of the numbers (swaps, fds[i] < i, fds[i] == i, closed), without
// close-on-exec, and nothing else of them.
func TestFiles(t *testing.T) {
	both(t, func(t *testing.T) {
		tmp := t.TempDir()
		var fds []int
		for i := 0; i < 6; i++ {
			f, err := os.Create(filepath.Join(tmp, "f"+strconv.Itoa(i)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			fds = append(fds, int(f.Fd()))
		}
		sort.Ints(fds)
		a := fds
		n := a[5] + 2
		files := make([]uintptr, n)
		for i := range files {
			files[i] = ^uintptr(0)
		}
		// 0,1,2 rotated from three of ours; the rest: a reversal
		// among ours (a[5] gets a[0] < a[5], a[0] gets a[5]), a fixed
		// point (a[2]), and n-1 one of ours below it.
		files[0], files[1], files[2] = uintptr(a[2]), uintptr(a[0]), uintptr(a[1])
		files[a[0]], files[a[5]] = uintptr(a[5]), uintptr(a[0])
		files[a[1]], files[a[4]] = uintptr(a[4]), uintptr(a[1])
		files[a[2]] = uintptr(a[2])
		files[a[3]] = uintptr(a[3])
		files[n-1] = uintptr(a[3])
		want := map[int]int{0: a[2], 1: a[0], 2: a[1], a[0]: a[5], a[5]: a[0], a[1]: a[4], a[4]: a[1], a[2]: a[2], a[3]: a[3], n - 1: a[3]}
		name := map[int]string{}
		for i, fd := range fds {
			name[fd] = filepath.Join(tmp, "f"+strconv.Itoa(i))
		}
		out := filepath.Join(tmp, "out")
		pid, _, err := Start("/bin/sh", []string{"sh", "-c", `s=; for f in /proc/$$/fd/*; do s="$s${f##*/} $(readlink $f)
"; done; printf %s "$s" > ` + out}, nil, "", files, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ws := waitPid(t, pid); ws.ExitStatus() != 0 {
			t.Fatalf("exit %v", ws)
		}
		b, _ := os.ReadFile(out)
		got := map[int]string{}
		for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
			f := strings.Fields(l)
			fd, _ := strconv.Atoi(f[0])
			if len(f) == 2 {
				got[fd] = f[1]
			}
		}
		for fd, src := range want {
			if got[fd] != name[src] {
				t.Errorf("descriptor %d: %q, want %q (our %d)", fd, got[fd], name[src], src)
			}
			delete(got, fd)
		}
		// What is left is the shell's own (its redirection, the
		// directory it lists): none of our files, none above n-1.
		for fd, p := range got {
			if strings.HasPrefix(p, tmp+"/f") {
				t.Errorf("descriptor %d: %q given beyond files", fd, p)
			}
		}
	})
}

// TestRecordPipeAmongTargets: the record pipe is moved out of the way
// when a target descriptor has its number, and a failure is still
// reported through it.
func TestRecordPipeAmongTargets(t *testing.T) {
	both(t, func(t *testing.T) {
		w, err := recordPipe()
		if err != nil {
			t.Fatal(err)
		}
		files := make([]uintptr, w+2)
		for i := range files {
			files[i] = uintptr(i % 3)
		}
		pid, _, err := Start("/nonexistent/prog", []string{"prog"}, nil, "", files, nil)
		if err != nil {
			t.Fatal(err)
		}
		ws := waitPid(t, pid)
		if ws.ExitStatus() != ExitCode {
			t.Fatalf("exit %v", ws)
		}
		if e, ok := ExecError(pid); !ok || e != syscall.ENOENT {
			t.Errorf("ExecError %v %v, want ENOENT", e, ok)
		}
	})
}

func TestExecFailure(t *testing.T) {
	both(t, func(t *testing.T) {
		tmp := t.TempDir()
		noexec := filepath.Join(tmp, "noexec")
		os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0644)
		for _, c := range []struct {
			path, dir string
			errno     syscall.Errno
		}{
			{filepath.Join(tmp, "missing"), "", syscall.ENOENT},
			{noexec, "", syscall.EACCES},
			{"/bin/true", filepath.Join(tmp, "nodir"), syscall.ENOENT},
			{"./missing", tmp, syscall.ENOENT},
		} {
			pid, _, err := Start(c.path, []string{c.path}, nil, c.dir, []uintptr{0, 1, 2}, nil)
			if err != nil {
				t.Fatalf("%s: %v", c.path, err)
			}
			if pid <= 0 {
				t.Fatalf("%s: pid %d", c.path, pid)
			}
			ws := waitPid(t, pid)
			if !ws.Exited() || ws.ExitStatus() != ExitCode {
				t.Errorf("%s: exit %v, want %d", c.path, ws, ExitCode)
			}
			e, ok := ExecError(pid)
			if !ok || e != c.errno {
				t.Errorf("%s in %q: ExecError %v %v, want %v", c.path, c.dir, e, ok, c.errno)
			}
			if _, ok := ExecError(pid); ok {
				t.Errorf("%s: the record is still there after ExecError", c.path)
			}
		}
	})
}

// TestInvalid: a NUL byte is refused before anything starts.
func TestInvalid(t *testing.T) {
	for _, c := range [][]string{{"/bin/true\x00x", "a"}, {"/bin/true", "a\x00"}} {
		if _, _, err := Start(c[0], c[1:], nil, "", nil, nil); err != syscall.EINVAL {
			t.Errorf("%q: %v, want EINVAL", c, err)
		}
	}
	if _, _, err := Start("/bin/true", nil, []string{"A=\x00"}, "", nil, nil); err != syscall.EINVAL {
		t.Errorf("NUL in env: %v, want EINVAL", err)
	}
	if _, _, err := Start("/bin/true", nil, nil, "/\x00", nil, nil); err != syscall.EINVAL {
		t.Errorf("NUL in dir: %v, want EINVAL", err)
	}
	if _, _, err := Start("/bin/true", nil, nil, "", make([]uintptr, MaxFiles+1), nil); err != syscall.EINVAL {
		t.Errorf("too many files: %v, want EINVAL", err)
	}
}

func TestPidfd(t *testing.T) {
	both(t, func(t *testing.T) {
		pid, pidfd, err := Start("/bin/sleep", []string{"sleep", "100"}, nil, "", []uintptr{0, 1, 2}, &Attr{PidFD: true})
		if err != nil {
			t.Fatal(err)
		}
		if pidfd < 0 {
			t.Fatal("no pidfd")
		}
		defer unix.Close(pidfd)
		if fl, _ := unix.FcntlInt(uintptr(pidfd), unix.F_GETFD, 0); fl&unix.FD_CLOEXEC == 0 {
			t.Error("pidfd not close-on-exec")
		}
		fds := []unix.PollFd{{Fd: int32(pidfd), Events: unix.POLLIN}}
		if n, _ := unix.Poll(fds, 0); n != 0 {
			t.Error("pidfd readable while the child runs")
		}
		if err := unix.PidfdSendSignal(pidfd, unix.SIGKILL, nil, 0); err != nil {
			t.Fatal(err)
		}
		if n, err := unix.Poll(fds, int(testenv.Deadline.Milliseconds())); n != 1 || err != nil {
			t.Fatalf("pidfd not readable after the kill: %d %v", n, err)
		}
		if ws := waitPid(t, pid); !ws.Signaled() || ws.Signal() != unix.SIGKILL {
			t.Errorf("exit %v", ws)
		}
	})
}

// sigLine returns a mask line (SigBlk, SigIgn, SigCgt) of a
// /proc/PID/status text.
func sigLine(t *testing.T, status, name string) uint64 {
	m := regexp.MustCompile(`(?m)^` + name + `:\s*([0-9a-f]+)$`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no %s in %q", name, status)
	}
	v, _ := strconv.ParseUint(m[1], 16, 64)
	return v
}

func bit(s syscall.Signal) uint64 { return 1 << (uint(s) - 1) }

// TestSignals: with SIGTERM and SIGUSR1 caught by the parent (os/signal)
// and SIGHUP ignored, the program sees SIGTERM and SIGUSR1 default,
// SIGHUP ignored, nothing caught, and the mask of the parent's thread.
func TestSignals(t *testing.T) {
	cat := lookPath(t, "cat")
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGTERM, syscall.SIGUSR1)
	defer signal.Stop(c)
	signal.Ignore(syscall.SIGHUP)
	defer signal.Reset(syscall.SIGHUP)
	both(t, func(t *testing.T) {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var old uint64
		block := bit(syscall.SIGUSR2) | bit(syscall.SIGWINCH)
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, uintptr(unsafe.Pointer(&block)), uintptr(unsafe.Pointer(&old)), 8, 0, 0)
		defer unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_SETMASK, uintptr(unsafe.Pointer(&old)), 0, 8, 0, 0)
		r, w, _ := os.Pipe()
		r.SetReadDeadline(time.Now().Add(deadline))
		defer r.Close()
		pid, _, err := Start(cat, []string{"cat", "/proc/self/status"}, nil, "", []uintptr{0, w.Fd(), 2}, nil)
		w.Close()
		if err != nil {
			t.Fatal(err)
		}
		// The parent's thread has its mask back.
		var now uint64
		unix.RawSyscall6(unix.SYS_RT_SIGPROCMASK, unix.SIG_BLOCK, 0, uintptr(unsafe.Pointer(&now)), 8, 0, 0)
		if now != old|block {
			t.Errorf("parent's mask %x after Start, want %x", now, old|block)
		}
		var sb strings.Builder
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			sb.Write(b[:n])
			if err != nil {
				break
			}
		}
		waitPid(t, pid)
		st := sb.String()
		if v := sigLine(t, st, "SigBlk"); v != old|block {
			t.Errorf("child's mask %x, want %x", v, old|block)
		}
		if v := sigLine(t, st, "SigCgt"); v != 0 {
			t.Errorf("child catches %x", v)
		}
		if v := sigLine(t, st, "SigIgn"); v&bit(syscall.SIGHUP) == 0 || v&(bit(syscall.SIGTERM)|bit(syscall.SIGUSR1)) != 0 {
			t.Errorf("child ignores %x: want SIGHUP, not SIGTERM or SIGUSR1", v)
		}
	})
}

// TestSignalDefaultAfterStart: SIGTERM sent to the child at once, while
// it may still be between the clone and the execve, with SIGTERM caught by
// the parent, kills it (no Go handler in the copy of the parent swallows
// it).
func TestSignalDefaultAfterStart(t *testing.T) {
	both(t, func(t *testing.T) {
		c := make(chan os.Signal, 1)
		signal.Notify(c, syscall.SIGTERM)
		defer signal.Stop(c)
		pid, _, err := Start("/bin/sleep", []string{"sleep", "100"}, nil, "", []uintptr{0, 1, 2}, nil)
		if err != nil {
			t.Fatal(err)
		}
		// At once: the child may still be between clone and execve.
		unix.Kill(pid, unix.SIGTERM)
		if ws := waitPid(t, pid); !ws.Signaled() || ws.Signal() != unix.SIGTERM {
			t.Errorf("exit %v, want killed by SIGTERM", ws)
		}
	})
}

// TestCgroup: with a cgroup descriptor the child starts in that cgroup.
func TestCgroup(t *testing.T) {
	root := cgroup2Root(t)
	dir := filepath.Join(root, "gorunit-spawn-test-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0755); err != nil {
		t.Skip("cannot create a cgroup: ", err)
	}
	defer os.Remove(dir)
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cat := lookPath(t, "cat")
	r, w, _ := os.Pipe()
	r.SetReadDeadline(time.Now().Add(deadline))
	defer r.Close()
	pid, pidfd, err := Start(cat, []string{"cat", "/proc/self/cgroup"}, nil, "", []uintptr{0, w.Fd(), 2}, &Attr{PidFD: true, UseCgroupFD: true, CgroupFD: fd})
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if pidfd < 0 {
		t.Error("no pidfd with a cgroup")
	} else {
		unix.Close(pidfd)
	}
	b := make([]byte, 4096)
	n, _ := r.Read(b)
	waitPid(t, pid)
	rel := strings.TrimPrefix(dir, root)
	if !regexp.MustCompile(`(?m)^0::` + regexp.QuoteMeta(rel) + `$`).Match(b[:n]) {
		t.Errorf("child's cgroups %q, want 0::%s", b[:n], rel)
	}
	// A descriptor that is no cgroup: the error comes back, nothing runs.
	if _, _, err := Start(cat, []string{"cat"}, nil, "", nil, &Attr{UseCgroupFD: true, CgroupFD: int(r.Fd())}); err == nil {
		t.Error("no error for a cgroup descriptor that is a pipe")
	}
}

func cgroup2Root(t *testing.T) string {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		for i := 6; i+1 < len(f); i++ {
			if f[i] == "-" {
				if f[i+1] == "cgroup2" {
					return f[4]
				}
				break
			}
		}
	}
	t.Skip("no cgroup2 mounted")
	return ""
}

// TestConcurrent: many starts from several goroutines, successes and
// failures mixed; each failure's record reaches ExecError for its pid.
func TestConcurrent(t *testing.T) {
	const goroutines, each = 4, 50
	type res struct {
		pid  int
		fail bool
	}
	var mu sync.Mutex
	var all []res
	var errs []error
	var wg sync.WaitGroup
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				fail := (i+g)%3 == 0
				path := "/bin/true"
				if fail {
					path = "/nonexistent/" + strconv.Itoa(i)
				}
				pid, pidfd, err := Start(path, []string{path}, []string{"I=" + strconv.Itoa(i)}, "", []uintptr{0, 1, 2}, &Attr{PidFD: i%2 == 0})
				if pidfd >= 0 {
					unix.Close(pidfd)
				}
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					all = append(all, res{pid, fail})
				}
				mu.Unlock()
			}
		}(g)
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d errors, first %v", len(errs), errs[0])
	}
	for _, r := range all {
		ws := waitPid(t, r.pid)
		e, ok := ExecError(r.pid)
		switch {
		case r.fail && (ws.ExitStatus() != ExitCode || !ok || e != syscall.ENOENT):
			t.Errorf("pid %d: exit %v, ExecError %v %v; want 111, ENOENT", r.pid, ws, e, ok)
		case !r.fail && (ws.ExitStatus() != 0 || ok):
			t.Errorf("pid %d: exit %v, ExecError %v %v; want 0, none", r.pid, ws, e, ok)
		}
	}
}

// TestRecordTable: records of pids nobody asked for yet are kept, the
// oldest dropped when the table is full.
func TestRecordTable(t *testing.T) {
	records.mu.Lock()
	saved, savedN := records.tab, records.n
	records.tab, records.n = [len(records.tab)]record{}, 0
	k := len(records.tab)
	for i := 1; i <= k+6; i++ {
		keep(record{pid: int32(1000000 + i), errno: int32(i)})
	}
	records.mu.Unlock()
	defer func() { records.mu.Lock(); records.tab, records.n = saved, savedN; records.mu.Unlock() }()
	if _, ok := ExecError(1000000 + 6); ok {
		t.Error("record 6 kept in a full table")
	}
	for _, i := range []int{7, k + 6, 30} {
		if e, ok := ExecError(1000000 + i); !ok || int(e) != i {
			t.Errorf("record %d: %v %v", i, e, ok)
		}
	}
	if _, ok := ExecError(1000000 + 30); ok {
		t.Error("record 30 twice")
	}
}

// TestRlimit: the program gets the soft RLIMIT_NOFILE the process
// started with (syscall.ForkExec's child's), where the build knows it.
func TestRlimit(t *testing.T) {
	if !rlimitKnown {
		t.Skip("built without gorunit_linkname: the original soft limit is not known")
	}
	want, err := exec.Command("/bin/sh", "-c", "ulimit -n").Output()
	if err != nil {
		t.Fatal(err)
	}
	both(t, func(t *testing.T) {
		_, out := run(t, "ulimit -n > $OUT", "", nil, []uintptr{0, 1, 2})
		if out != string(want) {
			t.Errorf("soft limit %q, want %q (ForkExec's)", out, want)
		}
	})
}

// TestChildCallsNothing: the functions that run in the child call only
// syscall.RawSyscall6 and each other (no allocation, no runtime, no stack
// growth: morestack is called only by functions with a stack check).
func TestChildCallsNothing(t *testing.T) {
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		t.Skip("no go tool: ", err)
	}
	// The package's archive, as this test was built (its tag).
	archive := filepath.Join(t.TempDir(), "spawn.a")
	args := []string{"build", "-o", archive}
	if rlimitKnown {
		args = append(args, "-tags", "gorunit_linkname")
	}
	if out, err := commandCtx(t, gobin, append(args, "gorunit/internal/spawn")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := commandCtx(t, gobin, "tool", "objdump", "-s", `^gorunit/internal/spawn\.(forkChild|forkChildVM|vmChild|child|fail|resetSignals|restoreRlimit|moveFds|fdAt)$`, archive).CombinedOutput()
	if err != nil {
		t.Fatalf("objdump: %v\n%s", err, out)
	}
	allowed := regexp.MustCompile(`R_CALL:(syscall\.RawSyscall6|gorunit/internal/spawn\.(cloneVM|vmChild|child|fail|resetSignals|restoreRlimit|moveFds|fdAt))\s*$`)
	funcs, calls := 0, 0
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "TEXT ") {
			funcs++
		}
		if i := strings.Index(l, "CALL "); i >= 0 {
			calls++
			if !allowed.MatchString(l) {
				t.Errorf("the child's code calls: %s", strings.TrimSpace(l[i:]))
			}
		}
		if strings.Contains(l, "runtime.morestack") {
			t.Errorf("stack check in the child's code: %s", strings.TrimSpace(l))
		}
	}
	if funcs < 3 || calls == 0 {
		t.Fatalf("objdump found %d functions, %d calls:\n%s", funcs, calls, out)
	}
}

// TestSetsid: with Attr.Setsid the child leads a session of its own.
func TestSetsid(t *testing.T) {
	both(t, func(t *testing.T) {
		for _, setsid := range []bool{false, true} {
			out := filepath.Join(t.TempDir(), "out")
			pid, _, err := Start("/bin/sh", []string{"sh", "-c", `set -- $(sed 's/.*) //' /proc/$$/stat); echo $3 $4 > ` + out}, nil, "", []uintptr{0, 1, 2}, &Attr{Setsid: setsid})
			if err != nil {
				t.Fatal(err)
			}
			waitPid(t, pid)
			b, _ := os.ReadFile(out)
			f := strings.Fields(string(b))
			if len(f) != 2 {
				t.Fatalf("stat fields %q", b)
			}
			me := strconv.Itoa(pid)
			if leader := f[0] == me && f[1] == me; leader != setsid {
				t.Errorf("Setsid %v: pgrp %s session %s, pid %s", setsid, f[0], f[1], me)
			}
		}
	})
}

// TestSlotReuse: a slot whose child has executed its program (or exited)
// is free again (with CLONE_VM the kernel clears busy then:
// CLONE_CHILD_CLEARTID), so that sequential starts use no new slot.
func TestSlotReuse(t *testing.T) {
	both(t, func(t *testing.T) {
		for i := 0; i < 20; i++ {
			path := "/bin/true"
			if i%2 == 1 {
				path = "/nonexistent"
			}
			pid, _, err := Start(path, []string{path}, nil, "", []uintptr{0, 1, 2}, nil)
			if err != nil {
				t.Fatal(err)
			}
			waitPid(t, pid)
			ExecError(pid)
			syscall.ForkLock.Lock()
			busy, n := 0, len(slots)
			for _, s := range slots {
				busy += int(atomic.LoadInt32(&s.busy))
			}
			syscall.ForkLock.Unlock()
			if busy != 0 {
				t.Fatalf("start %d: %d slots busy after the child's exit", i, busy)
			}
			if i == 0 {
				defer func(n0 int) {
					if len(slots) != n0 {
						t.Errorf("%d slots after sequential starts, %d after the first", len(slots), n0)
					}
				}(n)
			}
		}
	})
}

// TestSlotBound: with maxSlots children held between their clone and
// their exec (created in a frozen cgroup), one more start waits for a
// slot instead of taking a new one, and goes on once they exec.
func TestSlotBound(t *testing.T) {
	if !haveVM {
		t.Skip("children with a copy of the memory free their slot at once")
	}
	root := cgroup2Root(t)
	dir := filepath.Join(root, "gorunit-spawn-bound-"+strconv.Itoa(os.Getpid()))
	if err := os.Mkdir(dir, 0755); err != nil {
		t.Skip("cannot create a cgroup: ", err)
	}
	defer os.Remove(dir)
	freeze := func(v string) {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.freeze"), []byte(v), 0); err != nil {
			t.Fatal(err)
		}
	}
	freeze("1")
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	// Slots still free from earlier tests count too: fill them all.
	var pids []int
	for {
		syscall.ForkLock.Lock()
		busy := 0
		for _, s := range slots {
			if atomic.LoadInt32(&s.busy) != 0 {
				busy++
			}
		}
		syscall.ForkLock.Unlock()
		if busy == maxSlots {
			break
		}
		pid, _, err := Start("/bin/true", []string{"true"}, nil, "", []uintptr{0, 1, 2}, &Attr{UseCgroupFD: true, CgroupFD: fd})
		if err != nil {
			freeze("0")
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	w0 := slotWaits.Load()
	done := make(chan int, 1)
	go func() {
		pid, _, err := Start("/bin/true", []string{"true"}, nil, "", []uintptr{0, 1, 2}, nil)
		if err != nil {
			t.Error(err)
		}
		done <- pid
	}()
	until := time.Now().Add(20 * time.Second)
	for slotWaits.Load() == w0 && time.Now().Before(until) {
		time.Sleep(time.Millisecond)
	}
	waited := slotWaits.Load() != w0
	freeze("0")
	select {
	case pid := <-done:
		pids = append(pids, pid)
	case <-time.After(deadline):
		t.Fatal("the start waiting for a slot did not return after the thaw")
	}
	for _, pid := range pids {
		waitPid(t, pid)
	}
	if !waited {
		t.Error("a start with every slot busy did not wait")
	}
	if len(slots) > maxSlots {
		t.Errorf("%d slots, at most %d wanted", len(slots), maxSlots)
	}
}
