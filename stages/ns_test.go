package stages

// Test harness: each scenario boots a runit (ours or runit's own) as
// process 1 of a new PID and mount namespace (testenv.Boot: the test
// binary re-executes itself as that process 1, which binds the scenario's
// directory over /etc/runit, a FIFO over /dev/console, and executes
// runit with a clean environment).

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

func TestMain(m *testing.M) {
	testenv.NSChild()
	os.Exit(m.Run())
}

// scenario describes one boot.
type scenario struct {
	name       string
	files      map[string]string // /etc/runit entries: name -> script ("" = none)
	modes      map[string]uint32 // mode overrides (default 0755)
	svc        map[string]string // /etc/service/<svc>/run scripts, if any
	svcFiles   map[string]string // more files under /etc/service: path -> content ("run" names executable, "/" ending: a directory)
	env        []string          // extra environment for runit
	clone      uintptr           // extra clone flags
	hostnm     string            // /etc/hostname content, if set
	unmountAPI bool
	noNetAdmin bool   // like a Docker container: no CAP_NET_ADMIN, and IPv6 off on lo
	argv0      string // argv[0] for process 1 (default "runit")
}

// booted is one running namespace.
type booted struct {
	*testenv.Booted
	t       *testing.T
	pid     int
	start   time.Time
	console *testenv.Console
	errFile string // process 1's stderr before it has a console
}

// boot starts the scenario with the given process-1 binary.
func boot(t *testing.T, sc scenario, pid1 string) *booted {
	t.Helper()
	testenv.RequireRoot(t)
	dir := t.TempDir()
	etc := filepath.Join(dir, "etc-runit")
	os.Mkdir(etc, 0o755)
	for name, body := range sc.files {
		mode := uint32(0o755)
		if m, ok := sc.modes[name]; ok {
			mode = m
		}
		p := filepath.Join(etc, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, os.FileMode(mode))
	}
	env := []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "SCEN=" + sc.name}
	for _, e := range sc.env {
		if strings.HasPrefix(e, "PATH=") {
			env[0] = e
		} else {
			env = append(env, e)
		}
	}
	ns := testenv.NS{Runit: pid1, Argv0: sc.argv0, Etc: etc, Env: env, Clone: sc.clone,
		UnmountAPI: sc.unmountAPI, NoNetAdmin: sc.noNetAdmin, Dir: dir, Name: sc.name}
	if sc.svc != nil {
		sv := filepath.Join(dir, "service")
		for name, run := range sc.svc {
			d := filepath.Join(sv, name)
			os.MkdirAll(d, 0o755)
			if err := os.WriteFile(filepath.Join(d, "run"), []byte(run), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		os.MkdirAll(sv, 0o755)
		for name, body := range sc.svcFiles {
			p := filepath.Join(sv, name)
			if strings.HasSuffix(name, "/") {
				os.MkdirAll(p, 0o755)
				continue
			}
			os.MkdirAll(filepath.Dir(p), 0o755)
			mode := os.FileMode(0o644)
			if filepath.Base(name) == "run" {
				mode = 0o755
			}
			if err := os.WriteFile(p, []byte(body), mode); err != nil {
				t.Fatal(err)
			}
		}
		ns.Service = sv
	}
	if sc.hostnm != "" {
		h := filepath.Join(dir, "hostname")
		os.WriteFile(h, []byte(sc.hostnm), 0o644)
		ns.Hostnm = h
	}
	nb := testenv.Boot(t, ns)
	return &booted{Booted: nb, t: t, pid: nb.Pid, start: nb.Start, console: nb.Console, errFile: nb.ErrFile}
}

func (b *booted) has(sub string) bool {
	for _, l := range b.Lines() {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// waitLine waits for a console line containing sub.
func (b *booted) waitLine(sub string) {
	b.t.Helper()
	testenv.WaitFor(b.t, testenv.Deadline, "console line "+strconv.Quote(sub), func() bool { return b.has(sub) })
}

// kill sends sig to the namespace's process 1 from outside.
func (b *booted) kill(sig syscall.Signal) {
	b.t.Helper()
	if err := syscall.Kill(b.pid, sig); err != nil {
		b.t.Fatalf("kill %v: %v", sig, err)
	}
}

// root is path as seen inside the namespace.
func (b *booted) root(path string) string { return b.Root(path) }

// nsenter runs a command inside the namespace's PID and mount namespaces
// (killed after testenv.Deadline); a failure fails the test.
func (b *booted) nsenter(args ...string) string {
	b.t.Helper()
	out, err := b.Nsenter(args...)
	if err != nil {
		b.t.Fatalf("nsenter %v: %v: %s", args, err, out)
	}
	return out
}

// alive reports whether process 1 of the namespace still runs.
func (b *booted) alive() bool { return b.Alive() }

// outcome waits for the namespace to end and describes how process 1
// ended: "signal: hangup", "signal: interrupt", "exit 3".
func (b *booted) outcome() string {
	b.t.Helper()
	return b.Outcome(90 * time.Second)
}
