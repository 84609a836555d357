package runsvdir_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestScale: 1000 services (the most one runsvdir runs) start from
// symlinks made while runsvdir runs, all run, and SIGHUP stops them all;
// ours with our runsv, then runit's with runit's. It takes minutes on a
// small machine, so it runs only with GORUNIT_SCALE=1 (CI sets it).
func TestScale(t *testing.T) {
	if os.Getenv("GORUNIT_SCALE") == "" {
		t.Skip("set GORUNIT_SCALE=1 to run the 1000-service test")
	}
	for _, im := range both(t) {
		t.Run(im.name, func(t *testing.T) {
			const n = 1000
			r, tr, d := bringUp(t, im, n, false, false)
			t.Logf("%s: %d symlinks to %d services running: %v", im.name, n, n, d.Round(time.Millisecond))
			if sv := r.runsvs(); len(sv) != n {
				t.Fatalf("%d runsv processes, want %d", len(sv), n)
			}
			t.Logf("%s: runsvdir PSS %d kB", im.name, pss(r.pid))
			tree := descendants(r.pid)
			if len(tree) != 2*n {
				t.Errorf("%d processes under runsvdir, want %d", len(tree), 2*n)
			}
			begin := time.Now()
			r.signal(syscall.SIGHUP)
			if code := r.exitCode(); code != 111 {
				t.Errorf("exit code after SIGHUP: %d, want 111", code)
			}
			waitUntil(t, 5*long, 200*time.Millisecond, "every runsv and service to exit", func() bool {
				for len(tree) > 0 && !alive(tree[0]) {
					tree = tree[1:]
				}
				return len(tree) == 0
			})
			t.Logf("%s: SIGHUP to all %d runsv and services gone: %v", im.name, n, time.Since(begin).Round(time.Millisecond))
			for i := 0; i < n; i++ {
				if running(filepath.Join(tr.ext, fmt.Sprintf("s%04d", i), "supervise", "status")) {
					t.Fatalf("s%04d still marked running", i)
				}
			}
		})
	}
}

// bringUp starts runsvdir on an empty directory, then makes n symlinks
// to services (with loggers if withLog) and waits until all run. It
// returns the time from the first symlink to all running.
func bringUp(t *testing.T, im impl, n int, withLog, idle bool) (*rsd, *tree, time.Duration) {
	t.Helper()
	tr := newTree(t)
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("s%04d", i)
		tr.make(names[i], runScript, withLog)
	}
	r := start(t, im, opts{}, "-P", tr.svdir, logArg)
	if idle {
		// Not a synchronisation: let runsvdir finish its start-up scans
		// and go idle, as it is when services are added to a running
		// system.
		time.Sleep(3 * time.Second)
	}
	begin := time.Now()
	for _, name := range names {
		tr.link(name)
	}
	pending := append([]string(nil), names...)
	waitUntil(t, 5*long, 50*time.Millisecond, fmt.Sprintf("%d services up", n), func() bool {
		rest := pending[:0]
		for _, name := range pending {
			if !up(filepath.Join(tr.ext, name)) {
				rest = append(rest, name)
			}
		}
		pending = rest
		return len(pending) == 0
	})
	return r, tr, time.Since(begin)
}

// TestMeasureUp reports the time from n symlinks to n services running
// for our runsvdir with our runsv, our runsvdir with runit's runsv, and
// runit's runsvdir with runit's runsv: 100 services with loggers, 1000
// without. Figures only; runs with GORUNIT_MEASURE=1.
func TestMeasureUp(t *testing.T) {
	if os.Getenv("GORUNIT_MEASURE") == "" {
		t.Skip("set GORUNIT_MEASURE=1 to measure")
	}
	o, r := ours(t), runit(t)
	mixed := impl{"gorunit runsvdir + runit runsv", o.runsvdir, r.path}
	for _, c := range []struct {
		n       int
		withLog bool
	}{{100, true}, {1000, false}} {
		for _, im := range []impl{o, mixed, r} {
			rs, _, d := bringUp(t, im, c.n, c.withLog, true)
			t.Logf("%s: %d symlinks (loggers: %v) to all running: %v", im.name, c.n, c.withLog, d.Round(time.Millisecond))
			rs.signal(syscall.SIGHUP)
			rs.exitCode()
			rs.kill()
		}
	}
}

// TestMeasureIdle reports the idle cost of a 100-service tree (services
// with loggers) for both implementations, side by side over the same 60
// seconds: CPU time (utime+stime from /proc) of runsvdir and of the whole
// tree, runsvdir's wake-ups (context switches of all its threads) and its
// PSS. Figures only, no thresholds; runs with GORUNIT_MEASURE=1.
func TestMeasureIdle(t *testing.T) {
	if os.Getenv("GORUNIT_MEASURE") == "" {
		t.Skip("set GORUNIT_MEASURE=1 to measure")
	}
	const n = 100
	var rs []*rsd
	for _, im := range both(t) {
		tr := newTree(t)
		for i := 0; i < n; i++ {
			name := fmt.Sprintf("s%03d", i)
			tr.make(name, runScript, true)
			tr.link(name)
		}
		r := start(t, im, opts{}, "-P", tr.svdir, logArg)
		waitUntil(t, long, 200*time.Millisecond, im.name+" services up", func() bool {
			for i := 0; i < n; i++ {
				if !up(filepath.Join(tr.ext, fmt.Sprintf("s%03d", i))) {
					return false
				}
			}
			return true
		})
		rs = append(rs, r)
	}
	time.Sleep(10 * time.Second) // settle: start-up rescans are over
	type sample struct{ self, tree, wakeups int64 }
	take := func(r *rsd, pids []int) sample {
		s := sample{self: cpuTicks(r.pid), wakeups: switches(r.pid)}
		for _, p := range pids {
			s.tree += cpuTicks(p)
		}
		return s
	}
	var pids [][]int
	var before []sample
	for _, r := range rs {
		p := append([]int{r.pid}, descendants(r.pid)...)
		pids = append(pids, p)
		before = append(before, take(r, p))
	}
	const window = 60 * time.Second
	time.Sleep(window)
	for i, r := range rs {
		after := take(r, pids[i])
		t.Logf("%s: over %v idle: runsvdir %d ticks, whole tree (%d processes) %d ticks (1 tick = 10 ms), runsvdir wake-ups %d, runsvdir PSS %d kB, threads %d",
			r.im.name, window, after.self-before[i].self, len(pids[i]), after.tree-before[i].tree,
			after.wakeups-before[i].wakeups, pss(r.pid), threads(r.pid))
	}
}

// switches sums voluntary and involuntary context switches of all of
// pid's threads.
func switches(pid int) int64 {
	var sum int64
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/status")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasSuffix(strings.Fields(l + " x")[0], "ctxt_switches:") {
				v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
				sum += v
			}
		}
	}
	return sum
}

func threads(pid int) int {
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*")
	return len(files)
}
