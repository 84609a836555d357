package testenv

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Shared returns a new directory that every user may traverse (mode
// 0755, and so is each directory above it: it is made under os.TempDir,
// not under t.TempDir, whose parent is private to root). Tests that run
// programs as another user (nobody) put those programs and their files
// here: the clone itself may sit under a private directory such as /root.
// It is removed when the test ends.
func Shared(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "gorunit-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// ForOthers copies the file or directory src (a program, or a directory
// of programs for PATH) into a Shared directory and returns the copy's
// path, under src's base name. Symbolic links are followed, so a command
// that is a link to one multi-call binary keeps its own name (argv[0]);
// within one directory, entries that are the same file become hard links
// of one copy. Modes are kept. Use it for every program a test runs as
// another user.
func ForOthers(t testing.TB, src string) string {
	t.Helper()
	dst := filepath.Join(Shared(t), filepath.Base(src))
	fi, err := os.Stat(src)
	if err != nil {
		t.Fatal(err)
	}
	if !fi.IsDir() {
		copyFile(t, src, dst, fi.Mode().Perm())
		return dst
	}
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	type ino struct{ dev, ino uint64 }
	seen := map[ino]string{}
	for _, e := range ents {
		s := filepath.Join(src, e.Name())
		fi, err := os.Stat(s)
		if err != nil || !fi.Mode().IsRegular() {
			continue // dangling links, subdirectories, specials
		}
		d := filepath.Join(dst, e.Name())
		st := fi.Sys().(*syscall.Stat_t)
		k := ino{uint64(st.Dev), st.Ino}
		if first, ok := seen[k]; ok {
			if err := os.Link(first, d); err != nil {
				t.Fatal(err)
			}
			continue
		}
		seen[k] = d
		copyFile(t, s, d, fi.Mode().Perm())
	}
	return dst
}

func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dst, mode); err != nil { // not narrowed by the umask
		t.Fatal(err)
	}
}
