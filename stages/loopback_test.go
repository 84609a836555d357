package stages

import (
	"context"
	"time"

	"gorunit/internal/testenv"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestLoopbackAddsAddresses: in a network namespace of its own, loopback
// brings lo up (the kernel then adds both addresses), and, once they are
// flushed, adds 127.0.0.1/8 and ::1/128 back itself, host scope, as ip(8)
// would.
func TestLoopbackAddsAddresses(t *testing.T) {
	ip, err := exec.LookPath("ip")
	if err != nil {
		t.Skip("needs ip(8) to look at the loopback interface")
	}
	type result struct {
		up, flushed, again string
		err                error
	}
	done := make(chan result, 1)
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Deadline)
	defer cancel()
	go func() {
		// The thread is left in its namespace and dies with the goroutine.
		runtime.LockOSThread()
		var r result
		defer func() { done <- r }()
		if r.err = unix.Unshare(unix.CLONE_NEWNET); r.err != nil {
			return
		}
		show := func() string {
			out, err := exec.CommandContext(ctx, ip, "-o", "addr", "show", "dev", "lo").CombinedOutput()
			if err != nil {
				r.err = err
			}
			var s []string
			for _, l := range strings.Split(string(out), "\n") {
				if f := strings.Fields(l); len(f) >= 6 {
					s = append(s, f[3]+" "+f[4]+" "+f[5])
				}
			}
			return strings.Join(s, ", ")
		}
		loopback(false)
		r.up = show()
		if out, err := exec.CommandContext(ctx, ip, "addr", "flush", "dev", "lo").CombinedOutput(); err != nil {
			r.err = err
			r.flushed = string(out)
			return
		}
		r.flushed = show()
		loopback(false)
		r.again = show()
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(testenv.Deadline):
		t.Fatal("loopback did not return")
	}
	if r.err != nil {
		t.Fatal(r.err, r.flushed)
	}
	want := "127.0.0.1/8 scope host, ::1/128 scope host"
	if r.up != want || r.flushed != "" || r.again != want {
		t.Errorf("addresses of lo: brought up %q, flushed %q, set up again %q; want %q, \"\", %q", r.up, r.flushed, r.again, want, want)
	}
}
