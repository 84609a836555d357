package main

// Service trees: service directories, runsvdir started and stopped,
// status records read.

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"gorunit/internal/supervise"
)

// The service every tree runs: a process that does nothing for a long
// time (the same for both implementations; only the supervisors differ).
const runScript = "#!/bin/sh\nexec sleep 1000000\n"

// Its logger: svlogd from the implementation under test (first in PATH).
const logScript = "#!/bin/sh\nexec svlogd -tt ./main\n"

var seq int

// makeTree creates n services under a fresh directory: definitions in
// sv/NAME (with log/ if withLog) and the directory runsvdir watches,
// service/, holding one symlink per service, as on a Debian system.
// It returns service/ and the services' paths through it.
func makeTree(n int, withLog bool) (svdir string, services []string, err error) {
	seq++
	root := filepath.Join(scratch, fmt.Sprintf("tree%d", seq))
	svdir = filepath.Join(root, "service")
	if err := os.MkdirAll(svdir, 0o755); err != nil {
		return "", nil, err
	}
	for i := 0; i < n; i++ {
		name := fmt.Sprintf("svc%04d", i)
		def := filepath.Join(root, "sv", name)
		if err := writeScript(filepath.Join(def, "run"), runScript); err != nil {
			return "", nil, err
		}
		if withLog {
			if err := writeScript(filepath.Join(def, "log/run"), logScript); err != nil {
				return "", nil, err
			}
			if err := os.Mkdir(filepath.Join(def, "log/main"), 0o755); err != nil {
				return "", nil, err
			}
		}
		if err := os.Symlink(def, filepath.Join(svdir, name)); err != nil {
			return "", nil, err
		}
		services = append(services, filepath.Join(svdir, name))
	}
	// runsvdir waits one second before scanning a directory modified in
	// the current second (so that it misses no change); a tree set up
	// by an administrator is older than that.
	old := time.Now().Add(-time.Minute)
	os.Chtimes(svdir, old, old)
	return svdir, services, nil
}

func writeScript(path, body string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(body), 0o755)
}

func removeTree(svdir string) { os.RemoveAll(filepath.Dir(svdir)) }

// status is the part of the status record the benchmarks need.
type status struct {
	since int64 // seconds since the epoch
	pid   int
	state byte
}

func readStatus(service string) (status, bool) {
	b, err := os.ReadFile(filepath.Join(service, supervise.StatusPath))
	if err != nil {
		return status{}, false
	}
	r, err := supervise.Decode(b)
	if err != nil {
		return status{}, false
	}
	return status{
		since: int64(r.Since.Sec - 1<<62 - 10), // TAI64 to Unix time
		pid:   r.PID,
		state: r.State,
	}, true
}

func (s status) up() bool { return s.pid != 0 && s.state == supervise.Run }

// waitAllUp waits until every service (and its log service, if withLog)
// is running, polling every `every`.
func waitAllUp(services []string, withLog bool, every, timeout time.Duration) error {
	var pending []string
	for _, s := range services {
		pending = append(pending, s)
		if withLog {
			pending = append(pending, filepath.Join(s, "log"))
		}
	}
	deadline := time.Now().Add(timeout)
	for {
		left := pending[:0]
		for _, s := range pending {
			if st, ok := readStatus(s); !ok || !st.up() {
				left = append(left, s)
			}
		}
		pending = left
		if len(pending) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d services not up after %s (e.g. %s)", len(pending), timeout, pending[0])
		}
		time.Sleep(every)
	}
}

// tree is a running runsvdir, in its own process group with everything
// it starts.
type tree struct {
	pid int
	log string
}

// startTree starts the implementation's runsvdir on svdir, with the
// implementation's directory first in PATH (runsvdir finds runsv there,
// the log scripts find svlogd there).
func startTree(im impl, svdir string) (*tree, error) {
	logf, err := os.Create(filepath.Join(filepath.Dir(svdir), "runsvdir.log"))
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	p, err := os.StartProcess(im.path("runsvdir"), []string{"runsvdir", svdir}, &os.ProcAttr{
		Env:   []string{"PATH=" + im.bin + ":/usr/bin:/bin"},
		Files: []*os.File{null, logf, logf},
		Sys:   &syscall.SysProcAttr{Setpgid: true},
	})
	if err != nil {
		return nil, err
	}
	t := &tree{pid: p.Pid, log: logf.Name()}
	register(p.Pid)
	return t, nil
}

// stop ends the tree as an administrator would: SIGHUP makes runsvdir
// send TERM to every runsv and exit; each runsv stops its service and
// logger and exits. Whatever is left after 20 s is killed.
func (t *tree) stop() error {
	syscall.Kill(t.pid, syscall.SIGHUP)
	var ws syscall.WaitStatus
	syscall.Wait4(t.pid, &ws, 0, nil)
	defer unregister(t.pid)
	deadline := time.Now().Add(20 * time.Second)
	for {
		reapOrphans()
		if !groupAlive(t.pid) {
			return nil
		}
		if time.Now().After(deadline) {
			syscall.Kill(-t.pid, syscall.SIGKILL)
			time.Sleep(100 * time.Millisecond)
			reapOrphans()
			return errors.New("tree did not stop within 20 s after SIGHUP")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// groupAlive reports whether any process of process group pgid exists.
func groupAlive(pgid int) bool {
	return syscall.Kill(-pgid, 0) == nil
}

// A registry of what we started, so that ^C leaves nothing behind.
var (
	liveMu sync.Mutex
	live   = map[int]bool{}
)

func register(pgid int)   { liveMu.Lock(); live[pgid] = true; liveMu.Unlock() }
func unregister(pgid int) { liveMu.Lock(); delete(live, pgid); liveMu.Unlock() }

func init() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	go func() {
		s := <-c
		liveMu.Lock()
		for pg := range live {
			syscall.Kill(-pg, syscall.SIGKILL)
			syscall.Kill(pg, syscall.SIGKILL)
		}
		liveMu.Unlock()
		if scratch != "" {
			time.Sleep(200 * time.Millisecond)
			os.RemoveAll(scratch)
		}
		fmt.Fprintln(os.Stderr, "bench: interrupted by", s)
		os.Exit(130)
	}()
}

func itoa(i int) string { return strconv.Itoa(i) }
