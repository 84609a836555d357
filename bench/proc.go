package main

// Reading /proc: the process tree, PSS, CPU time and context switches.

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// proc is one process, from /proc/PID/stat and /proc/PID/comm.
type proc struct {
	pid, ppid, pgrp int
	state           byte   // R, S, Z, ...
	exe             string // the name it was executed under ("runsv", "svlogd", ...)
	ticks           int64  // utime+stime, clock ticks (all threads)
}

// readProc reads /proc/PID/stat. Fields after the command name (which is
// in parentheses and may contain anything): state ppid pgrp ... utime
// (field 14) stime (field 15).
func readProc(pid int) (proc, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return proc{}, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 || i+2 >= len(s) {
		return proc{}, false
	}
	f := strings.Fields(s[i+2:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return proc{}, false
	}
	p := proc{pid: pid, state: f[0][0]}
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgrp, _ = strconv.Atoi(f[2])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	p.ticks = ut + st
	// The name the program was executed under (comm): gorunit's commands
	// are links to one multi-call binary, whose /proc/PID/exe is always
	// "gorunit".
	if c, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm"); err == nil && len(c) > 1 {
		p.exe = strings.TrimSuffix(string(c), "\n")
	} else if l, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/exe"); err == nil {
		p.exe = filepath.Base(strings.TrimSuffix(l, " (deleted)"))
	}
	return p, true
}

// allProcs lists every process visible in /proc.
func allProcs() []proc {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	names, _ := d.Readdirnames(-1)
	d.Close()
	var ps []proc
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			ps = append(ps, p)
		}
	}
	return ps
}

// descendants returns root and every process below it.
func descendants(root int) []proc {
	ps := allProcs()
	children := map[int][]proc{}
	var out []proc
	for _, p := range ps {
		children[p.ppid] = append(children[p.ppid], p)
		if p.pid == root {
			out = append(out, p)
		}
	}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i].pid]...)
	}
	return out
}

// pssKB is the process's proportional set size: its private pages plus
// its share of every page it shares with other processes.
func pssKB(pid int) float64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/smaps_rollup")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Pss:") {
			f := strings.Fields(l)
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// taskStats sums, over every thread of pid, the context switches
// (voluntary + nonvoluntary, from /proc/PID/task/TID/status) and the time
// spent on a CPU (nanoseconds, the first field of .../schedstat).
func taskStats(pid int) (switches, runNs int64) {
	dir := "/proc/" + strconv.Itoa(pid) + "/task"
	d, err := os.Open(dir)
	if err != nil {
		return 0, 0
	}
	tids, _ := d.Readdirnames(-1)
	d.Close()
	for _, t := range tids {
		if b, err := os.ReadFile(dir + "/" + t + "/status"); err == nil {
			for _, l := range strings.Split(string(b), "\n") {
				if strings.HasSuffix(strings.SplitN(l, ":", 2)[0], "ctxt_switches") {
					v, _ := strconv.ParseInt(strings.TrimSpace(strings.SplitN(l, ":", 2)[1]), 10, 64)
					switches += v
				}
			}
		}
		if b, err := os.ReadFile(dir + "/" + t + "/schedstat"); err == nil {
			if f := strings.Fields(string(b)); len(f) > 0 {
				v, _ := strconv.ParseInt(f[0], 10, 64)
				runNs += v
			}
		}
	}
	return switches, runNs
}

// setSubreaper makes orphans of our process tree our children, not
// process 1's.
func setSubreaper() {
	unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
}

// reapOrphans collects every exited child without waiting. Only called
// while no exec.Cmd of ours is running (it would steal its status).
func reapOrphans() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

// clockTick is USER_HZ, the unit of utime and stime (100 on Linux).
const clockTick = 100
