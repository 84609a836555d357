package main

// Row 3: sv. The wall time of `sv status` over the tree's 100 services
// (process start to exit, as a user or a monitoring script sees it), and
// of `sv -w 7 restart` on one service (sends TERM, CONT, up and waits
// until the service runs again). Each implementation's sv talks to its
// own runsv.

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

func timeCommand(path string, args ...string) (time.Duration, string, error) {
	var out bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	t0 := time.Now()
	err := cmd.Run()
	return time.Since(t0), out.String(), err
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func measureSvStatus(im impl, services []string, res result) error {
	reps := 10
	if quick {
		reps = 5
	}
	var times []float64
	for i := 0; i < reps; i++ {
		d, out, err := timeCommand(im.path("sv"), append([]string{"status"}, services...)...)
		if err != nil {
			return fmt.Errorf("sv status: %v: %.200s", err, out)
		}
		if n := strings.Count("\n"+out, "\nrun: "); n != len(services) {
			return fmt.Errorf("sv status: %d services running, want %d: %.200s", n, len(services), out)
		}
		times = append(times, ms(d))
	}
	res["sv.status"] = median(times)
	return nil
}

func measureSvRestart(im impl, services []string, res result) error {
	var times []float64
	for _, s := range services {
		before, _ := readStatus(s)
		d, out, err := timeCommand(im.path("sv"), "-w", "7", "restart", s)
		if err != nil || !strings.HasPrefix(out, "ok: run: ") {
			return fmt.Errorf("sv -w 7 restart: %v: %.200s", err, out)
		}
		if after, _ := readStatus(s); after.pid == before.pid {
			return fmt.Errorf("sv -w 7 restart: %s: pid %d unchanged", s, after.pid)
		}
		times = append(times, ms(d))
	}
	res["sv.restart"] = median(times)
	return nil
}
