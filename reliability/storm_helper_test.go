package reliability

// Storm helpers run inside a test namespace (started by a stage-2 script
// with GORUNIT_RELSTORM set to "orphan:N" or "fork:N"). They create
// processes with raw clone system calls (no Go runtime in the children)
// and then wait, reading the namespace's own /proc, until every process
// they caused is gone: process 1 has reaped them all. They print one line:
//
//	storm orphan: 10000 processes, all reaped in 123 ms
//
// orphan:N — a middle process forks N children blocked on a pipe and
// exits: N orphans of process 1, which all exit at once when the pipe is
// closed.
// fork:N — two middle processes each fork N/2 short-lived children that
// fork a grandchild and exit at once: a stream of N orphans of process 1
// that exit as soon as they are re-parented, while process 1 is busy.

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

const envStorm = "GORUNIT_RELSTORM"

//go:nosplit
//go:norace
func rawClone() (uintptr, syscall.Errno) {
	pid, _, e := syscall.RawSyscall6(syscall.SYS_CLONE, uintptr(syscall.SIGCHLD), 0, 0, 0, 0, 0)
	return pid, e
}

//go:nosplit
//go:norace
func rawExit() {
	syscall.RawSyscall(syscall.SYS_EXIT_GROUP, 0, 0, 0)
}

// rawOrphans runs in a raw-cloned middle process: n children that block
// reading rfd (after closing wfd), then exit.
//
//go:nosplit
//go:norace
func rawOrphans(n int, rfd, wfd uintptr) {
	for i := 0; i < n; i++ {
		pid, e := rawClone()
		if e != 0 {
			continue
		}
		if pid == 0 {
			var b [1]byte
			syscall.RawSyscall(syscall.SYS_CLOSE, wfd, 0, 0)
			syscall.RawSyscall(syscall.SYS_READ, rfd, uintptr(unsafe.Pointer(&b[0])), 1)
			rawExit()
		}
	}
	rawExit()
}

// rawForks runs in a raw-cloned middle process: n times, a child that
// forks a grandchild and exits; the middle reaps the child, the orphaned
// grandchild exits at once (process 1 reaps it).
//
//go:nosplit
//go:norace
func rawForks(n int) {
	for i := 0; i < n; i++ {
		pid, e := rawClone()
		if e != 0 {
			continue
		}
		if pid == 0 {
			rawClone() // grandchild and child alike exit
			rawExit()
		}
		syscall.RawSyscall6(syscall.SYS_WAIT4, pid, 0, 0, 0, 0, 0)
	}
	rawExit()
}

//go:nosplit
//go:norace
func rawMiddle(kind, n int, rfd, wfd uintptr) (uintptr, syscall.Errno) {
	pid, e := rawClone()
	if e != 0 {
		return 0, e
	}
	if pid == 0 {
		if kind == 0 {
			rawOrphans(n, rfd, wfd)
		}
		rawForks(n)
	}
	return pid, 0
}

func procCount() int {
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

func stormSay(s string) { os.Stdout.WriteString(s + "\n") }

func stormMain() {
	spec := os.Getenv(envStorm)
	kind, ns, _ := strings.Cut(spec, ":")
	n, _ := strconv.Atoi(ns)
	runtime.LockOSThread()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		stormSay("storm: pipe: " + err.Error())
		os.Exit(1)
	}
	base := procCount()
	var all, old unix.Sigset_t
	for i := range all.Val {
		all.Val[i] = ^uint64(0)
	}
	var mids []int
	t0 := time.Now()
	// No signal may run Go code in the raw children.
	unix.PthreadSigmask(unix.SIG_SETMASK, &all, &old)
	switch kind {
	case "orphan":
		if pid, e := rawMiddle(0, n, uintptr(p[0]), uintptr(p[1])); e == 0 {
			mids = append(mids, int(pid))
		}
	case "fork":
		for i := 0; i < 2; i++ {
			if pid, e := rawMiddle(1, n/2, 0, 0); e == 0 {
				mids = append(mids, int(pid))
			}
		}
	}
	unix.PthreadSigmask(unix.SIG_SETMASK, &old, nil)
	if len(mids) == 0 {
		stormSay("storm: clone failed")
		os.Exit(1)
	}
	for _, m := range mids {
		var ws unix.WaitStatus
		for {
			if _, err := unix.Wait4(m, &ws, 0, nil); err != unix.EINTR {
				break
			}
		}
	}
	peak := procCount() - base
	if kind == "orphan" {
		t0 = time.Now()
		unix.Close(p[1])
	}
	deadline := time.Now().Add(2 * time.Minute)
	for procCount() > base {
		if time.Now().After(deadline) {
			stormSay("storm " + kind + ": " + strconv.Itoa(procCount()-base) + " processes never reaped")
			os.Exit(1)
		}
		time.Sleep(time.Millisecond)
	}
	el := time.Since(t0)
	if kind == "orphan" {
		stormSay("storm orphan: " + strconv.Itoa(peak) + " processes, all reaped in " + strconv.FormatInt(el.Milliseconds(), 10) + " ms")
	} else {
		stormSay("storm fork: " + strconv.Itoa(n) + " processes, all reaped in " + strconv.FormatInt(el.Milliseconds(), 10) + " ms")
	}
	os.Exit(0)
}
