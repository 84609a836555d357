// Command bench measures gorunit's programs side by side with runit's own
// (Debian's binaries, extracted by `make oracle`) and prints one table:
// row, ours, runit's, and the ratio ours/runit. See bench/README.md.
//
// Every benchmark runs for both implementations alternately in the same
// run (ours then runit's, then runit's then ours, ...), for several
// rounds; the table shows the median of the rounds. Each benchmark is one
// file in this directory:
//
//	tree100.go    a 100-service tree with loggers, used by:
//	  mem.go        1. PSS per service (runsv + svlogd)
//	  idle.go       7. CPU time and wake-ups of the idle tree
//	  sv.go         3. sv status over 100 services, sv -w 7 restart
//	  restart.go    4. restart latency after kill -9
//	svlogd.go     2. svlogd throughput
//	treestart.go  5. 100 and 1000 services to all running
//	reap.go       6. 10,000-orphan storm under process 1
//	vmboot.go     8. VM boot (qemu-test)
//	container.go  9. 10-service container: PSS and threads of the namespace
//	hosted.go    10. the one-process shape: containers of 10 and 100
//	                 services, cost per hosted service, tree start, idle
//
// tree.go and proc.go hold the helpers: building service directories,
// starting and stopping runsvdir, reading status records and /proc.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gorunit/internal/supervise"
)

// impl is one implementation under test.
type impl struct {
	name  string // "ours" or "runit"
	bin   string // directory with runsv, runsvdir, sv, svlogd (put first in PATH)
	runit string // the process-1 binary
}

func (im impl) path(prog string) string { return filepath.Join(im.bin, prog) }

// result holds one run's figures, by metric key.
type result map[string]float64

// metric is one row of the table.
type metric struct {
	key    string
	label  string
	unit   string
	higher bool // higher is better (throughput)
	prec   int  // decimals shown
}

var metrics = []metric{
	{"mem.service.2s", "1. PSS per service (runsv + svlogd), 100-service tree, 2 s after all up", "kB", false, 0},
	{"mem.service", "1. PSS per service (runsv + svlogd), after the idle window (1 min)", "kB", false, 0},
	{"mem.runsv.2s", "1. PSS per runsv, 2 s", "kB", false, 0},
	{"mem.runsv", "1. PSS per runsv, 1 min", "kB", false, 0},
	{"mem.svlogd.2s", "1. PSS per svlogd, 2 s", "kB", false, 0},
	{"mem.svlogd", "1. PSS per svlogd, 1 min", "kB", false, 0},
	{"mem.runsvdir", "1. PSS of runsvdir, 1 min (for information)", "kB", false, 0},
	{"thr.runsv.2s", "1b. threads per runsv, 2 s", "", false, 1},
	{"thr.runsv", "1b. threads per runsv, 1 min", "", false, 1},
	{"thr.svlogd.2s", "1b. threads per svlogd, 2 s", "", false, 1},
	{"thr.svlogd", "1b. threads per svlogd, 1 min", "", false, 1},
	{"thr.runsvdir", "1b. threads of runsvdir, 1 min", "", false, 0},
	{"svlogd.lines", "2. svlogd -tt, 1 M lines, s1000000, -*debug*", "lines/s", true, 0},
	{"svlogd.mb", "2. svlogd -tt throughput (input bytes)", "MB/s", true, 1},
	{"sv.status", "3. sv status, 100 services (wall)", "ms", false, 2},
	{"sv.restart", "3. sv -w 7 restart (wall)", "ms", false, 1},
	{"restart", "4. kill -9 to new pid in " + supervise.StatusPath, "ms", false, 2},
	{"start.100", "5. tree start, 100 services to all running", "ms", false, 0},
	{"start.1000", "5. tree start, 1000 services to all running", "ms", false, 0},
	{"reap", "6. 10,000-orphan storm under process 1, until no zombie", "ms", false, 0},
	{"reap.cpu", "6. CPU time of process 1 during the storm", "ms", false, 1},
	{"idle.cpu", "7. idle CPU, 100-service tree (utime+stime per minute)", "ms/min", false, 0},
	{"idle.run", "7. idle CPU from schedstat (per minute, ns precision)", "ms/min", false, 1},
	{"idle.wake", "7. idle wake-ups (context switches) per second, whole tree", "1/s", false, 1},
	{"vm.up", "8. VM boot: qemu start to all services up", "s", false, 2},
	{"vm.off", "8. VM boot: qemu start to power-off", "s", false, 2},
	{"ctr.all", "9. 10-service container (PID namespace, built-in vs shell stages), PSS of all processes, 2 s after all up", "MB", false, 2},
	{"ctr.infra", "9. same, all but the services' own processes", "MB", false, 2},
	{"ctr.pid1", "9. PSS of process 1", "MB", false, 2},
	{"ctr.pid1thr", "9. threads of process 1", "", false, 0},
	{"ctr.threads", "9. threads in the namespace", "", false, 0},
	{"hosted.ctr10", "10. one-process shape (ours: process 1 hosts every service; runit's tree), 10-service container, PSS of all but the services", "MB", false, 2},
	{"hosted.ctr100", "10. same, 100 services", "MB", false, 2},
	{"hosted.perservice", "10. one more hosted service inside process 1 (ours)", "kB", false, 1},
	{"hosted.start100", "10. tree start, 100 services (ours: runsvdir with .one-process)", "ms", false, 0},
	{"hosted.wake", "10. idle wake-ups per second of that tree", "1/s", false, 2},
}

