package sysio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestSplitPath(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "."},
		{"/bin", "/bin"},
		{":/bin:", ". /bin ."},
		{"/a::/b", "/a . /b"},
	} {
		if got := strings.Join(SplitPath(c.in), " "); got != c.want {
			t.Errorf("SplitPath(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestReadFile(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 5000)
	os.WriteFile(filepath.Join(dir, "big"), []byte(big), 0644)
	os.WriteFile(filepath.Join(dir, "empty"), nil, 0644)
	if b, err := ReadFile(filepath.Join(dir, "big"), 0); err != nil || string(b) != big {
		t.Errorf("big: %d bytes, %v", len(b), err)
	}
	if b, err := ReadFile(filepath.Join(dir, "empty"), 0); err != nil || b == nil || len(b) != 0 {
		t.Errorf("empty: %q %v (nil %v)", b, err, b == nil)
	}
	if _, err := ReadFile(filepath.Join(dir, "none"), 0); err != unix.ENOENT {
		t.Errorf("missing: %v", err)
	}
	// A FIFO without a writer reads as empty with O_NONBLOCK.
	fifo := filepath.Join(dir, "fifo")
	if err := unix.Mkfifo(fifo, 0600); err != nil {
		t.Fatal(err)
	}
	d, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(d)
	if b, err := ReadFileAt(d, "fifo", unix.O_NONBLOCK); err != nil || len(b) != 0 {
		t.Errorf("fifo: %q %v", b, err)
	}
	if b, err := ReadFileAt(d, "big", 0); err != nil || len(b) != len(big) {
		t.Errorf("big at: %d %v", len(b), err)
	}
	var small [4]byte
	if n := ReadSmall(filepath.Join(dir, "big"), small[:]); n != 4 {
		t.Errorf("ReadSmall: %d", n)
	}
	if n := ReadSmall(filepath.Join(dir, "none"), small[:]); n != -1 {
		t.Errorf("ReadSmall missing: %d", n)
	}
}

func TestWriteAll(t *testing.T) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	defer unix.Close(p[0])
	data := []byte(strings.Repeat("y", 1000))
	if err := WriteAll(p[1], data); err != nil {
		t.Fatal(err)
	}
	unix.Close(p[1])
	got, err := ReadFile("/proc/self/fd/"+itoa(p[0]), 0)
	if err != nil || string(got) != string(data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
	if err := WriteAll(-1, data); err != unix.EBADF {
		t.Fatalf("bad fd: %v", err)
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestExecutable(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "exe")
	os.WriteFile(exe, []byte("#!/bin/sh\n"), 0755)
	var st unix.Stat_t
	if missing, err := Executable(exe, &st); missing || err != nil {
		t.Errorf("exe: %v %v", missing, err)
	}
	if missing, err := Executable(dir, &st); missing || err != unix.EACCES {
		t.Errorf("dir: %v %v", missing, err)
	}
	if missing, err := Executable(filepath.Join(dir, "none"), &st); !missing || err != unix.ENOENT {
		t.Errorf("none: %v %v", missing, err)
	}
	if p, err := LookPath("exe", "/nonexistent::"+dir, &st); p != exe || err != nil {
		t.Errorf("LookPath: %q %v", p, err)
	}
}

// TestRawPaths: the Raw* calls take paths short enough for their stack
// buffer without allocating, and still take longer ones (through the
// heap) and refuse a path with a NUL as unix.BytePtrFromString does.
func TestRawPaths(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "f")
	long := filepath.Join(dir, strings.Repeat("d", 200), strings.Repeat("e", 200))
	if len(long) < shortPath {
		t.Fatal("long path too short")
	}
	for _, p := range []string{short, long} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		fd, err := RawOpen(p, unix.O_RDONLY)
		if err != nil {
			t.Fatalf("RawOpen(%d bytes): %v", len(p), err)
		}
		RawClose(fd)
		if err := RawStat(p); err != nil {
			t.Fatalf("RawStat(%d bytes): %v", len(p), err)
		}
		if err := RawStat(p + "x"); err != unix.ENOENT {
			t.Fatalf("RawStat(%d bytes, missing) = %v, want ENOENT", len(p)+1, err)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	if err := RawChdir(filepath.Dir(long)); err != nil {
		t.Fatal(err)
	}
	if err := RawChdir(dir); err != nil {
		t.Fatal(err)
	}
	if err := RawStat("f"); err != nil {
		t.Fatalf("RawStat after RawChdir: %v", err)
	}
	for _, p := range []string{"f\x00x", long + "\x00"} {
		if _, err := RawOpen(p, unix.O_RDONLY); err != unix.EINVAL {
			t.Errorf("RawOpen(path with NUL) = %v, want EINVAL", err)
		}
		if err := RawStat(p); err != unix.EINVAL {
			t.Errorf("RawStat(path with NUL) = %v, want EINVAL", err)
		}
	}
	if a := testing.AllocsPerRun(10, func() {
		if fd, err := RawOpen(short, unix.O_RDONLY); err == nil {
			RawClose(fd)
		}
		RawStat(short)
		RawChdir(dir)
	}); a != 0 {
		t.Errorf("%v allocations for short paths, want 0", a)
	}
}
