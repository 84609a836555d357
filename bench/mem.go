package main

// Row 1: memory. PSS (proportional set size, from /proc/PID/smaps_rollup)
// counts a process's private pages plus its share of pages it shares
// with others (the binary's text, libc), so summing PSS over the tree
// gives what the tree really costs. It is taken twice: 2 s after all
// services are up (".2s"), and after the idle window of row 7 (1 minute
// by default). Row 1b counts threads (tasks) at the same two times.

import (
	"fmt"
	"os"
	"strconv"
)

func measureMemory(t *tree, n int, res result, suffix string) error {
	var runsv, svlogd, runsvdir float64
	var nRunsv, nSvlogd, tRunsv, tSvlogd int
	for _, p := range descendants(t.pid) {
		switch {
		case p.pid == t.pid:
			runsvdir = pssKB(p.pid)
			res["thr.runsvdir"+suffix] = float64(threads(p.pid))
		case p.ppid == t.pid: // runsvdir's children are the runsv processes
			runsv += pssKB(p.pid)
			tRunsv += threads(p.pid)
			nRunsv++
		case p.exe == "svlogd":
			svlogd += pssKB(p.pid)
			tSvlogd += threads(p.pid)
			nSvlogd++
		}
	}
	if nRunsv != n || nSvlogd != n {
		return fmt.Errorf("memory: found %d runsv and %d svlogd, want %d each", nRunsv, nSvlogd, n)
	}
	res["mem.service"+suffix] = (runsv + svlogd) / float64(n)
	res["mem.runsv"+suffix] = runsv / float64(n)
	res["mem.svlogd"+suffix] = svlogd / float64(n)
	res["mem.runsvdir"+suffix] = runsvdir
	res["thr.runsv"+suffix] = float64(tRunsv) / float64(n)
	res["thr.svlogd"+suffix] = float64(tSvlogd) / float64(n)
	return nil
}

// threads counts the threads (tasks) of process pid.
func threads(pid int) int {
	d, err := os.Open("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	return len(names)
}
