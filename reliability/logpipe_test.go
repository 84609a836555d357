package reliability

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"gorunit/internal/testenv"
)

// logImpl is a runsv with its svlogd.
type logImpl struct{ name, runsv, svlogd string }

func logImpls(t *testing.T) []logImpl {
	testenv.RequireRoot(t)
	var out []logImpl
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, logImpl{s.Name, s.Cmd(t, "runsv"), s.Cmd(t, "svlogd")})
	}
	return out
}

const (
	logLines  = 300000
	logChunks = 6 // 5 restarts, between the chunks
)

// writerRun writes logChunks chunks of numbered lines ("%06d"); before
// every chunk but the first it marks that the previous one is written
// (at.k: all of it is in the pipe or beyond) and waits for go.k.
var writerRun = `#!/bin/sh
exec 2>&1
per=$((` + strconv.Itoa(logLines/logChunks) + `))
k=0
while [ $k -lt ` + strconv.Itoa(logChunks) + ` ]; do
  if [ $k -gt 0 ]; then
    : >at.$k
    while [ ! -e go.$k ]; do sleep 0.02; done
  fi
  seq -f %06.0f $((k*per+1)) $((k*per+per))
  k=$((k+1))
done
: >at.done
exec sleep 1000000
`

// tally is what a log directory holds of the numbered lines.
type tally struct {
	lost, doubled, garbage, disorder int
	examples                         string // the first few faults, for the log
}

func (c tally) String() string {
	return "lost " + strconv.Itoa(c.lost) + ", doubled " + strconv.Itoa(c.doubled) +
		", partial/garbage lines " + strconv.Itoa(c.garbage) + ", out of order " + strconv.Itoa(c.disorder)
}

// logContents is the concatenation of dir's rotated files (by name, i.e.
// in time order) and current.
func logContents(t *testing.T, dir string) []byte {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	names = append(names, "current")
	var all []byte
	for _, n := range names {
		b, _ := os.ReadFile(filepath.Join(dir, n))
		all = append(all, b...)
	}
	return all
}

func count(data []byte, n int) tally {
	seen := make([]int, n+1)
	var c tally
	last := 0
	for _, l := range bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n")) {
		v, err := strconv.Atoi(string(l))
		if len(l) != 6 || err != nil || v < 1 || v > n {
			c.garbage++
			if c.garbage <= 5 {
				c.examples += " garbage " + strconv.Quote(string(l)) + " after " + strconv.Itoa(last) + ";"
			}
			continue
		}
		seen[v]++
		if v <= last {
			c.disorder++
		}
		last = v
	}
	for i, s := range seen[1:] {
		switch {
		case s == 0:
			c.lost++
			if c.lost <= 5 {
				c.examples += " lost " + strconv.Itoa(i+1) + ";"
			}
		case s > 1:
			c.doubled += s - 1
		}
	}
	return c
}

// pipeFill is the number of bytes waiting in the pipe that is fd 0 of pid.
func pipeFill(pid int) int {
	fd, err := unix.Open("/proc/"+strconv.Itoa(pid)+"/fd/0", unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return -1
	}
	defer unix.Close(fd)
	n, err := unix.IoctlGetInt(fd, unix.TIOCINQ) // FIONREAD
	if err != nil {
		return -1
	}
	return n
}

func readPid(path string) int {
	b, _ := os.ReadFile(path)
	p, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return p
}

