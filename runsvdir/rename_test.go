package runsvdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenamedService: a service directory renamed in place keeps its runsv
// (services are known by device and inode, not by name), and a symlink
// left dangling by the rename is warned about once: ours used to check
// the old name at every 5-second wake-up, rescan and warn again, forever.
func TestRenamedService(t *testing.T) {
	for _, im := range both(t) {
		t.Run(im.name, func(t *testing.T) {
			t.Parallel()
			tr := newTree(t)
			a := filepath.Join(tr.svdir, "a")
			must(t, os.Mkdir(a, 0o755))
			must(t, os.WriteFile(filepath.Join(a, "run"), []byte(runScript), 0o755))
			must(t, os.Symlink(a, filepath.Join(tr.svdir, "b")))
			r := start(t, im, opts{}, tr.svdir)
			waitUntil(t, long, 10*time.Millisecond, "a up", func() bool { return up(a) })
			// One runsv for the two names (whichever came first).
			before := r.runsvs()
			if len(before) != 1 {
				t.Fatalf("runsv processes %v, want one", before)
			}
			must(t, os.Rename(a, filepath.Join(tr.svdir, "c")))
			const warn = "warning: unable to stat b: file does not exist"
			waitUntil(t, long, 10*time.Millisecond, "the warning about b", func() bool {
				return strings.Contains(r.stderr(), warn)
			})
			// Two periodic wake-ups later, still one warning and the same runsv.
			end := time.Now().Add(11 * time.Second)
			for time.Now().Before(end) {
				if n := strings.Count(r.stderr(), warn); n > 1 {
					t.Fatalf("warned %d times:\n%s", n, r.stderr())
				}
				time.Sleep(100 * time.Millisecond)
			}
			pid := func(m map[string]int) int {
				for _, p := range m {
					return p
				}
				return 0
			}
			if after := r.runsvs(); len(after) != 1 || pid(after) != pid(before) {
				t.Errorf("runsv processes %v after the rename, want the same one: %v", after, before)
			}
		})
	}
}