// bench is one benchmark: it runs for one implementation and returns its
// figures.
type bench struct {
	name string
	run  func(im impl) (result, error)
}

// skip is the error of a benchmark that cannot run here; it says why (the
// table shows it instead of figures).
type skip string

func (s skip) Error() string { return string(s) }

// Settings, from the command line.
var (
	rounds   = 3
	idleTime = 60 * time.Second
	quick    = false
	scratch  = "" // working directory for the trees and logs (tmpfs)
	verbose  = false
)

func main() {
	top, _ := os.Getwd()
	ours := flag.String("ours", filepath.Join(top, "bin"), "directory with our binaries")
	oracle := flag.String("oracle", filepath.Join(top, ".cache/oracle/runit"), "runit's extracted Debian package")
	out := flag.String("out", "", "write the table to this Markdown file (with bench/NOTES.md appended)")
	flag.IntVar(&rounds, "rounds", 3, "rounds per benchmark and implementation (median shown)")
	flag.BoolVar(&quick, "quick", os.Getenv("BENCH_QUICK") != "", "short run: 10 s idle window, fewer repetitions")
	idle := flag.String("idle", os.Getenv("BENCH_IDLE"), "idle window for row 7 (default 60s, 10s with -quick)")
	only := flag.String("only", "", "comma-separated benchmarks to run (tree100,svlogd,start100,start1000,reap,vm)")
	flag.BoolVar(&verbose, "v", false, "print every sample")
	flag.Parse()
	if len(flag.Args()) > 0 {
		// Helper modes, run by the benchmarks themselves.
		switch flag.Arg(0) {
		case "storm":
			stormMain(flag.Args()[1:])
			return
		}
		fatal("unknown mode " + flag.Arg(0))
	}
	idleTime = 60 * time.Second
	if quick {
		idleTime = 10 * time.Second
	}
	if *idle != "" {
		d, err := time.ParseDuration(*idle)
		if err != nil {
			if s, err2 := strconv.Atoi(*idle); err2 == nil {
				d, err = time.Duration(s)*time.Second, nil
			}
		}
		if err != nil {
			fatal("bad idle duration " + *idle)
		}
		idleTime = d
	}
	if os.Geteuid() != 0 {
		fatal("run as root (namespaces, kill -9 of service processes)")
	}
	impls := []impl{
		{"ours", *ours, filepath.Join(*ours, "runit")},
		{"runit", filepath.Join(*oracle, "usr/bin"), filepath.Join(*oracle, "sbin/runit")},
	}
	for _, im := range impls {
		for _, p := range []string{"runsv", "runsvdir", "sv", "svlogd"} {
			if _, err := os.Stat(im.path(p)); err != nil {
				fatal(im.name + ": " + err.Error() + " (make build oracle)")
			}
		}
	}
	// Orphans of the trees (runsv after runsvdir is gone) come to us, so
	// that we can make sure that nothing is left behind.
	setSubreaper()
	base := "/dev/shm"
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = os.TempDir()
	}
	var err error
	if scratch, err = os.MkdirTemp(base, "gorunit-bench-"); err != nil {
		fatal(err.Error())
	}
	defer os.RemoveAll(scratch)

	benches := []bench{
		{"tree100", benchTree100},
		{"svlogd", benchSvlogd},
		{"start100", func(im impl) (result, error) { return benchTreeStart(im, 100) }},
		{"start1000", func(im impl) (result, error) { return benchTreeStart(im, 1000) }},
		{"reap", benchReap},
		{"vm", benchVM},
		{"container", benchContainer},
		{"hosted", benchHosted},
	}
	if *only != "" {
		var sel []bench
		for _, b := range benches {
			if strings.Contains(","+*only+",", ","+b.name+",") {
				sel = append(sel, b)
			}
		}
		benches = sel
	}

	samples := map[string]map[string][]float64{} // impl -> key -> samples
	errs := map[string]map[string]string{}       // impl -> bench -> error
	notes := map[string]string{}                 // bench -> why it did not run
	for _, im := range impls {
		samples[im.name] = map[string][]float64{}
		errs[im.name] = map[string]string{}
	}
	start := time.Now()
	for r := 0; r < rounds; r++ {
		order := impls
		if r%2 == 1 {
			order = []impl{impls[1], impls[0]}
		}
		for _, b := range benches {
			if _, skip := notes[b.name]; skip {
				continue
			}
			for _, im := range order {
				t0 := time.Now()
				res, err := b.run(im)
				if s, ok := err.(skip); ok {
					notes[b.name] = string(s)
					break
				}
				if err != nil {
					// Figures measured before the error still count.
					errs[im.name][b.name] = err.Error()
					logf("round %d %s %s: error: %v", r+1, b.name, im.name, err)
				}
				keys := make([]string, 0, len(res))
				for k, v := range res {
					samples[im.name][k] = append(samples[im.name][k], v)
					keys = append(keys, k)
				}
				sort.Strings(keys)
				var sb strings.Builder
				for _, k := range keys {
					sb.WriteString(" " + k + "=" + strconv.FormatFloat(res[k], 'f', 2, 64))
				}
				logf("round %d %-9s %-5s %5.1fs%s", r+1, b.name, im.name, time.Since(t0).Seconds(), sb.String())
			}
		}
	}
	logf("all benchmarks: %.0f s", time.Since(start).Seconds())

	table := renderTable(impls, samples, errs, notes)
	machine := machineInfo()
	fmt.Print("\n" + machine + "\n" + table)
	if *out != "" {
		var sb strings.Builder
		sb.WriteString("# Benchmarks: gorunit against runit 2.1.2 (Debian bookworm)\n\n")
		sb.WriteString("Generated by `make bench` (harness: [bench/](bench/README.md)); ")
		sb.WriteString("the notes below the table are bench/NOTES.md.\n\n")
		sb.WriteString(machine + "\n" + table + "\n")
		if n, err := os.ReadFile(filepath.Join(top, "bench/NOTES.md")); err == nil {
			sb.Write(n)
		}
		if err := os.WriteFile(*out, []byte(sb.String()), 0o644); err != nil {
			fatal(err.Error())
		}
		logf("wrote %s", *out)
	}
}

