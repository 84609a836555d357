package sv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gorunit/internal/supervise"
)

// statusTree crafts n services under a fresh $SVDIR, each with a log/
// service, in a mix of states (running, down, normally down, paused, want
// down), with supervise/ok held open as runsv holds it. Every other
// service is named by its absolute path, the rest relative to $SVDIR, so
// that both ways into a service directory are used. It returns $SVDIR
// and sv's argv for "sv status" over them.
func statusTree(t testing.TB, n int) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	var held []int
	t.Cleanup(func() {
		for _, fd := range held {
			unix.Close(fd)
		}
	})
	argv := []string{"sv", "status"}
	for i := range n {
		name := "svc" + strconv.Itoa(i)
		svc := filepath.Join(dir, name)
		var main fakeSv
		switch i % 4 {
		case 0:
			main.status = rec(1000+i, false, 'u', false, supervise.Run)
		case 1:
			main.status = rec(0, false, 'd', false, supervise.Down)
		case 2:
			main.status = rec(1000+i, true, 'd', true, supervise.Run)
		case 3:
			main.status = rec(1000+i, false, 'u', false, supervise.Run)
			if err := os.MkdirAll(svc, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(svc, "down"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		main.build(t, svc, &held)
		fakeSv{status: rec(2000+i, false, 'u', false, supervise.Run)}.build(t, filepath.Join(svc, "log"), &held)
		if i%2 == 1 {
			name = svc
		}
		argv = append(argv, name)
	}
	return dir, argv
}

// TestStatusAllocs: sv status allocates nothing per service. Over 50
// services with loggers it makes at most a few allocations more than over
// one (the fixed cost of a run: configuration, state, output buffer); the
// old code made about eleven per service, to build paths, C strings and
// status lines. The output is checked too, so that the test measures runs
// that did the work.
func TestStatusAllocs(t *testing.T) {
	allocs := func(n int) float64 {
		svdir, argv := statusTree(t, n)
		t.Setenv("SVDIR", svdir)
		f, err := os.CreateTemp(t.TempDir(), "out")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		saved, err := unix.Dup(1)
		if err != nil {
			t.Fatal(err)
		}
		unix.Dup2(int(f.Fd()), 1)
		const runs = 20
		bad := 0
		a := testing.AllocsPerRun(runs, func() {
			if Main(argv) != 0 {
				bad++
			}
		})
		unix.Dup2(saved, 1)
		unix.Close(saved)
		if bad != 0 {
			t.Fatalf("%d services: %d runs failed", n, bad)
		}
		out, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
		if want := n * (runs + 1); len(lines) != want {
			t.Fatalf("%d services: %d lines of output, want %d:\n%s", n, len(lines), want, out)
		}
		for _, l := range lines {
			if !strings.Contains(l, "; run: log: (pid ") {
				t.Fatalf("%d services: unexpected line %q", n, l)
			}
		}
		return a
	}
	one, fifty := allocs(1), allocs(50)
	t.Logf("allocations per run: 1 service %v, 50 services %v", one, fifty)
	if fifty > one+2 {
		t.Errorf("sv status allocates per service: %v allocations for 1 service, %v for 50", one, fifty)
	}
}

// TestLineMatchesSupervise: sv's appending renderer gives supervise.Line's
// text for every combination of state, flags and down file, for pids
// below 2^31 (above, sv's differs on purpose: runit's sign extension,
// checked in TestLine and TestRender).
func TestLineMatchesSupervise(t *testing.T) {
	since := future
	for _, pid := range []int{0, 1, 12345, 0x7fffffff} {
		for _, state := range []byte{supervise.Down, supervise.Run, supervise.Finish, 7} {
			for _, want := range []byte{supervise.WantUp, supervise.WantDown, 'x'} {
				for flags := range 8 {
					r := supervise.Record{Since: since, PID: pid, Paused: flags&1 != 0, Term: flags&2 != 0, Want: want, State: state}
					down := flags&4 != 0
					for _, now := range []uint64{since.Sec - 1, since.Sec, since.Sec + 98765} {
						want := supervise.Line("svc", r, now, down)
						if got := line("svc", r, now, down); got != want {
							t.Errorf("%+v now %d down %v: %q, supervise.Line %q", r, now, down, got, want)
						}
					}
				}
			}
		}
	}
}
