package stages

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// TestContainerScript runs the README's container without Docker
// (scripts/container.sh): runit is process 1 of its own namespaces with
// the built-in stages, the service directory given, and a private /run;
// SIGTERM to the script stops the services and ends it with runit's exit
// code, and the host's /run is left alone.
func TestContainerScript(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	testenv.Bin(t, "runit")
	dir := t.TempDir()
	svc := filepath.Join(dir, "service", "hello")
	if err := os.MkdirAll(svc, 0o755); err != nil {
		t.Fatal(err)
	}
	run := `#!/bin/sh
trap 'echo "got TERM"; exit 0' TERM
echo "up, process 1 is $(cat /proc/1/comm), stopit mode $(stat -c %a /run/runit.stopit)"
while :; do sleep 1 & wait $!; done
`
	if err := os.WriteFile(filepath.Join(svc, "run"), []byte(run), 0o755); err != nil {
		t.Fatal(err)
	}
	_, stopitBefore := os.Stat("/run/runit.stopit")
	con := testenv.NewConsole(t, filepath.Join(dir, "console"))
	defer con.Close()
	cmd := exec.Command(filepath.Join(testenv.Root(t), "scripts", "container.sh"), filepath.Join(dir, "service"))
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "CONSOLE=" + con.Path}
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("script output: %s\nconsole:\n%s", b, strings.Join(con.Lines(), "\n"))
		}
	}()
	has := func(line string) bool {
		for _, l := range con.Lines() {
			if l == line {
				return true
			}
		}
		return false
	}
	up := "hello: up, process 1 is runit, stopit mode 0"
	testenv.WaitFor(t, testenv.Deadline, "the service up in the container", func() bool { return has(up) })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err = <-done:
	case <-time.After(testenv.Deadline):
		cmd.Process.Kill()
		t.Fatal("the script did not end after SIGTERM")
	}
	if err != nil {
		t.Errorf("script: %v, want exit 0", err)
	}
	for _, l := range []string{"hello: got TERM", "- runit: exit 0."} {
		if !has(l) {
			t.Errorf("no console line %q", l)
		}
	}
	if _, stopitAfter := os.Stat("/run/runit.stopit"); (stopitBefore == nil) != (stopitAfter == nil) {
		t.Errorf("the host's /run/runit.stopit changed: before %v, after %v", stopitBefore, stopitAfter)
	}
}