// renderTable prints the medians as a Markdown table.
func renderTable(impls []impl, samples map[string]map[string][]float64, errs map[string]map[string]string, notes map[string]string) string {
	var sb strings.Builder
	sb.WriteString("| Benchmark | unit | ours | runit's | ours/runit | better |\n")
	sb.WriteString("|---|---|--:|--:|--:|---|\n")
	benchOf := func(key string) string {
		switch strings.SplitN(key, ".", 2)[0] {
		case "mem", "thr", "sv", "restart", "idle":
			return "tree100"
		case "svlogd":
			return "svlogd"
		case "reap":
			return "reap"
		case "vm":
			return "vm"
		case "ctr":
			return "container"
		case "hosted":
			return "hosted"
		case "start":
			return "start" + strings.SplitN(key, ".", 2)[1]
		}
		return key
	}
	for _, m := range metrics {
		b := benchOf(m.key)
		cell := func(im impl) (string, float64, bool) {
			if v := samples[im.name][m.key]; len(v) > 0 {
				md := median(v)
				return strconv.FormatFloat(md, 'f', m.prec, 64), md, true
			}
			if e := errs[im.name][b]; e != "" {
				return "error", 0, false
			}
			if n, ok := notes[b]; ok {
				return n, 0, false
			}
			return "not run", 0, false
		}
		oc, ov, ook := cell(impls[0])
		rc, rv, rok := cell(impls[1])
		if !ook && !rok && oc == rc {
			fmt.Fprintf(&sb, "| %s | %s | %s | | | |\n", m.label, m.unit, oc)
			continue
		}
		ratio := ""
		if ook && rok {
			if rv != 0 {
				ratio = strconv.FormatFloat(ov/rv, 'f', 2, 64)
			} else if ov == 0 {
				ratio = "1.00"
			} else {
				ratio = "∞"
			}
		}
		better := "lower"
		if m.higher {
			better = "higher"
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %s | %s | %s |\n", m.label, m.unit, oc, rc, ratio, better)
	}
	var errLines []string
	for _, im := range impls {
		for b, e := range errs[im.name] {
			errLines = append(errLines, "* "+im.name+" "+b+": "+e)
		}
	}
	if len(errLines) > 0 {
		sort.Strings(errLines)
		sb.WriteString("\nErrors:\n" + strings.Join(errLines, "\n") + "\n")
	}
	return sb.String()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// machineInfo describes where the figures come from.
func machineInfo() string {
	var u syscall.Utsname
	syscall.Uname(&u)
	str := func(b [65]int8) string {
		var s []byte
		for _, c := range b {
			if c == 0 {
				break
			}
			s = append(s, byte(c))
		}
		return string(s)
	}
	cpu := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	load := ""
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	mode := "full"
	if quick {
		mode = "quick (BENCH_QUICK=1)"
	}
	return fmt.Sprintf("Machine: %d cores (%s), kernel %s %s, %s, %s.\n"+
		"Run: %s, %d rounds, medians; idle window %s; load average at the end %s; tree files on %s.\n",
		runtime.NumCPU(), cpu, str(u.Sysname), str(u.Release), runtime.Version(),
		time.Now().UTC().Format("2006-01-02 15:04 UTC"), mode, rounds, idleTime, load, filepath.Dir(scratch))
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", a...)
}

func fatal(s string) {
	os.Stderr.WriteString("bench: fatal: " + s + "\n")
	os.Exit(1)
}
