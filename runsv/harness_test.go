package runsv_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	status "gorunit/internal/supervise"
	"gorunit/internal/testenv"
)

// impl is one runsv implementation under test.
type impl struct {
	name  string
	runsv string
}

// impls returns runit's runsv (the oracle) and ours.
func impls(t *testing.T) []impl {
	testenv.RequireRoot(t)
	var out []impl
	for _, s := range testenv.Sides() {
		out = append(out, impl{s.Name, s.Cmd(t, "runsv")})
	}
	return out
}

// world is a scratch service directory tree driven by runit's own sv.
type world struct {
	t    *testing.T
	root string
	sv   string
	mu   sync.Mutex
	logs []*runsvProc
}

func newWorld(t *testing.T) *world {
	root := t.TempDir()
	return &world{t: t, root: root, sv: testenv.Oracle(t, "sv")}
}

// service creates root/name with the given files; contents starting with
// "#!" are made executable. A value of "\x00dir" makes a directory.
func (w *world) service(name string, files map[string]string) string {
	w.t.Helper()
	dir := filepath.Join(w.root, name)
	if err := os.MkdirAll(dir, 0755); err != nil {
		w.t.Fatal(err)
	}
	for f, content := range files {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0755)
		if content == "\x00dir" {
			os.MkdirAll(p, 0755)
			continue
		}
		mode := os.FileMode(0644)
		if strings.HasPrefix(content, "#!") {
			mode = 0755
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			w.t.Fatal(err)
		}
	}
	return dir
}

type runsvProc struct {
	cmd  *exec.Cmd
	out  *bytes.Buffer
	mu   *sync.Mutex
	done chan struct{}
	err  error
}

type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// start runs bin as "runsv <name>" in w.root, stdout and stderr captured.
func (w *world) start(bin, name string) *runsvProc {
	w.t.Helper()
	p := &runsvProc{out: &bytes.Buffer{}, mu: &sync.Mutex{}, done: make(chan struct{})}
	cmd := &exec.Cmd{Path: bin, Args: []string{"runsv", name}, Dir: w.root}
	cmd.Stdout = lockedWriter{p.mu, p.out}
	cmd.Stderr = cmd.Stdout
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	p.cmd = cmd
	go func() { p.err = cmd.Wait(); close(p.done) }()
	w.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
	})
	w.mu.Lock()
	w.logs = append(w.logs, p)
	w.mu.Unlock()
	return p
}

func (p *runsvProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// wait waits for runsv to exit and returns its exit code.
func (p *runsvProc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(testenv.Deadline):
		t.Fatal("runsv did not exit")
	}
	return p.cmd.ProcessState.ExitCode()
}

// run runs runit's sv with SVDIR=w.root and returns stdout, stderr and the
// exit code.
func (w *world) run(args ...string) (string, string, int) {
	w.t.Helper()
	cmd := exec.Command(w.sv, args...)
	cmd.Dir = w.root
	cmd.Env = append(os.Environ(), "SVDIR="+w.root)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		w.t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

// transcript collects normalised command outputs of one implementation.
type transcript struct {
	w     *world
	lines []string
}

func (tr *transcript) sv(args ...string) {
	out, errs, code := tr.w.run(args...)
	tr.lines = append(tr.lines, "$ sv "+strings.Join(args, " "), out+errs+"[exit "+strconv.Itoa(code)+"]")
}

func (tr *transcript) add(s string) { tr.lines = append(tr.lines, s) }

func (tr *transcript) String() string { return norm(strings.Join(tr.lines, "\n")) }

var (
	pidRe  = regexp.MustCompile(`pid \d+`)
	secsRe = regexp.MustCompile(`\) \d+s|: \d+s`)
)

// norm replaces pids and elapsed seconds, which differ between runs.
func norm(s string) string {
	s = pidRe.ReplaceAllString(s, "pid N")
	return secsRe.ReplaceAllStringFunc(s, func(m string) string { return m[:2] + "Ns" })
}

// readStatus decodes dir/supervise/status (or log/supervise/status).
func readStatus(t *testing.T, path string) (status.Record, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return status.Record{}, false
	}
	r, err := status.Decode(b)
	return r, err == nil
}

// waitStatus waits until the record at path satisfies cond.
func waitStatus(t *testing.T, path, what string, cond func(status.Record) bool) status.Record {
	t.Helper()
	var r status.Record
	testenv.WaitFor(t, testenv.Deadline, what, func() bool {
		var ok bool
		r, ok = readStatus(t, path)
		return ok && cond(r)
	})
	return r
}

func isUp(r status.Record) bool { return r.State == status.Run && r.PID != 0 }

// both runs scenario once for each implementation, in parallel, and
// requires identical transcripts.
func both(t *testing.T, scenario func(t *testing.T, w *world, im impl) string) {
	ims := impls(t)
	got := make([]string, len(ims))
	var wg sync.WaitGroup
	for i, im := range ims {
		i, im := i, im
		wg.Add(1)
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			defer wg.Done()
			got[i] = scenario(t, newWorld(t), im)
		})
	}
	t.Cleanup(func() {
		wg.Wait()
		if t.Failed() {
			return
		}
		if got[0] != got[1] {
			t.Errorf("transcripts differ.\n--- runit's runsv:\n%s\n--- ours:\n%s\n--- diff:\n%s", got[0], got[1], diffLines(got[0], got[1]))
		}
	})
}

func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, "line "+strconv.Itoa(i+1)+":\n  runit: "+x+"\n  ours:  "+y)
			if len(out) > 10 {
				break
			}
		}
	}
	return strings.Join(out, "\n")
}
