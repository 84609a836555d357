package stages

// The orphan storm: GORUNIT_STORM=N makes the test binary (started by a
// stage-2 script inside the namespace) fork a middle process that forks N
// children blocked on a pipe and exits; the children become orphans of
// process 1. Closing the pipe then makes all N exit at once, and the
// storm process times how long it takes until /proc (the namespace's own)
// holds no more processes than before: every orphan reaped.

import (
	"os"
	"runtime"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// rawStorm runs in a child created by a raw clone: it may only make raw
// system calls. It forks n children that close wfd and block reading rfd,
// then exits.
//
//go:nosplit
//go:norace
func rawStorm(n int, rfd, wfd uintptr) {
	for i := 0; i < n; i++ {
		pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
		if e != 0 {
			continue
		}
		if pid == 0 {
			var b [1]byte
			syscall.RawSyscall(syscall.SYS_CLOSE, wfd, 0, 0)
			syscall.RawSyscall(syscall.SYS_READ, rfd, uintptr(unsafe.Pointer(&b[0])), 1)
			syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
		}
	}
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
}

//go:nosplit
//go:norace
func rawForkStorm(n int, rfd, wfd uintptr) (int, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	if pid == 0 {
		rawStorm(n, rfd, wfd)
	}
	return int(pid), 0
}

func countProcs() int {
	d, err := os.Open("/proc")
	if err != nil {
		return -1
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := 0
	for _, s := range names {
		if s[0] >= '0' && s[0] <= '9' {
			n++
		}
	}
	return n
}

func say(s string) { os.Stdout.WriteString(s + "\n") }

func stormMain(n int) {
	runtime.LockOSThread()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		say("storm: pipe: " + err.Error())
		os.Exit(1)
	}
	base := countProcs()
	// No signal must run Go code in the raw children.
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	mid, e := rawForkStorm(n, uintptr(p[0]), uintptr(p[1]))
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if e != 0 {
		say("storm: clone: " + e.Error())
		os.Exit(1)
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(mid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	peak := countProcs()
	t0 := time.Now()
	unix.Close(p[1])
	for countProcs() > base {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(t0)
	say("storm: " + strconv.Itoa(peak-base) + " orphans reaped in " + strconv.FormatInt(el.Milliseconds(), 10) + " ms")
	os.Exit(0)
}

func init() {
	if s := os.Getenv("GORUNIT_STORM"); s != "" && os.Getenv(envBoot) == "" {
		n, _ := strconv.Atoi(s)
		stormMain(n)
	}
}
