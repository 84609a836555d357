package svlog_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// fiftyLines is "line 01\n" … "line 50\n".
func fiftyLines(from int) string {
	var b strings.Builder
	for i := from; i < from+50; i++ {
		fmt.Fprintf(&b, "line %02d\n", i)
	}
	return b.String()
}

// processedText is the contents of the directory's @….s files in order,
// and the names of its other @ files.
func processedText(dir string) (text string, others []string) {
	names, contents := oldFiles(dir)
	for i, n := range names {
		if strings.HasSuffix(n, ".s") {
			text += contents[i]
		} else {
			others = append(others, n)
		}
	}
	return
}

// TestProcessorKilled: a processor killed by a signal after writing 14 of
// 50 lines. runit's svlogd counts it as exit 0, keeps the 14 lines as the
// processed file and deletes the input: 36 lines lost. Ours counts it as
// a failure, keeps the input and runs the processor again (which then
// passes all 50 lines).
func TestProcessorKilled(t *testing.T) {
	testenv.RequireRoot(t)
	for _, b := range svlogds(t) {
		t.Run(b.name, func(t *testing.T) {
			root := t.TempDir()
			mkdirs(t, root, map[string]string{"p": "!if test -e ../killed; then cat; else touch ../killed; head -n 14; kill -9 $$; fi\n"})
			d := startDaemon(t, b.bin, root, "-v", "p")
			in := fiftyLines(1)
			d.write(in)
			testenv.WaitFor(t, testenv.Deadline, "50 lines in current", func() bool {
				return readFile(filepath.Join(root, "p", "current")) == in
			})
			d.signal(syscall.SIGALRM)
			d.waitErr("processed: p/@", 1)
			d.in.Close()
			if code := d.exit(); code != 0 {
				t.Errorf("exit %d", code)
			}
			got, others := processedText(filepath.Join(root, "p"))
			lost := strings.Count(in, "\n") - strings.Count(got, "\n")
			t.Logf("%s: %d of 50 lines lost; stderr:\n%s", b.name, lost, d.stderr())
			if b.name == "runit" {
				if lost != 36 {
					t.Errorf("runit's svlogd lost %d lines, want 36 (its weak spot)", lost)
				}
				return
			}
			if got != in || len(others) != 0 {
				t.Errorf("processed %q, other files %q; want all 50 lines", got, others)
			}
			if !strings.Contains(d.stderr(), "svlogd: warning: processor failed, restart: p\n") {
				t.Error("no processor failed warning")
			}
		})
	}
}

// TestLeftoverProcessed: svlogd is killed with -9 while its processor
// works on a rotated file (leaving @….u and a half-written @….t) and with
// lines in an unfinished current. At the next start ours processes both
// (the old input again, current after its rename to @….u); runit's
// leaves them unprocessed for ever.
func TestLeftoverProcessed(t *testing.T) {
	testenv.RequireRoot(t)
	for _, b := range svlogds(t) {
		t.Run(b.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "p")
			mkdirs(t, root, map[string]string{"p": "!head -n 3; echo $$ >../procpid; exec sleep 1000\n"})
			d := startDaemon(t, b.bin, root, "p")
			first, second := fiftyLines(1), fiftyLines(51)
			d.write(first)
			testenv.WaitFor(t, testenv.Deadline, "lines in current", func() bool {
				return readFile(filepath.Join(dir, "current")) == first
			})
			d.signal(syscall.SIGALRM)
			testenv.WaitFor(t, testenv.Deadline, "processor running", func() bool {
				return strings.HasSuffix(readFile(filepath.Join(root, "procpid")), "\n")
			})
			d.write(second)
			testenv.WaitFor(t, testenv.Deadline, "lines in new current", func() bool {
				return readFile(filepath.Join(dir, "current")) == second
			})
			d.signal(syscall.SIGKILL)
			d.exit()
			pid, _ := strconv.Atoi(strings.TrimSpace(readFile(filepath.Join(root, "procpid"))))
			if pid > 0 {
				syscall.Kill(pid, syscall.SIGKILL)
			}
			if _, others := processedText(dir); len(others) != 2 {
				t.Fatalf("after kill -9: %q, want a .u and a .t", others)
			}

			os.WriteFile(filepath.Join(dir, "config"), []byte("!cat\n"), 0644)
			d = startDaemon(t, b.bin, root, "-v", "p")
			d.write("last\n")
			testenv.WaitFor(t, testenv.Deadline, "last line in current", func() bool {
				return readFile(filepath.Join(dir, "current")) == "last\n"
			})
			d.in.Close()
			if code := d.exit(); code != 0 {
				t.Errorf("exit %d", code)
			}
			got, others := processedText(dir)
			t.Logf("%s: processed %d of 100 lines, left %q; stderr:\n%s", b.name, strings.Count(got, "\n"), others, d.stderr())
			if b.name == "runit" {
				if len(others) == 0 {
					t.Error("runit's svlogd processed the leftovers (its weak spot is gone?)")
				}
				return
			}
			if got != first+second || len(others) != 0 {
				t.Errorf("processed %q, left %q; want all 100 lines and nothing left", got, others)
			}
		})
	}
}
