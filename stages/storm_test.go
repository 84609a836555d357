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
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/storm"
	"gorunit/internal/testenv"
)

func say(s string) { os.Stdout.WriteString(s + "\n") }

func stormMain(n int) {
	runtime.LockOSThread()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		say("storm: pipe: " + err.Error())
		os.Exit(1)
	}
	base := storm.CountProcs()
	mid, err := storm.Orphans(n, p[0], p[1])
	if err != nil {
		say("storm: clone: " + err.Error())
		os.Exit(1)
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(mid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	peak := storm.CountProcs()
	t0 := time.Now()
	unix.Close(p[1])
	for storm.CountProcs() > base {
		time.Sleep(time.Millisecond)
	}
	el := time.Since(t0)
	say("storm: " + strconv.Itoa(peak-base) + " orphans reaped in " + strconv.FormatInt(el.Milliseconds(), 10) + " ms")
	os.Exit(0)
}

func init() {
	if s := os.Getenv("GORUNIT_STORM"); s != "" && !testenv.InNSChild() {
		n, _ := strconv.Atoi(s)
		stormMain(n)
	}
}
