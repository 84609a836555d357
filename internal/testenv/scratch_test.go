package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// TestForOthers: programs in a directory private to root, one of them a
// symbolic link to another, run as nobody once copied with ForOthers
// (and not before); the link keeps its own name and the same file
// becomes one inode.
func TestForOthers(t *testing.T) {
	RequireRoot(t)
	private := t.TempDir() // its parent is 0700
	bin := filepath.Join(private, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "prog"), []byte("#!/bin/sh\necho \"${0##*/} $(id -u)\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("prog", filepath.Join(bin, "alias")); err != nil {
		t.Fatal(err)
	}
	asNobody := func(path string) (string, error) {
		c := exec.Command(path)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := c.Output()
		return string(out), err
	}
	if _, err := asNobody(filepath.Join(bin, "prog")); err == nil {
		t.Fatal("nobody ran a program under t.TempDir: the test proves nothing")
	}
	dir := ForOthers(t, bin)
	for name, want := range map[string]string{"prog": "prog 65534\n", "alias": "alias 65534\n"} {
		if got, err := asNobody(filepath.Join(dir, name)); err != nil || got != want {
			t.Errorf("%s as nobody: %q, %v; want %q", name, got, err, want)
		}
	}
	a, errA := os.Lstat(filepath.Join(dir, "prog"))
	b, errB := os.Lstat(filepath.Join(dir, "alias"))
	if errA != nil || errB != nil || !os.SameFile(a, b) || !a.Mode().IsRegular() {
		t.Errorf("prog and alias are not one regular file: %v %v", errA, errB)
	}
	one := ForOthers(t, filepath.Join(bin, "alias"))
	if got, err := asNobody(one); err != nil || got != "alias 65534\n" {
		t.Errorf("single file as nobody: %q, %v", got, err)
	}
}
