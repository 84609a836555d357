package lean

import (
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestMain lets the test binary act as a lean daemon: with LEAN_HELPER set
// it calls Init and prints what it sees.
func TestMain(m *testing.M) {
	if os.Getenv("LEAN_HELPER") != "" {
		env := Init()
		os.Stdout.WriteString("GOMAXPROCS=" + os.Getenv("GOMAXPROCS") + " procs=" + strconv.Itoa(runtime.GOMAXPROCS(0)) + "\n")
		os.Stdout.WriteString("child-env:" + strings.Join(env, ",") + "\n")
		os.Stdout.WriteString("os-env:" + strings.Join(os.Environ(), ",") + "\n")
		comm, _ := os.ReadFile("/proc/self/comm")
		os.Stdout.WriteString("comm:" + string(comm))
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
	want := "GOMAXPROCS= procs=1\nchild-env:LEAN_HELPER=1,A=b\nos-env:LEAN_HELPER=1,A=b\ncomm:" + string(comm)
	if out != want {
		t.Fatalf("got %q want %q", out, want)
	}
}

func TestUserGOMAXPROCSKept(t *testing.T) {
	out := run(t, []string{"LEAN_HELPER=1", "GOMAXPROCS=2"})
	if !strings.Contains(out, "child-env:LEAN_HELPER=1,GOMAXPROCS=2\n") {
		t.Fatalf("user's GOMAXPROCS not kept: %q", out)
	}
}
