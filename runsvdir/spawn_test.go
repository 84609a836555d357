package runsvdir_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRunsvExecFailure: a runsv found in $PATH that cannot be executed
// (not a program: exec format error) gives runit's message, once per
// attempt, and is tried again, in ours and in runit's runsvdir. Ours forks
// without waiting for the exec (internal/spawn): the message comes when
// the child's exit 111 is collected.
func TestRunsvExecFailure(t *testing.T) {
	for _, im := range []impl{ours(t), runit(t)} {
		t.Run(im.name, func(t *testing.T) {
			bad := t.TempDir()
			must(t, os.WriteFile(filepath.Join(bad, "runsv"), []byte("\x7fELF, not really\n"), 0o755))
			im.path = bad + ":" + im.path
			tr := newTree(t)
			tr.make("a", runScript, false)
			tr.link("a")
			r := start(t, im, opts{}, tr.svdir)
			want := "runsvdir " + tr.svdir + ": fatal: unable to start runsv a: exec format error\n"
			waitUntil(t, long, 10*time.Millisecond, "two attempts", func() bool { return strings.Count(r.stderr(), want) >= 2 })
			if got := r.stderr(); strings.Trim(strings.ReplaceAll(got, want, ""), "\n") != "" {
				t.Errorf("stderr %q: more than %q", got, want)
			}
		})
	}
}