// logRestarts runs one runsv whose service writes logLines numbered lines
// to its svlogd, and restarts the svlogd logChunks-1 times with sig while
// data is in flight: at every restart the writer has a chunk going, the
// svlogd is stopped (SIGSTOP) until the pipe holds at least 32 kB, then
// gets sig (and SIGCONT). It returns the tally of the log directory.
func logRestarts(t *testing.T, im logImpl, sig syscall.Signal) tally {
	root := t.TempDir()
	svc := filepath.Join(root, "svc")
	main := filepath.Join(svc, "log", "main")
	if err := os.MkdirAll(main, 0o755); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(svc, "run"), []byte(writerRun), 0o755)
	os.WriteFile(filepath.Join(svc, "log", "run"), []byte("#!/bin/sh\nexec "+im.svlogd+" main\n"), 0o755)
	// Default size (99999), but keep every file.
	os.WriteFile(filepath.Join(main, "config"), []byte("n1000\n"), 0o644)
	var out bytes.Buffer
	cmd := exec.Command(im.runsv, "svc")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		for _, f := range []string{"supervise/pid", "log/supervise/pid"} {
			if p := readPid(filepath.Join(svc, f)); p > 0 {
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	})
	logPid := filepath.Join(svc, "log", "supervise", "pid")
	exists := func(name string) func() bool {
		return func() bool { _, err := os.Stat(filepath.Join(svc, name)); return err == nil }
	}
	inFlight := 0
	for k := 1; k < logChunks; k++ {
		testenv.WaitFor(t, 2*testenv.Deadline, im.name+": chunk written", exists("at."+strconv.Itoa(k)))
		var pid int
		testenv.WaitFor(t, testenv.Deadline, im.name+": svlogd running", func() bool {
			pid = readPid(logPid)
			return alive(pid)
		})
		syscall.Kill(pid, syscall.SIGSTOP)
		os.WriteFile(filepath.Join(svc, "go."+strconv.Itoa(k)), nil, 0o644)
		var fill int
		testenv.WaitFor(t, testenv.Deadline, im.name+": the pipe to fill", func() bool {
			fill = pipeFill(pid)
			return fill >= 32<<10
		})
		inFlight += fill
		syscall.Kill(pid, sig)
		syscall.Kill(pid, syscall.SIGCONT)
		testenv.WaitFor(t, testenv.Deadline, im.name+": a new svlogd", func() bool {
			p := readPid(logPid)
			return p != pid && alive(p)
		})
	}
	testenv.WaitFor(t, 2*testenv.Deadline, im.name+": the writer to finish", exists("at.done"))
	last := []byte(strconv.Itoa(logLines) + "\n")
	testenv.WaitFor(t, 2*testenv.Deadline, im.name+": the last line in current", func() bool {
		b, _ := os.ReadFile(filepath.Join(main, "current"))
		return bytes.HasSuffix(b, last)
	})
	// Orderly end: down and exit; runsv closes the pipe, svlogd exits.
	ctl, err := os.OpenFile(filepath.Join(svc, "supervise", "control"), os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctl.WriteString("dx")
	ctl.Close()
	select {
	case <-done:
	case <-time.After(testenv.Deadline):
		t.Fatalf("%s: runsv did not exit; output %q", im.name, out.String())
	}
	c := count(logContents(t, main), logLines)
	t.Logf("%s, %v: %v (%d bytes were waiting in the pipe at the %d restarts)%s; runsv output %q", im.name, sig, c, inFlight, logChunks-1, c.examples, out.String())
	c.examples = ""
	return c
}

// TestLogRestartsTERM: 300,000 numbered lines while svlogd is restarted
// five times with SIGTERM, each time with data in the pipe: no line lost,
// doubled or cut, in order. Ours and runit's (runsv+svlogd) in one test.
func TestLogRestartsTERM(t *testing.T) {
	var res []tally
	for _, im := range logImpls(t) {
		res = append(res, logRestarts(t, im, syscall.SIGTERM))
	}
	if res[0] != (tally{}) {
		t.Errorf("ours: %v", res[0])
	}
	figure(t, "300,000 lines, svlogd restarted 5 times with SIGTERM (data in the pipe each time)",
		"no line lost, doubled, cut or reordered", "ours: "+res[0].String()+"; runit: "+res[1].String())
}

// TestLogRestartsKILL: the same with SIGKILL. Nothing may be doubled or
// reordered; lines svlogd had read but not written are lost, and are
// reported next to runit's figure.
func TestLogRestartsKILL(t *testing.T) {
	var res []tally
	for _, im := range logImpls(t) {
		res = append(res, logRestarts(t, im, syscall.SIGKILL))
	}
	if res[0].doubled != 0 || res[0].disorder != 0 {
		t.Errorf("ours: %v", res[0])
	}
	figure(t, "300,000 lines, svlogd killed 5 times with SIGKILL (data in the pipe each time)",
		"nothing doubled or reordered", "ours: "+res[0].String()+"; runit: "+res[1].String())
}
