package utmpset

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

type rec struct {
	typ        int16
	pid        int32
	line, id   string
	user, host string
	sec, usec  int32
	session    int32
	unused     string
}

func (r rec) bytes() []byte {
	b := make([]byte, RecordSize)
	binary.LittleEndian.PutUint16(b[0:], uint16(r.typ))
	binary.LittleEndian.PutUint32(b[4:], uint32(r.pid))
	copy(b[8:40], r.line)
	copy(b[40:44], r.id)
	copy(b[44:76], r.user)
	copy(b[76:332], r.host)
	binary.LittleEndian.PutUint32(b[336:], uint32(r.session))
	binary.LittleEndian.PutUint32(b[340:], uint32(r.sec))
	binary.LittleEndian.PutUint32(b[344:], uint32(r.usec))
	copy(b[364:], r.unused)
	return b
}

func file(recs ...rec) []byte {
	var b []byte
	for _, r := range recs {
		b = append(b, r.bytes()...)
	}
	return b
}

var sample = append(file(
	rec{typ: 7, pid: 1234, line: "tty5", id: "5", user: "alice", host: "host.example", sec: 1700000000, usec: 123456, session: 42},
	rec{typ: 7, pid: 1235, line: "tty6", id: "6", user: "bob", sec: 1700000001},
	rec{typ: 6, pid: 1236, line: "tty7", id: "7", sec: 1700000002},
	rec{typ: 7, pid: 1237, line: "tty5", id: "5b", user: "carol", host: "h2", sec: 1700000003},
	rec{typ: 7, pid: 1, line: "tty1\x00junk", id: "1", user: "al\x00junk", host: "h\x00junk", sec: 5, usec: 7, unused: "UUUU"},
	rec{typ: 8, pid: 2, line: "tty8", id: "8", user: "dead", sec: 6},
	rec{typ: 7, pid: 3, line: strings.Repeat("x", 32), id: "L", user: "long", sec: 7},
	rec{typ: 7, pid: 3, line: strings.Repeat("y", 32), id: "", user: "full", sec: 7},
	rec{typ: 7, pid: 4, line: "", id: "E", user: "emptyline", sec: 8},
	rec{typ: 7, pid: 5, line: "tty9", id: "9", user: "\x00x", sec: 9},
), "partial"...)

var lines = []string{"tty5", "tty6", "tty7", "tty8", "tty1", "", "tty9", "tty1junk", "partial",
	strings.Repeat("x", 32), strings.Repeat("x", 33), strings.Repeat("y", 32), strings.Repeat("y", 31), "al"}

func TestLogoutRecords(t *testing.T) {
	dir := t.TempDir()
	ut := filepath.Join(dir, "utmp")
	wt := filepath.Join(dir, "wtmp")
	os.WriteFile(ut, sample, 0644)
	if err := Logout(ut, "tty5", 1800000000); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(ut)
	want := append([]byte{}, sample...)
	// Only the first record changes: type, user, host, seconds.
	r := want[:RecordSize]
	binary.LittleEndian.PutUint16(r[0:], 8)
	clear(r[44:76])
	clear(r[76:332])
	binary.LittleEndian.PutUint32(r[340:], 1800000000)
	if !bytes.Equal(got, want) {
		t.Errorf("utmp after logout differs")
	}
	err := Logout(ut, "tty7", 1)
	if err == nil || err.Error() != "unable to logout line tty7 in utmp: no such entry" {
		t.Errorf("tty7: %v", err)
	}
	if err := AppendWtmp(wt, "tty6", 1800000001); err != nil {
		t.Fatal(err)
	}
	if err := AppendWtmp(wt, strings.Repeat("z", 40), 1800000002); err != nil {
		t.Fatal(err)
	}
	w, _ := os.ReadFile(wt)
	if len(w) != 2*RecordSize || !bytes.Equal(w[:RecordSize], WtmpRecord("tty6", 1800000001)) ||
		string(w[RecordSize+8:RecordSize+40]) != strings.Repeat("z", 32) || w[RecordSize+40] != 0 {
		t.Errorf("wtmp: %q", w)
	}
	if st, _ := os.Stat(wt); st.Mode().Perm() != 0600 {
		t.Errorf("wtmp mode %v", st.Mode())
	}
	if err := Logout(filepath.Join(dir, "nonexistent"), "x", 1); err == nil || err.Error() != "unable to open "+dir+"/nonexistent: file does not exist" {
		t.Errorf("missing utmp: %v", err)
	}
}

