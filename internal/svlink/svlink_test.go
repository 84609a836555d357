package svlink

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrepare(t *testing.T) {
	root := t.TempDir()
	run := filepath.Join(root, "run")
	must(t, os.Mkdir(run, 0o755))
	sv := filepath.Join(root, "sv", "a")
	must(t, os.MkdirAll(filepath.Join(sv, "log"), 0o755))
	// Absolute target with a missing parent; relative target.
	must(t, os.Symlink(filepath.Join(run, "runit", "supervise.a"), filepath.Join(sv, "supervise")))
	must(t, os.Symlink("../../../run/supervise.a.log/", filepath.Join(sv, "log", "supervise")))
	Prepare(sv)
	for _, p := range []string{filepath.Join(run, "runit", "supervise.a"), filepath.Join(run, "supervise.a.log")} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatalf("%s not created: %v", p, err)
		}
		if !fi.IsDir() || fi.Mode().Perm() != 0o700 {
			t.Errorf("%s: mode %v, want drwx------", p, fi.Mode())
		}
	}
	if fi, _ := os.Stat(filepath.Join(run, "runit")); fi == nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("parent not created with mode 0755")
	}
	// Existing targets, plain directories and missing links are left as
	// they are.
	if Target(filepath.Join(sv, "supervise")) {
		t.Errorf("existing target created again")
	}
	plain := filepath.Join(root, "plain")
	must(t, os.MkdirAll(filepath.Join(plain, "supervise"), 0o755))
	if Target(filepath.Join(plain, "supervise")) || Target(filepath.Join(plain, "log", "supervise")) {
		t.Errorf("not a dangling symlink, yet created")
	}
	// A target whose parent cannot be written: nothing, no panic.
	ro := filepath.Join(root, "ro")
	must(t, os.Symlink("/proc/nonexistent/supervise", ro))
	if Target(ro) {
		t.Errorf("created under /proc")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
