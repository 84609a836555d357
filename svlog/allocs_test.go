package svlog

import (
	"os"
	"path/filepath"
	"testing"

	"gorunit/reaper"
)

// TestLoopAllocs: after start-up, svlogd's loop body (stamp, split, select,
// write, rotate by size and by processor-less removal) allocates nothing,
// so an idle or busy svlogd never grows its heap. Lines are stamped (-tt)
// and selected by a pattern; s4096 makes it rotate every ~100 lines and n3
// removes old files.
func TestLoopAllocs(t *testing.T) {
	for _, c := range []struct {
		name, config string
	}{
		{"no rotation", ""},
		{"rotation", "s4096\nn3\n-*debug*\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if c.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config"), []byte(c.config), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s := &svlogd{linemax: 1000, stamp: StampISO}
			s.reaper = reaper.New()
			s.split = NewSplitter(s.linemax)
			s.rbuf = make([]byte, readBufSize)
			s.now = make([]byte, 0, StampLen)
			s.pend = make([]byte, 0, StampLen)
			d := &logdir{sv: s, name: dir, dirfd: -1, lock: -1, cur: -1, udpfd: -1}
			d.proc.dirfd = -1
			s.dirs = []*logdir{d}
			s.openAll()
			defer d.close()
			in := []byte("a line of some length, number 0123456789\nand a debug line\nand a third\n")
			step := func() {
				s.takeStamp()
				s.split.Feed(in, s)
				if s.split.Fresh() {
					s.pend = append(s.pend[:0], s.now...)
				}
				s.flushAll()
			}
			for range 300 { // past the first rotations: buffers at size
				step()
			}
			if a := testing.AllocsPerRun(1000, step); a != 0 {
				t.Errorf("%v allocations per batch of lines, want 0", a)
			}
			if c.config != "" {
				ents, _ := os.ReadDir(dir)
				if len(ents) < 4 {
					t.Errorf("no rotation happened: %d entries", len(ents))
				}
			}
		})
	}
}
