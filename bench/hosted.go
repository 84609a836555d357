package main

// Row 10: the one-process shape (issue 16). Ours: process 1 (built-in
// stage 2) or runsvdir (.one-process) hosts every service's supervision
// itself; runit's: its usual tree (runsvdir, a runsv per service).
//
//   - hosted.ctr10, hosted.ctr100: a container of 10 and 100 services (PID
//     and mount namespaces, as row 9; every service `exec sleep`, the first
//     one with an svlogd logger); PSS of every process but the services'
//     own, 2 s after all are up. Ours with the built-in stages, runit's with
//     shell stages whose stage 2 execs runsvdir -P.
//   - hosted.perservice: ours only, what one more hosted service costs
//     inside process 1: (process 1's PSS with 100 services - with 10) / 90.
//   - hosted.start100: 100 services (no loggers) from runsvdir's start to
//     all running (ours: runsvdir with .one-process).
//   - hosted.wake: idle wake-ups per second of that 100-service tree (the
//     supervisors' context switches over the idle window, runsvdir and
//     every runsv for runit's).

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

func benchHosted(im impl) (result, error) {
	res := result{}
	var pid1at [2]float64
	for i, n := range []int{10, 100} {
		infra, pid1, err := hostedContainer(im, n)
		if err != nil {
			return res, err
		}
		res[fmt.Sprintf("hosted.ctr%d", n)] = infra / 1024
		pid1at[i] = pid1
	}
	if im.name == "ours" {
		res["hosted.perservice"] = (pid1at[1] - pid1at[0]) / 90
	}

	svdir, services, err := makeTree(100, false)
	if err != nil {
		return res, err
	}
	defer removeTree(svdir)
	if im.name == "ours" {
		if err := os.WriteFile(filepath.Join(svdir, ".one-process"), nil, 0o644); err != nil {
			return res, err
		}
		old := time.Now().Add(-time.Minute)
		os.Chtimes(svdir, old, old)
	}
	t0 := time.Now()
	t, err := startTree(im, svdir)
	if err != nil {
		return res, err
	}
	defer t.stop()
	if err := waitAllUp(services, false, 5*time.Millisecond, 120*time.Second); err != nil {
		return res, err
	}
	res["hosted.start100"] = ms(time.Since(t0))
	time.Sleep(2 * time.Second)
	window := idleTime / 2
	sum := func() int64 {
		var s int64
		for _, q := range descendants(t.pid) {
			if q.exe == "sleep" {
				continue
			}
			sw, _ := taskStats(q.pid)
			s += sw
		}
		return s
	}
	before := sum()
	time.Sleep(window)
	res["hosted.wake"] = float64(sum()-before) / window.Seconds()
	return res, nil
}

// hostedContainer boots a container of n services (the first with a
// logger) and returns the PSS (kB) of its processes but the services' own,
// and process 1's.
func hostedContainer(im impl, n int) (infra, pid1 float64, err error) {
	svdir, services, err := makeTree(n, false)
	if err != nil {
		return 0, 0, err
	}
	defer removeTree(svdir)
	first := filepath.Join(filepath.Dir(svdir), "sv", "svc0000")
	if err := writeScript(filepath.Join(first, "log/run"), logScript); err != nil {
		return 0, 0, err
	}
	if err := os.Mkdir(filepath.Join(first, "log/main"), 0o755); err != nil {
		return 0, 0, err
	}
	root := filepath.Dir(svdir)
	etc := filepath.Join(root, "etc-runit")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return 0, 0, err
	}
	if im.name != "ours" { // ours: the built-in stages, one process
		for name, body := range map[string]string{
			"1": "#!/bin/sh\nexit 0\n", "2": "#!/bin/sh\nexec runsvdir -P /etc/service\n",
			"3": "#!/bin/sh\nexit 0\n", "nosync": "",
		} {
			if err := os.WriteFile(filepath.Join(etc, name), []byte(body), 0o755); err != nil {
				return 0, 0, err
			}
		}
	} else if err := os.WriteFile(filepath.Join(etc, "nosync"), nil, 0o644); err != nil {
		return 0, 0, err
	}
	console := filepath.Join(root, "console")
	if err := os.WriteFile(console, nil, 0o600); err != nil {
		return 0, 0, err
	}
	for _, d := range []string{"/etc/runit", "/etc/service"} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return 0, 0, err
		}
	}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cons, _ := os.OpenFile(console, os.O_WRONLY|os.O_APPEND, 0)
	defer cons.Close()
	p, stop, err := bootNS(containerBoot, []string{"ETC=" + etc, "SVDIR=" + svdir,
		"CONSOLE=" + console, "BIN=" + im.bin, "RUNIT=" + im.runit}, null, cons)
	if err != nil {
		return 0, 0, err
	}
	defer stop()
	if err := waitAllUp(services, false, 20*time.Millisecond, 60*time.Second); err != nil {
		c, _ := os.ReadFile(console)
		return 0, 0, fmt.Errorf("hosted container: %v; console: %.300s", err, c)
	}
	if err := waitAllUp([]string{filepath.Join(svdir, "svc0000", "log")}, false, 20*time.Millisecond, 60*time.Second); err != nil {
		return 0, 0, err
	}
	time.Sleep(2 * time.Second)
	for _, q := range descendants(p.Pid) {
		if q.exe != "sleep" {
			infra += pssKB(q.pid)
		}
	}
	return infra, pssKB(p.Pid), nil
}