// nsRun runs bin with args in a private mount namespace in which the
// utmp and wtmp files are ut and wt (wt "" means /var/log is empty, "dir"
// that wtmp is a directory; ut "" that there is no utmp).
func nsRun(t *testing.T, bin, ut, wt string, args ...string) (string, int) {
	t.Helper()
	script := `set -e; mount -t tmpfs none /run
if [ -n "$UT" ]; then touch /run/utmp; mount --bind "$UT" /run/utmp; fi
case "$WT" in "") mount -t tmpfs none /var/log;; dir) mount -t tmpfs none /var/log; mkdir /var/log/wtmp;; *) mount --bind "$WT" /var/log/wtmp;; esac
set +e; exec "$@"`
	cmd := exec.Command("unshare", append([]string{"--mount", "--propagation", "private", "sh", "-c", script, "sh", bin}, args...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "UT=" + ut, "WT=" + wt}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(errb.String(), bin, "BIN"), code
}

// zeroNow zeroes the seconds of every record stamped at or after since.
func zeroNow(b []byte, since int64) []byte {
	b = append([]byte{}, b...)
	for off := 0; off+RecordSize <= len(b); off += RecordSize {
		if int64(int32(binary.LittleEndian.Uint32(b[off+340:]))) >= since {
			binary.LittleEndian.PutUint32(b[off+340:], 0)
		}
	}
	return b
}

func TestAgainstRunit(t *testing.T) {
	testenv.RequireRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatal("unshare (util-linux) is needed")
	}
	oracle := testenv.Oracle(t, "utmpset")
	ours := testenv.Bin(t, "utmpset")
	dir := t.TempDir()
	since := time.Now().Unix()
	type files struct{ ut, wt []byte }
	run := func(bin string, ut, wt []byte, wtMode string, args ...string) (string, int, files) {
		d, _ := os.MkdirTemp(dir, "r")
		u, w := filepath.Join(d, "utmp"), filepath.Join(d, "wtmp")
		if ut != nil {
			os.WriteFile(u, ut, 0644)
		} else {
			u = ""
		}
		os.WriteFile(w, wt, 0644)
		if wtMode != "" {
			w = wtMode
		}
		out, code := nsRun(t, bin, u, w, args...)
		var f files
		if u != "" {
			b, _ := os.ReadFile(u)
			f.ut = zeroNow(b, since)
		}
		b, _ := os.ReadFile(filepath.Join(d, "wtmp"))
		f.wt = zeroNow(b, since)
		return out, code, f
	}
	check := func(ut, wt []byte, wtMode string, args ...string) {
		t.Helper()
		oe, oc, of := run(oracle, ut, wt, wtMode, args...)
		ge, gc, gf := run(ours, ut, wt, wtMode, args...)
		if oe != ge || oc != gc || !bytes.Equal(of.ut, gf.ut) || !bytes.Equal(of.wt, gf.wt) {
			t.Errorf("utmpset %q: runit %d %q, ours %d %q; utmp same: %v, wtmp same: %v",
				args, oc, oe, gc, ge, bytes.Equal(of.ut, gf.ut), bytes.Equal(of.wt, gf.wt))
		}
	}
	// An old wtmp record, so that the new one is appended after it (the
	// record must be whole for zeroNow to find the new time stamp).
	old := file(rec{typ: 7, pid: 9, line: "tty3", user: "old", sec: 1600000000})
	for _, l := range lines {
		check(sample, old, "", l)
		check(sample, old, "", "-w", l)
	}
	for _, a := range [][]string{{}, {"-z"}, {"-V"}, {"-w"}, {"--", "tty6"}, {"tty6", "extra"}, {"-wV", "x"}, {"-Vw"}} {
		check(sample, nil, "", a...)
	}
	check(nil, nil, "", "tty6")
	check(sample, nil, "", "-w", "tty6")      // wtmp created
	check(sample, nil, "dir", "-w", "tty6")   // wtmp a directory
	check(sample, nil, "dir", "-w", "nosuch") // utmp fails first
	check(nil, nil, "dir", "-w", "tty6")
	check([]byte{}, nil, "", "tty6")
	for i := 0; i < 3; i++ {
		check(sample, nil, "", "-w", "tty"+strconv.Itoa(4+i))
	}
}

func FuzzMatches(f *testing.F) {
	for i := 0; i+RecordSize <= len(sample); i += RecordSize {
		f.Add(sample[i:i+RecordSize], "tty5")
	}
	f.Fuzz(func(t *testing.T, r []byte, line string) {
		if len(r) < RecordSize {
			r = append(r, make([]byte, RecordSize-len(r))...)
		}
		m := Matches(r, line)
		if m && r[offUser] == 0 {
			t.Fatal("matched a record without user")
		}
		c := append([]byte{}, r[:RecordSize]...)
		MarkDead(c, 1)
		if !bytes.Equal(c[offLine:offUser], r[offLine:offUser]) || c[offUser] != 0 || c[offHost] != 0 {
			t.Fatal("MarkDead changed the line/id or kept the user/host")
		}
		w := WtmpRecord(line, 1)
		if len(w) != RecordSize {
			t.Fatal("bad wtmp record size")
		}
	})
}
