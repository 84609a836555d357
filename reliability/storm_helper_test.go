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
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/storm"
)

const envStorm = "GORUNIT_RELSTORM"

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
	base := storm.CountProcs()
	var mids []int
	t0 := time.Now()
	switch kind {
	case "orphan":
		if pid, err := storm.Orphans(n, p[0], p[1]); err == nil {
			mids = append(mids, pid)
		}
	case "fork":
		for i := 0; i < 2; i++ {
			if pid, err := storm.Forks(n / 2); err == nil {
				mids = append(mids, pid)
			}
		}
	}
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
	peak := storm.CountProcs() - base
	if kind == "orphan" {
		t0 = time.Now()
		unix.Close(p[1])
	}
	deadline := time.Now().Add(2 * time.Minute)
	for storm.CountProcs() > base {
		if time.Now().After(deadline) {
			stormSay("storm " + kind + ": " + strconv.Itoa(storm.CountProcs()-base) + " processes never reaped")
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
