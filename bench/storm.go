package main

// `bench storm N`: runs inside the namespace of row 6, started by stage 2.
//
// It forks a middle process, which forks N children and exits: the N
// children become orphans, re-parented to process 1. Each child blocks
// reading a pipe. When we close the pipe's write end, all N read EOF and
// exit at once, and process 1 has N zombies to reap. We time from the
// close until /proc (the namespace's own) holds no more processes than
// before the storm. We also report how much CPU time process 1 (all its
// threads) spent meanwhile: the cost of reaping itself, apart from the
// kernel's work of ending 10,000 processes.
//
// The children are made by package internal/storm with raw clone(2)
// system calls: a forked copy of a Go process cannot run Go code.

import (
	"os"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/storm"
)

func stormMain(args []string) {
	n := stormOrphans
	if len(args) > 0 {
		n, _ = strconv.Atoi(args[0])
	}
	runtime.LockOSThread()
	var p [2]int
	if err := unix.Pipe2(p[:], 0); err != nil {
		fatal("storm: pipe: " + err.Error())
	}
	base := storm.CountProcs()
	mid, err := storm.Orphans(n, p[0], p[1])
	if err != nil {
		fatal("storm: clone: " + err.Error())
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(mid, &ws, 0, nil); err != unix.EINTR {
			break
		}
	}
	orphans := storm.CountProcs() - base
	_, cpu0 := taskStats(1)
	t0 := time.Now()
	unix.Close(p[1]) // every orphan reads EOF and exits
	for storm.CountProcs() > base {
		time.Sleep(2 * time.Millisecond)
	}
	el := time.Since(t0)
	_, cpu1 := taskStats(1)
	os.Stdout.WriteString("orphans=" + strconv.Itoa(orphans) + " us=" + strconv.FormatInt(el.Microseconds(), 10) +
		" pid1cpu_us=" + strconv.FormatInt((cpu1-cpu0)/1000, 10) + "\n")
}
