package main

// Row 1: memory. PSS (proportional set size, from /proc/PID/smaps_rollup)
// counts a process's private pages plus its share of pages it shares
// with others (the binary's text, libc), so summing PSS over the tree
// gives what the tree really costs.

import "fmt"

func measureMemory(t *tree, n int, res result) error {
	var runsv, svlogd, runsvdir float64
	var nRunsv, nSvlogd int
	for _, p := range descendants(t.pid) {
		switch {
		case p.pid == t.pid:
			runsvdir = pssKB(p.pid)
		case p.ppid == t.pid: // runsvdir's children are the runsv processes
			runsv += pssKB(p.pid)
			nRunsv++
		case p.exe == "svlogd":
			svlogd += pssKB(p.pid)
			nSvlogd++
		}
	}
	if nRunsv != n || nSvlogd != n {
		return fmt.Errorf("memory: found %d runsv and %d svlogd, want %d each", nRunsv, nSvlogd, n)
	}
	res["mem.service"] = (runsv + svlogd) / float64(n)
	res["mem.runsv"] = runsv / float64(n)
	res["mem.svlogd"] = svlogd / float64(n)
	res["mem.runsvdir"] = runsvdir
	return nil
}
