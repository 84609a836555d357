// Package testenv finds the things integration tests need: this
// repository's built commands (./bin, from `make build`), runit's own
// binaries from the Debian package (the oracle, from `make oracle`), and
// helpers to wait for conditions with a deadline.
package testenv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Root returns the repository root (the directory holding go.mod).
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testenv: go.mod not found above the working directory")
		}
		dir = parent
	}
}

// Integration skips the test under -short (`make test-short`, the quick
// edit loop): the helpers below that an integration test calls first
// (Bin, Oracle, Busybox, RequireRoot) call it.
func Integration(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test (needs ./bin, the oracle or root): skipped by -short")
	}
}

// Bin returns the path of one of our commands in ./bin. It fails the test
// if the command has not been built (run `make build`).
func Bin(t testing.TB, name string) string {
	t.Helper()
	Integration(t)
	p := filepath.Join(Root(t), "bin", name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: %s not built (run `make build`): %v", p, err)
	}
	return p
}

// BinDir returns ./bin (for PATH).
func BinDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(Bin(t, "runsv"))
}

// OracleDir is where `make oracle` extracts runit's Debian package. It can
// be overridden with GORUNIT_ORACLE.
func OracleDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("GORUNIT_ORACLE"); d != "" {
		return d
	}
	return filepath.Join(Root(t), ".cache", "oracle", "runit")
}

// Oracle returns the path of one of runit's own binaries (runsv, sv,
// svlogd, chpst, runsvdir, runit, runit-init, runsvchdir, utmpset). It
// fails the test if the oracle has not been fetched (run `make oracle`).
func Oracle(t testing.TB, name string) string {
	t.Helper()
	Integration(t)
	root := OracleDir(t)
	for _, d := range []string{"usr/bin", "usr/sbin", "sbin", "lib/runit"} {
		p := filepath.Join(root, d, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatalf("testenv: runit's %s not found under %s (run `make oracle`)", name, root)
	return ""
}

// OracleBinDir returns a directory holding runit's user binaries under
// their plain names (usr/bin of the extracted package), for PATH.
func OracleBinDir(t testing.TB) string {
	t.Helper()
	return filepath.Dir(Oracle(t, "runsv"))
}

// Busybox returns the path of busybox-static's binary fetched by `make
// oracle`.
func Busybox(t testing.TB) string {
	t.Helper()
	Integration(t)
	p := filepath.Join(filepath.Dir(OracleDir(t)), "busybox", "bin", "busybox")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("testenv: busybox not found at %s (run `make oracle`)", p)
	}
	return p
}

// RequireRoot fails the test unless it runs as root (the project's tests
// run as root: namespaces, chown, mounts).
func RequireRoot(t testing.TB) {
	t.Helper()
	Integration(t)
	if os.Geteuid() != 0 {
		t.Fatal("this test must run as root")
	}
}

// Deadline is the default time a test waits for a condition. It is a
// bound on a hang, not a performance threshold.
const Deadline = 30 * time.Second

// WaitFor polls cond every few milliseconds until it holds, failing the
// test with what if it does not hold within d.
func WaitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Side is one of the two implementations the comparison tests run side by
// side: ours (./bin) or runit's (the oracle). Every "ours and runit's"
// pairing of the tests is built from Sides, so the names and where each
// side's programs are found are decided here once.
type Side struct {
	Name  string // "ours" or "runit": the subtest's name
	runit bool
}

// Ours and Runit are the two sides.
var (
	Ours  = Side{Name: "ours"}
	Runit = Side{Name: "runit", runit: true}
)

// Sides returns both: runit's first (the reference), then ours.
func Sides() []Side { return []Side{Runit, Ours} }

// IsRunit reports whether s is runit's side.
func (s Side) IsRunit() bool { return s.runit }

// Cmd returns the path of this side's command name (Bin or Oracle).
func (s Side) Cmd(t testing.TB, name string) string {
	t.Helper()
	if s.runit {
		return Oracle(t, name)
	}
	return Bin(t, name)
}

// Dir returns the directory of this side's commands, for PATH (BinDir or
// OracleBinDir).
func (s Side) Dir(t testing.TB) string {
	t.Helper()
	if s.runit {
		return OracleBinDir(t)
	}
	return BinDir(t)
}
