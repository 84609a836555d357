package main

// Row 7: idle cost. Over a window in which nothing happens, how much CPU
// the whole tree (runsvdir, runsv, svlogd, the services) uses and how
// often its threads wake up.
//
//   - CPU: utime+stime from /proc/PID/stat (all threads of the process,
//     in clock ticks of 10 ms), and, more precisely, the run time in
//     nanoseconds from /proc/PID/task/TID/schedstat.
//   - Wake-ups: voluntary + nonvoluntary context switches from
//     /proc/PID/task/TID/status, summed over every thread.
//
// Both are taken at the start and the end of the window; processes and
// threads that appear during the window count from zero.

import (
	"fmt"
	"time"
)

type idleSample struct {
	ticks, switches, runNs int64
}

func sampleTree(root int) (map[int]idleSample, int) {
	m := map[int]idleSample{}
	for _, p := range descendants(root) {
		sw, ns := taskStats(p.pid)
		m[p.pid] = idleSample{p.ticks, sw, ns}
	}
	return m, len(m)
}

func measureIdle(t *tree, window time.Duration, res result) error {
	before, n := sampleTree(t.pid)
	if n < 2 {
		return fmt.Errorf("idle: tree has %d processes", n)
	}
	time.Sleep(window)
	after, _ := sampleTree(t.pid)
	var d idleSample
	for pid, a := range after {
		b := before[pid]
		d.ticks += a.ticks - b.ticks
		d.switches += a.switches - b.switches
		d.runNs += a.runNs - b.runNs
	}
	perMin := time.Minute.Seconds() / window.Seconds()
	res["idle.cpu"] = float64(d.ticks) * 1000 / clockTick * perMin
	res["idle.run"] = float64(d.runNs) / 1e6 * perMin
	res["idle.wake"] = float64(d.switches) / window.Seconds()
	return nil
}
