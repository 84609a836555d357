package stages

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/scan"
	"gorunit/internal/supervise"
)

// Bounds of the built-in stage 3: no shutdown ever hangs, and a
// container stops within the 10 s its engine grants by default.
var (
	downGrace     = 7 * time.Second // per service, without timeout-kill
	servicesGrace = 5 * time.Second
	processGrace  = 2 * time.Second
	pollEvery     = 100 * time.Millisecond
)

// builtin3 brings every service down, then TERMs and KILLs whatever is
// left, syncs, and (only as the machine's real init: in a PID namespace
// the filesystems are shared with the host) unmounts.
func builtin3(realInit bool) {
	stopServices(serviceDir)
	killAll(realInit)
	if !exists(fileNosync) {
		unix.Sync()
	}
	if realInit {
		unmountAll()
	}
}

// stopServices takes every service under dir down with one TERM and
// then lets its runsv exit: "d" first, then, once the service is down
// (its ./finish has run), "x"; a service still up after its
// timeout-kill and a second (else downGrace) gets "k" (SIGKILL) before
// "x". Writing "dx" at once would have runsv send TERM a second time on
// "x" while the service is still stopping. It then waits for every runsv to
// let go of its ok FIFO, bounded by servicesGrace.
func stopServices(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type pending struct {
		sv       string
		bound    time.Duration
		deadline time.Time
	}
	var down []pending
	var ok []string
	now := time.Now()
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sv := dir + "/" + e.Name()
		if !control(sv, sendDown) {
			continue
		}
		bound := downBound(sv)
		down = append(down, pending{sv, bound, now.Add(bound)})
		ok = append(ok, sv)
	}
	for len(down) > 0 {
		left := down[:0]
		now := time.Now()
		for _, d := range down {
			if isDown(d.sv) {
				control(d.sv, sendExit)
				continue
			}
			if now.After(d.deadline) {
				// Never a second TERM: KILL, then exit.
				warn("service not down after ", d.bound.String(), ", sending KILL: ", d.sv)
				control(d.sv, sendKillExit)
				continue
			}
			left = append(left, d)
		}
		down = left
		if len(down) > 0 {
			time.Sleep(pollEvery)
		}
	}
	deadline := time.Now().Add(servicesGrace)
	for len(ok) > 0 {
		left := ok[:0]
		for _, p := range ok {
			if supervise.Running(p) == nil {
				left = append(left, p)
			}
		}
		ok = left
		if len(ok) == 0 {
			return
		}
		if time.Now().After(deadline) {
			warn("services still running after ", strconv.Itoa(int(servicesGrace/time.Second)), " s: ", strings.Join(ok, " "))
			return
		}
		time.Sleep(pollEvery)
	}
}

// What stage 3 sends: down, then exit once down; kill and exit to a
// service that did not go down in time.
var (
	sendDown     = string([]byte{supervise.CmdDown})
	sendExit     = string([]byte{supervise.CmdExit})
	sendKillExit = string([]byte{supervise.CmdKill, supervise.CmdExit})
)

// control sends cmd to the service's runsv, if one reads its control.
func control(sv, cmd string) bool { return supervise.Send(sv, cmd) == nil }

// isDown reports whether the status record shows the service down (no
// process, ./finish done); an unreadable record counts as down.
func isDown(sv string) bool {
	var b supervise.Buf
	if supervise.ReadStatus(sv, b[:]) != nil {
		return true
	}
	r := b.Record()
	return r.PID == 0 && r.State == supervise.Down
}

// downBound is how long stage 3 waits for a service to go down: its
// timeout-kill (milliseconds, after which runsv sends SIGKILL) and a
// second for ./finish, else downGrace.
func downBound(sv string) time.Duration {
	b, err := os.ReadFile(sv + "/timeout-kill")
	if err != nil {
		return downGrace
	}
	ms, n := scan.Ulong(string(b))
	if n == 0 || ms == 0 || ms > 3600_000 {
		return downGrace
	}
	return time.Duration(ms)*time.Millisecond + time.Second
}

// killAll sends TERM (and CONT) to every process but process 1 and this
// one, waits until they are gone (bounded by processGrace), then KILLs
// what remains.
func killAll(realInit bool) {
	unix.Kill(-1, unix.SIGTERM)
	unix.Kill(-1, unix.SIGCONT)
	deadline := time.Now().Add(processGrace)
	for othersAlive(realInit) && time.Now().Before(deadline) {
		time.Sleep(pollEvery)
	}
	unix.Kill(-1, unix.SIGKILL)
}

// othersAlive reports whether any process but process 1 and this one is
// still running. In a PID namespace kill(-1, 0) tells exactly; in the
// initial namespace kernel threads answer too, so /proc is read instead.
func othersAlive(realInit bool) bool {
	if !realInit {
		return unix.Kill(-1, 0) == nil
	}
	d, err := os.Open("/proc")
	if err != nil {
		return unix.Kill(-1, 0) == nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	self := os.Getpid()
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil || pid == 1 || pid == self {
			continue
		}
		b, err := os.ReadFile("/proc/" + n + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		state, ppid := f[0], f[1]
		if state == "Z" || state == "X" || pid == 2 || ppid == "2" {
			continue // zombie, or a kernel thread
		}
		return true
	}
	return false
}
