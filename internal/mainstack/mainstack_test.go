package mainstack_test

import (
	"context"
	_ "gorunit/internal/mainstack"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestFirstGrowth: the package's initialiser must run before
// internal/godebug's, the first to grow the main goroutine's stack
// otherwise (the order is the runtime's; GODEBUG=inittrace=1 prints it).
func TestFirstGrowth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	ours, godebug := -1, -1
	for i, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "init gorunit/internal/mainstack "):
			ours = i
		case strings.HasPrefix(l, "init internal/godebug "):
			godebug = i
		}
	}
	if ours < 0 || godebug < 0 || ours > godebug {
		t.Errorf("init order: mainstack line %d, internal/godebug line %d; want mainstack first:\n%s", ours, godebug, out)
	}
}
