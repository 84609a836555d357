package stages

import (
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
)

// Bounds of the built-in stage 3: no shutdown ever hangs, and a
// container stops within the 10 s its engine grants by default.
var (
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

// stopServices asks every runsv under dir to take its service down and
// exit ("d" then "x", as `sv force-stop` + `sv exit` would), and waits for
// them, bounded by servicesGrace.
func stopServices(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	var ok []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		sv := dir + "/" + e.Name()
		fd, err := supervise.OpenControl(sv)
		if err != nil {
			continue
		}
		unix.Write(fd, downExit)
		unix.Close(fd)
		ok = append(ok, sv)
	}
	deadline := time.Now().Add(servicesGrace)
	for len(ok) > 0 {
		left := ok[:0]
		for _, sv := range ok {
			if supervise.Running(sv) == nil {
				left = append(left, sv)
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

// downExit is what stopServices sends each runsv: down, then exit.
var downExit = []byte{supervise.CmdDown, supervise.CmdExit}

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
