package sigpipe

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// TestMain lets the test binary be a daemon: with SIGPIPE_HELPER set it
// routes SIGTERM, SIGHUP and SIGUSR1 to a pipe, says "ready", and for each
// wake-up of its poll prints the signals drained, until SIGTERM.
func TestMain(m *testing.M) {
	if os.Getenv("SIGPIPE_HELPER") == "" {
		os.Exit(m.Run())
	}
	fd, err := Open(syscall.SIGTERM, syscall.SIGHUP, syscall.SIGUSR1)
	if err != nil {
		os.Exit(2)
	}
	os.Stdout.WriteString("ready\n")
	fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
	for {
		if _, err := unix.Poll(fds, -1); err != nil && err != unix.EINTR {
			os.Exit(3)
		}
		got := Drain(fd)
		os.Stdout.WriteString(strconv.FormatUint(got, 16) + "\n")
		if got&(1<<(syscall.SIGTERM-1)) != 0 {
			os.Exit(0)
		}
	}
}

// TestSignalsToPipe: signals come out of the pipe as bits; none of them
// kills the process (Go's handlers would end it for SIGHUP and SIGUSR1);
// and the process stays at the Go runtime's floor: three threads (m0 in
// poll, sysmon, one more the scheduler starts at start-up), now and then a
// fourth the scheduler starts while m0 is in a system call (6 runs in 100
// here), where os/signal takes 5 to 8 (its two threads of its own, and
// more Ms to run its goroutines while m0 waits).
func TestSignalsToPipe(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = []string{"SIGPIPE_HELPER=1", "GOMAXPROCS=1", "GOGC=off"}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 16)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			lines <- s.Text()
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("helper ended early: %v", cmd.Wait())
			}
			return l
		case <-time.After(20 * time.Second):
			t.Fatal("no answer from the helper")
		}
		return ""
	}
	if l := next(); l != "ready" {
		t.Fatalf("got %q", l)
	}
	pid := cmd.Process.Pid
	for _, c := range []struct {
		sig  syscall.Signal
		want string
	}{{syscall.SIGHUP, "1"}, {syscall.SIGUSR1, "200"}, {syscall.SIGHUP, "1"}} {
		if err := syscall.Kill(pid, c.sig); err != nil {
			t.Fatal(err)
		}
		if l := next(); l != c.want {
			t.Errorf("after %v: drained %q, want %q", c.sig, l, c.want)
		}
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) > 4 {
		t.Errorf("%d threads, want at most 4", len(tasks))
	}
	syscall.Kill(pid, syscall.SIGTERM)
	if l := next(); l != "4000" {
		t.Errorf("after SIGTERM: drained %q, want 4000", l)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("helper: %v", err)
	}
}

// TestFullPipe: a signal whose byte a full pipe drops is still in Drain's
// mask. (The test process routes SIGUSR2 to a pipe it fills itself.)
func TestFullPipe(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	defer unix.Close(p[1])
	Route(p[1], syscall.SIGUSR2)
	fill := make([]byte, 4096)
	for i := range fill {
		fill[i] = byte(syscall.SIGUSR1)
	}
	for {
		if _, err := unix.Write(p[1], fill); err != nil {
			break // EAGAIN: full
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGUSR2); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for atomic.LoadUint64(&pending) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("SIGUSR2 not delivered")
		}
		runtime.Gosched()
	}
	if got, want := Drain(p[0]), uint64(1)<<(syscall.SIGUSR2-1); got != want {
		t.Errorf("Drain = %#x, want %#x (SIGUSR2 only: the test's own bytes set no bit)", got, want)
	}
}
