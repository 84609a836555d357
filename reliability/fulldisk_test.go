package reliability

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestFullDiskVsRunit: ours and runit's svlogd, each on a 64 kB tmpfs,
// get 2,400 lines of 68 bytes (160 kB, more than the disk holds; n5 N5:
// nothing may be deleted for space). Each must pause with the same
// message, and every time the test moves the finished files away (freeing
// space) it must resume; in the end the moved files and current hold the
// input exactly. svlog/daemon_test.go's TestFullDisk proves the same for
// ours alone; this test adds runit's svlogd to compare the messages and
// the number of pauses, and records the figures.
func TestFullDiskVsRunit(t *testing.T) {
	testenv.RequireRoot(t)
	var in bytes.Buffer
	for i := 0; i < 2400; i++ {
		in.WriteString(strings.Repeat("x", 60) + " " + strconv.Itoa(100000+i) + "\n")
	}
	type res struct {
		msgs   string
		pauses int
		lost   int
		took   time.Duration
	}
	var results [2]res
	var wg sync.WaitGroup
	for i, im := range logImpls(t) {
		fs := t.TempDir()
		if err := syscall.Mount("tmpfs", fs, "tmpfs", 0, "size=65536"); err != nil {
			t.Skipf("cannot mount tmpfs: %v", err)
		}
		t.Cleanup(func() { syscall.Unmount(fs, syscall.MNT_DETACH) })
		log := filepath.Join(fs, "log")
		os.Mkdir(log, 0o755)
		os.WriteFile(filepath.Join(log, "config"), []byte("s20000\nn5\nN5\n"), 0o644)
		cmd := exec.Command(im.svlogd, "log")
		cmd.Args[0] = "svlogd"
		cmd.Dir = fs
		var errb lockedBuf
		cmd.Stderr = &errb
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		t.Cleanup(func() { cmd.Process.Kill(); <-done })
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { recover() }()
			begin := time.Now()
			go func() { stdin.Write(in.Bytes()); stdin.Close() }()
			const pauseMsg = "svlogd: pausing: unable to write to current: log: out of disk space\n"
			var saved bytes.Buffer
			pauses := 0
			for {
				ended := false
				testenv.WaitFor(t, 2*testenv.Deadline, im.name+": a pause or the end", func() bool {
					select {
					case <-done:
						ended = true
						return true
					default:
						return strings.Count(errb.String(), pauseMsg) > pauses
					}
				})
				if ended {
					break
				}
				pauses++
				// Free space: move the finished files out.
				ents, _ := os.ReadDir(log)
				var names []string
				for _, e := range ents {
					if strings.HasPrefix(e.Name(), "@") {
						names = append(names, e.Name())
					}
				}
				sort.Strings(names)
				for _, n := range names {
					b, _ := os.ReadFile(filepath.Join(log, n))
					saved.Write(b)
					os.Remove(filepath.Join(log, n))
				}
			}
			ents, _ := os.ReadDir(log)
			var names []string
			for _, e := range ents {
				if strings.HasPrefix(e.Name(), "@") {
					names = append(names, e.Name())
				}
			}
			sort.Strings(names)
			for _, n := range append(names, "current") {
				b, _ := os.ReadFile(filepath.Join(log, n))
				saved.Write(b)
			}
			lost := in.Len() - saved.Len()
			if !bytes.Equal(saved.Bytes(), in.Bytes()) && lost == 0 {
				lost = -1 // same size, different content
			}
			results[i] = res{msgs: errb.String(), pauses: pauses, lost: lost, took: time.Since(begin)}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ours, theirs := results[0], results[1]
	uniq := func(s string) string {
		seen := map[string]bool{}
		var out []string
		for _, l := range strings.Split(strings.TrimSuffix(s, "\n"), "\n") {
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
		return strings.Join(out, "\n")
	}
	if uniq(ours.msgs) != uniq(theirs.msgs) {
		t.Errorf("messages differ:\n--- ours\n%s\n--- runit's\n%s", ours.msgs, theirs.msgs)
	}
	if ours.pauses == 0 || ours.lost != 0 {
		t.Errorf("ours: %d pauses, %d bytes lost", ours.pauses, ours.lost)
	}
	figure(t, "svlogd on a full 64 kB tmpfs (160 kB of input, n5 N5)",
		"pauses with runit's message \"svlogd: pausing: unable to write to current: log: out of disk space\", resumes when space is freed, nothing lost",
		"ours: "+strconv.Itoa(ours.pauses)+" pauses, "+strconv.Itoa(ours.lost)+" bytes lost; runit: "+
			strconv.Itoa(theirs.pauses)+" pauses, "+strconv.Itoa(theirs.lost)+" bytes lost")
}
