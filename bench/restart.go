package main

// Row 4: restart latency. A service that has been running for more than
// a second (so runsv's one-second restart throttle does not apply) is
// killed with SIGKILL; we time until the status record shows a new pid.
// runsv replaces the status file by a rename, so we wait on inotify
// for the supervise directory instead of polling.

import (
	"fmt"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
)

func measureKillRestart(services []string, res result) error {
	var times []float64
	for _, s := range services {
		d, err := killAndWait(s)
		if err != nil {
			return err
		}
		times = append(times, ms(d))
	}
	res["restart"] = median(times)
	return nil
}

func killAndWait(service string) (time.Duration, error) {
	old, ok := readStatus(service)
	if !ok || !old.up() {
		return 0, fmt.Errorf("restart: %s is not up", service)
	}
	if time.Now().Unix()-old.since < 2 {
		return 0, fmt.Errorf("restart: %s has not run long enough", service)
	}
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	if _, err := unix.InotifyAddWatch(fd, filepath.Join(service, supervise.Dir),
		unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_MODIFY); err != nil {
		return 0, err
	}
	buf := make([]byte, 4096)
	t0 := time.Now()
	if err := syscall.Kill(old.pid, syscall.SIGKILL); err != nil {
		return 0, err
	}
	for time.Since(t0) < 10*time.Second {
		if st, ok := readStatus(service); ok && st.pid != 0 && st.pid != old.pid {
			return time.Since(t0), nil
		}
		// Sleep until the next change in supervise/ (or 10 ms).
		unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 10)
		unix.Read(fd, buf)
	}
	return 0, fmt.Errorf("restart: %s: no new pid within 10 s", service)
}
