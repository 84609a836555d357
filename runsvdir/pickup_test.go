package runsvdir_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestPickupUnderASecond: a new service symlink is running in under a
// second (inotify), not at runit's next 5-second scan. Each attempt adds a
// symlink at a random point of runsvdir's 5 s cycle; on a loaded machine a
// single attempt may be slow, so two of three must make it (runit's
// runsvdir, which only scans on its 5 s wake-up, makes it about one time in
// five).
func TestPickupUnderASecond(t *testing.T) {
	im := ours(t)
	tr := newTree(t)
	tr.make("first", runScript, false)
	tr.link("first")
	start(t, im, opts{}, tr.svdir)
	waitUntil(t, long, 20*time.Millisecond, "the first service", func() bool {
		return up(filepath.Join(tr.ext, "first"))
	})
	fast := 0
	var took []time.Duration
	for i := 0; i < 3; i++ {
		name := "new" + strconv.Itoa(i)
		tr.make(name, runScript, false)
		// Land somewhere else in the 5 s cycle each time.
		time.Sleep(time.Duration(1300*(i+1)) * time.Millisecond)
		begin := time.Now()
		tr.link(name)
		waitUntil(t, long, 10*time.Millisecond, "the new service "+name, func() bool {
			return up(filepath.Join(tr.ext, name))
		})
		d := time.Since(begin)
		took = append(took, d)
		if d < time.Second {
			fast++
		}
	}
	t.Logf("new symlink to running: %v", took)
	if fast < 2 {
		t.Fatalf("new services took %v to run; want under a second", took)
	}
}
