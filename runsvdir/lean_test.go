package runsvdir_test

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// TestLeanHandoff: our runsvdir hands internal/lean's start-up marker to
// our runsv, which then runs without executing itself a second time, and
// to no other runsv; services and loggers never see the marker, and a
// GOMAXPROCS set by the user reaches them unchanged.
func TestLeanHandoff(t *testing.T) {
	ours := ours(t)
	// runsvdir finds our runsv through a symbolic link: executed by
	// runsvdir, its AT_EXECFN is the link; re-executed by lean, the
	// file the link leads to.
	link := t.TempDir()
	must(t, os.Symlink(testenv.Bin(t, "runsv"), filepath.Join(link, "runsv")))
	ours.path = link + ":" + ours.path
	cases := []struct {
		name      string
		path      string   // PATH of runsvdir: selects runsv
		env       []string // more environment for runsvdir
		ourRunsv  bool
		handedOff bool   // our runsv must start lean at once
		wantMax   string // the GOMAXPROCS services must see, "" for none
	}{
		{"our runsv", ours.path, nil, true, true, ""},
		{"our runsv, user's GOMAXPROCS", ours.path, []string{"GOMAXPROCS=2"}, true, false, "2"},
		{"runit's runsv", testenv.OracleBinDir(t) + ":" + ours.path, nil, false, false, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr := newTree(t)
			// The environments appear whole (renamed into place): a
			// file that merely exists may still be empty under load.
			dir := tr.make("a", "#!/bin/sh\n/usr/bin/env >run.tmp && mv run.tmp run.env\nexec sleep 1000000\n", false)
			must(t, os.MkdirAll(filepath.Join(dir, "log", "main"), 0o755))
			must(t, os.WriteFile(filepath.Join(dir, "log", "run"),
				[]byte("#!/bin/sh\n/usr/bin/env >log.tmp && mv log.tmp log.env\nexec svlogd -tt main\n"), 0o755))
			tr.link("a")
			r := start(t, impl{ours.name, ours.runsvdir, c.path}, opts{env: c.env}, tr.svdir)
			waitUntil(t, long, 10*time.Millisecond, "service a and its logger up", func() bool {
				return up(dir) && exists(filepath.Join(dir, "run.env")) && exists(filepath.Join(dir, "log", "log.env"))
			})
			pid := r.runsvs()["a"]
			if pid == 0 {
				t.Fatalf("no runsv for a: %v", r.runsvs())
			}
			environ, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
			must(t, err)
			if c.ourRunsv {
				// Handed the marker, or with the user's GOMAXPROCS,
				// runsv runs as runsvdir executed it; otherwise lean
				// would have executed the link's target.
				want := filepath.Join(link, "runsv")
				if fn := execFn(t, pid); fn != want {
					t.Errorf("runsv was last executed as %q, want %q", fn, want)
				}
				if got := strings.HasSuffix(string(environ), "\x00GOMAXPROCS=1\x00GORUNIT_LEAN=runsv\x00"); got != c.handedOff {
					t.Errorf("runsv's environment ends with the marker: %v, want %v: %q", got, c.handedOff, environ)
				}
			} else if strings.Contains(string(environ), "GORUNIT_LEAN=") {
				t.Errorf("runit's runsv was given the marker: %q", environ)
			}
			for _, f := range []string{filepath.Join(dir, "run.env"), filepath.Join(dir, "log", "log.env")} {
				b, err := os.ReadFile(f)
				must(t, err)
				var max []string
				for _, l := range strings.Split(string(b), "\n") {
					if strings.HasPrefix(l, "GORUNIT_LEAN=") {
						t.Errorf("%s: %s", f, l)
					}
					if v, ok := strings.CutPrefix(l, "GOMAXPROCS="); ok {
						max = append(max, v)
					}
				}
				if want := c.wantMax; (want == "" && len(max) != 0) || (want != "" && (len(max) != 1 || max[0] != want)) {
					t.Errorf("%s: GOMAXPROCS %q, want %q", f, max, want)
				}
			}
		})
	}
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// execFn is the file name pid's program was executed as (AT_EXECFN).
func execFn(t *testing.T, pid int) string {
	t.Helper()
	p := "/proc/" + strconv.Itoa(pid)
	aux, err := os.ReadFile(p + "/auxv")
	must(t, err)
	const atExecFn = 31
	for i := 0; i+16 <= len(aux); i += 16 {
		if binary.LittleEndian.Uint64(aux[i:]) != atExecFn {
			continue
		}
		mem, err := os.Open(p + "/mem")
		must(t, err)
		defer mem.Close()
		b := make([]byte, 4096)
		n, _ := mem.ReadAt(b, int64(binary.LittleEndian.Uint64(aux[i+8:])))
		if j := strings.IndexByte(string(b[:n]), 0); j >= 0 {
			return string(b[:j])
		}
		t.Fatalf("%s: AT_EXECFN unreadable", p)
	}
	t.Fatalf("%s/auxv: no AT_EXECFN", p)
	return ""
}
