package lean

import (
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"gorunit/internal/testenv"
)

// TestMain lets the test binary act as a lean daemon: with LEAN_HELPER set
// it calls Init and prints what it sees.
func TestMain(m *testing.M) {
	if os.Getenv("LEAN_HELPER") != "" {
		env := Init()
		os.Stdout.WriteString("GOMAXPROCS=" + os.Getenv("GOMAXPROCS") + " procs=" + strconv.Itoa(runtime.GOMAXPROCS(0)) + "\n")
		os.Stdout.WriteString("gc=" + strconv.Itoa(debug.SetGCPercent(-1)) + " limit=" + strconv.FormatInt(debug.SetMemoryLimit(-1), 10) + "\n")
		os.Stdout.WriteString("child-env:" + strings.Join(env, ",") + "\n")
		os.Stdout.WriteString("os-env:" + strings.Join(os.Environ(), ",") + "\n")
		comm, _ := os.ReadFile("/proc/self/comm")
		os.Stdout.WriteString("comm:" + string(comm))
		threads, _ := filepath.Glob("/proc/self/task/*/comm")
		for _, f := range threads {
			if c, _ := os.ReadFile(f); string(c) != string(comm) {
				os.Stdout.WriteString("thread " + f + " is named " + string(c))
			}
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func run(t *testing.T, env []string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func TestReexecHidesItself(t *testing.T) {
	out := run(t, []string{"LEAN_HELPER=1", "A=b"})
	comm, _ := os.ReadFile("/proc/self/comm") // the test binary's name
	want := "GOMAXPROCS= procs=1\ngc=-1 limit=16777216\nchild-env:LEAN_HELPER=1,A=b\nos-env:LEAN_HELPER=1,A=b\ncomm:" + string(comm)
	if out != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestUserGOMAXPROCSKept(t *testing.T) {
	out := run(t, []string{"LEAN_HELPER=1", "GOMAXPROCS=2"})
	// The collector is quiet either way (no forced GC every 2 minutes).
	if !strings.Contains(out, "child-env:LEAN_HELPER=1,GOMAXPROCS=2\n") || !strings.Contains(out, "gc=-1 limit=16777216\n") {
		t.Fatalf("user's GOMAXPROCS not kept: %q", out)
	}
}

func TestEnv(t *testing.T) {
	base := make([]string, 2, 8) // spare capacity: Env must not write into it
	base[0], base[1] = "PATH=/bin", "A=b"
	got := Env(base, "runsv")
	if want := "PATH=/bin,A=b,GOMAXPROCS=1,GORUNIT_LEAN=runsv"; strings.Join(got, ",") != want {
		t.Errorf("Env = %q, want %q", got, want)
	}
	if extra := base[:4]; extra[2] != "" || extra[3] != "" {
		t.Errorf("Env wrote into its argument's array: %q", extra)
	}
	user := []string{"GOMAXPROCS=3", "A=b"}
	if got := Env(user, "runsv"); strings.Join(got, ",") != "GOMAXPROCS=3,A=b" {
		t.Errorf("Env with the user's GOMAXPROCS = %q, want it unchanged", got)
	}
}

// TestBuilt: only gorunit's build of the named command is recognised.
func TestBuilt(t *testing.T) {
	dir := t.TempDir()
	runsv := testenv.Bin(t, "runsv")
	elf, err := os.ReadFile(runsv)
	if err != nil {
		t.Fatal(err)
	}
	file := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := []struct {
		path, cmd string
		want      bool
	}{
		{runsv, "runsv", true},
		{testenv.Bin(t, "svlogd"), "svlogd", true},
		{runsv, "svlogd", true}, // the multi-call binary is every command
		{file("synthetic-runs", synthetic("runs")), "runsv", false},
		{file("synthetic-runsvdir", synthetic("runsvdir")), "runsv", false},
		{file("synthetic-runsvx", synthetic("runsvx")), "runsv", false},
		{file("synthetic-gorunitx", synthetic("gorunitx")), "runsv", false},
		{file("synthetic-gorunit", synthetic("gorunit")), "svlogd", true},
		{testenv.Oracle(t, "runsv"), "runsv", false},
		{os.Args[0], "runsv", false}, // a Go program, not gorunit's runsv
		{file("script", []byte("#!/bin/sh\nexec /bin/true\n")), "runsv", false},
		{file("empty", nil), "runsv", false},
		{file("header-only", elf[:64]), "runsv", false},
		{file("truncated", elf[:len(elf)/2]), "runsv", false},
		{file("whole-copy", elf), "runsv", true},
		{filepath.Join(dir, "missing"), "runsv", false},
		{file("synthetic", synthetic("runsv")), "runsv", true},
		{file("synthetic-svlogd", synthetic("svlogd")), "runsv", false},
		{dir, "runsv", false},
	}
	for _, c := range cases {
		if got := Built(c.path, c.cmd); got != c.want {
			t.Errorf("Built(%s, %q) = %v, want %v", filepath.Base(c.path), c.cmd, got, c.want)
		}
	}
}

func FuzzBuilt(f *testing.F) {
	f.Add([]byte("\x7fELF\x02\x01"))
	f.Add(make([]byte, 64))
	f.Add(synthetic("runsv"))
	if b, err := os.ReadFile(testenv.Bin(f, "runsv")); err == nil && len(b) > 4096 {
		f.Add(b[:4096])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		built(func(p []byte, off int64) int {
			if off < 0 || off >= int64(len(b)) {
				return 0
			}
			return copy(p, b[off:])
		}, "runsv")
	})
}

// synthetic is the smallest file Built recognises as gorunit's cmd: an ELF
// header, one writable PT_LOAD program header, and Go's build information
// at the start of that segment.
func synthetic(cmd string) []byte {
	b := make([]byte, 128)
	copy(b, "\x7fELF\x02\x01\x01")
	binary.LittleEndian.PutUint64(b[32:], 64) // e_phoff
	binary.LittleEndian.PutUint16(b[54:], 56) // e_phentsize
	binary.LittleEndian.PutUint16(b[56:], 1)  // e_phnum
	binary.LittleEndian.PutUint32(b[64:], 1)  // PT_LOAD
	binary.LittleEndian.PutUint32(b[68:], 6)  // PF_R|PF_W
	binary.LittleEndian.PutUint64(b[72:], 128)
	b = append(b, "\xff Go buildinf:\x08\x02"...)
	b = append(b, make([]byte, 16)...)
	return append(b, "\x08go1.26.8\x20path\tgorunit/cmd/"+cmd+"\nmod\tgorunit\n"...)
}
