package svlog_test

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// daemon is a running svlogd whose standard input the test writes.
type daemon struct {
	t    *testing.T
	cmd  *exec.Cmd
	in   io.WriteCloser
	errf string
	root string
	done chan struct{}
	code int
}

// svlogds are our svlogd and runit's, for tests that run both.
func svlogds(t *testing.T) []struct{ name, bin string } {
	var out []struct{ name, bin string }
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, struct{ name, bin string }{s.Name, s.Cmd(t, "svlogd")})
	}
	return out
}

func startDaemon(t *testing.T, bin, root string, args ...string) *daemon {
	t.Helper()
	d := &daemon{t: t, root: root, errf: filepath.Join(t.TempDir(), "stderr"), done: make(chan struct{})}
	ef, err := os.Create(d.errf)
	if err != nil {
		t.Fatal(err)
	}
	defer ef.Close()
	d.cmd = exec.Command(bin, args...)
	d.cmd.Args[0] = "svlogd"
	d.cmd.Dir = root
	d.cmd.Stderr = ef
	if d.in, err = d.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		err := d.cmd.Wait()
		if ee, ok := err.(*exec.ExitError); ok {
			d.code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				d.code = -int(ws.Signal())
			}
		}
		close(d.done)
	}()
	t.Cleanup(func() {
		d.cmd.Process.Kill()
		<-d.done
	})
	return d
}

func (d *daemon) write(s string) {
	d.t.Helper()
	if _, err := io.WriteString(d.in, s); err != nil {
		d.t.Fatal(err)
	}
}

func (d *daemon) stderr() string {
	b, _ := os.ReadFile(d.errf)
	return string(b)
}

func (d *daemon) signal(s syscall.Signal) { d.cmd.Process.Signal(s) }

// waitErr waits until stderr holds s at least n times.
func (d *daemon) waitErr(s string, n int) {
	d.t.Helper()
	testenv.WaitFor(d.t, testenv.Deadline, strconv.Quote(s)+" on stderr", func() bool {
		return strings.Count(d.stderr(), s) >= n
	})
}

func (d *daemon) exit() int {
	d.t.Helper()
	select {
	case <-d.done:
	case <-time.After(testenv.Deadline):
		d.t.Fatalf("svlogd did not exit; stderr:\n%s", d.stderr())
	}
	return d.code
}

func readFile(path string) string {
	b, _ := os.ReadFile(path)
	return string(b)
}

// oldFiles returns the directory's @… files in order, with their contents.
func oldFiles(dir string) (names, contents []string) {
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), "@") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		contents = append(contents, readFile(filepath.Join(dir, n)))
	}
	return
}

func mkdirs(t *testing.T, root string, dirs map[string]string) {
	for name, cfg := range dirs {
		if err := os.MkdirAll(filepath.Join(root, name), 0755); err != nil {
			t.Fatal(err)
		}
		if cfg != "" {
			os.WriteFile(filepath.Join(root, name, "config"), []byte(cfg), 0644)
		}
	}
}

// TestSignals: ALRM rotates a non-empty current, HUP re-reads the config
// and reopens, and the files look the same as with runit's svlogd.
func TestSignals(t *testing.T) {
	testenv.RequireRoot(t)
	results := map[string][]string{}
	for _, who := range []string{"ours", "runit"} {
		bin := testenv.Bin(t, "svlogd")
		if who == "runit" {
			bin = testenv.Oracle(t, "svlogd")
		}
		root := t.TempDir()
		mkdirs(t, root, map[string]string{"sig": ""})
		cur := filepath.Join(root, "sig", "current")
		d := startDaemon(t, bin, root, "-v", "sig")
		d.waitErr("new: sig/current", 1)
		d.write("first line\n")
		testenv.WaitFor(t, testenv.Deadline, "first line", func() bool { return readFile(cur) == "first line\n" })
		d.signal(syscall.SIGALRM)
		d.waitErr("rename: sig/current", 1)
		d.signal(syscall.SIGALRM) // current is empty: no rotation
		d.waitErr("sigalarm received.", 2)
		d.write("second line\n")
		testenv.WaitFor(t, testenv.Deadline, "second line", func() bool { return readFile(cur) == "second line\n" })
		os.WriteFile(filepath.Join(root, "sig", "config"), []byte("pP:\nn1\n"), 0644)
		d.signal(syscall.SIGHUP)
		d.waitErr("append: sig/current", 1)
		d.write("third\n")
		testenv.WaitFor(t, testenv.Deadline, "third", func() bool { return strings.HasSuffix(readFile(cur), "P:third\n") })
		d.signal(syscall.SIGALRM)
		d.waitErr("delete: sig/@", 1)
		d.in.Close()
		if code := d.exit(); code != 0 {
			t.Errorf("%s: exit %d", who, code)
		}
		_, contents := oldFiles(filepath.Join(root, "sig"))
		fi, _ := os.Stat(cur)
		results[who] = append(contents, readFile(cur), fi.Mode().String(),
			nameRE.ReplaceAllString(d.stderr(), "@X"))
	}
	if strings.Join(results["ours"], "|") != strings.Join(results["runit"], "|") {
		t.Errorf("ours:\n%q\nrunit's:\n%q", results["ours"], results["runit"])
	}
}

// TestTerm: SIGTERM keeps every complete line, drops (and reports) only
// an unterminated last fragment, marks current complete and exits 0.
func TestTerm(t *testing.T) {
	testenv.RequireRoot(t)
	root := t.TempDir()
	mkdirs(t, root, map[string]string{"a": "", "b": "-*\n"})
	d := startDaemon(t, testenv.Bin(t, "svlogd"), root, "a", "b")
	d.write("complete\npart")
	cur := filepath.Join(root, "a", "current")
	testenv.WaitFor(t, testenv.Deadline, "complete line", func() bool { return readFile(cur) == "complete\n" })
	d.signal(syscall.SIGTERM)
	if code := d.exit(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	if got := d.stderr(); got != "svlogd: warning: dropping incomplete last line: 4 bytes\n" {
		t.Errorf("stderr %q", got)
	}
	if fi, err := os.Stat(cur); err != nil || fi.Mode().Perm() != 0744 {
		t.Errorf("current: %v %v", fi.Mode(), err)
	}
	if got := readFile(cur); got != "complete\n" {
		t.Errorf("current %q", got)
	}
}

// TestTimeRotation: `t1` rotates a non-empty current after a second.
func TestTimeRotation(t *testing.T) {
	testenv.RequireRoot(t)
	root := t.TempDir()
	mkdirs(t, root, map[string]string{"t": "t1\n"})
	d := startDaemon(t, testenv.Bin(t, "svlogd"), root, "t")
	d.write("foo\n")
	dir := filepath.Join(root, "t")
	testenv.WaitFor(t, testenv.Deadline, "time rotation", func() bool { n, _ := oldFiles(dir); return len(n) == 1 })
	d.write("bar\n")
	testenv.WaitFor(t, testenv.Deadline, "second time rotation", func() bool { n, _ := oldFiles(dir); return len(n) == 2 })
	_, c := oldFiles(dir)
	if c[0] != "foo\n" || c[1] != "bar\n" {
		t.Errorf("old files %q", c)
	}
	d.in.Close()
	d.exit()
}

// TestProcessorRetry: a failing processor is restarted on the same input
// until it succeeds; its output becomes the .s file.
func TestProcessorRetry(t *testing.T) {
	testenv.RequireRoot(t)
	root := t.TempDir()
	mkdirs(t, root, map[string]string{"p": "s20\n!cat; echo ran >>../runs; test -e ../ok\n"})
	d := startDaemon(t, testenv.Bin(t, "svlogd"), root, "-v", "p")
	d.write("aaaaaaaaaa\nbbbbbbbbbb\nccc\n")
	d.waitErr("svlogd: warning: processor failed, restart: p\n", 2)
	os.WriteFile(filepath.Join(root, "ok"), nil, 0644)
	d.waitErr("processed: p/@", 1)
	names, contents := oldFiles(filepath.Join(root, "p"))
	if len(names) != 1 || !strings.HasSuffix(names[0], ".s") || contents[0] != "aaaaaaaaaa\nbbbbbbbbb" {
		t.Errorf("old files %q %q", names, contents)
	}
	if fi, err := os.Stat(filepath.Join(root, "p", names[0])); err != nil || fi.Mode().Perm() != 0744 {
		t.Errorf("processed file mode %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(root, "p", "state")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(root, "p", "newstate")); err == nil {
		t.Error("newstate left behind")
	}
	d.in.Close()
	if code := d.exit(); code != 0 {
		t.Errorf("exit %d", code)
	}
	if got := readFile(filepath.Join(root, "p", "current")); got != "b\nccc\n" {
		t.Errorf("current %q", got)
	}
}

// TestUDP: u sends a copy of each selected line to 127.0.0.1 and keeps
// the file copy; U only sends.
func TestUDP(t *testing.T) {
	testenv.RequireRoot(t)
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	port := conn.LocalAddr().(*net.UDPAddr).Port
	root := t.TempDir()
	mkdirs(t, root, map[string]string{
		"udp":     "u127.0.0.1:" + strconv.Itoa(port) + "\npUDP: \n-*skip*\n",
		"udponly": "U127.0.0.1:" + strconv.Itoa(port) + "\n",
	})
	d := startDaemon(t, testenv.Bin(t, "svlogd"), root, "-l", "10", "-b", "11", "udp", "udponly")
	d.write("hello udp\nskip me\na line longer than ten\n")
	d.in.Close()
	if code := d.exit(); code != 0 {
		t.Fatalf("exit %d: %s", code, d.stderr())
	}
	var got []string
	buf := make([]byte, 2000)
	for i := 0; i < 5; i++ {
		conn.SetReadDeadline(time.Now().Add(testenv.Deadline))
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(buf[:n]))
	}
	sort.Strings(got)
	want := []string{"UDP: a line lon...\n", "UDP: hello udp\n", "a line lon...\n", "hello udp\n", "skip me\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("datagrams %q, want %q", got, want)
	}
	if c := readFile(filepath.Join(root, "udp", "current")); c != "UDP: hello udp\nUDP: a line longer than ten\n" {
		t.Errorf("udp/current %q", c)
	}
	if c := readFile(filepath.Join(root, "udponly", "current")); c != "" {
		t.Errorf("udponly/current %q", c)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory.
func mountTmpfs(t *testing.T, size int) string {
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size="+strconv.Itoa(size)); err != nil {
		t.Skipf("cannot mount tmpfs: %v", err)
	}
	t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	return dir
}

// TestFullDisk: on a full tmpfs with N = n svlogd pauses and retries; once
// space is freed it goes on, and no line is lost or duplicated.
func TestFullDisk(t *testing.T) {
	testenv.RequireRoot(t)
	fs := mountTmpfs(t, 64<<10)
	log := filepath.Join(fs, "log")
	mkdirs(t, fs, map[string]string{"log": "s20000\nn5\nN5\n"})
	d := startDaemon(t, testenv.Bin(t, "svlogd"), fs, "log")
	var in bytes.Buffer
	for i := 0; i < 2400; i++ {
		in.WriteString(strings.Repeat("x", 60) + " " + strconv.Itoa(100000+i) + "\n")
	}
	go func() { d.in.Write(in.Bytes()); d.in.Close() }()
	var saved bytes.Buffer
	pauses := 0
	const pauseMsg = "svlogd: pausing: unable to write to current: log: out of disk space\n"
	for {
		testenv.WaitFor(t, testenv.Deadline, "a pause or the end", func() bool {
			select {
			case <-d.done:
				return true
			default:
				return strings.Count(d.stderr(), pauseMsg) > pauses
			}
		})
		select {
		case <-d.done:
		default:
			pauses++
			// Free space: move the old files out (keeping their contents).
			names, contents := oldFiles(log)
			for i, n := range names {
				if !strings.HasSuffix(n, ".s") {
					t.Fatalf("unexpected %s", n)
				}
				saved.WriteString(contents[i])
				os.Remove(filepath.Join(log, n))
			}
			if len(names) == 0 {
				t.Fatalf("disk full with no old file; stderr:\n%s", d.stderr())
			}
			continue
		}
		break
	}
	if code := d.exit(); code != 0 {
		t.Fatalf("exit %d", code)
	}
	names, contents := oldFiles(log)
	for i := range names {
		saved.WriteString(contents[i])
	}
	saved.WriteString(readFile(filepath.Join(log, "current")))
	if pauses == 0 {
		t.Fatal("the disk never got full")
	}
	if !bytes.Equal(saved.Bytes(), in.Bytes()) {
		t.Fatalf("lines lost or duplicated: %d bytes kept of %d", saved.Len(), in.Len())
	}
	for _, l := range strings.Split(strings.TrimSuffix(d.stderr(), "\n"), "\n") {
		if l != "svlogd: pausing: unable to write to current: log: out of disk space" {
			t.Errorf("unexpected message %q", l)
		}
	}
}

// TestFullDiskDelete: with N < n svlogd deletes the oldest files while
// more than N are left, as runit does, and goes on.
// TestFullDiskDelete: on a full disk with N < n, the oldest old files are
// deleted, an unprocessed @….u among them (it counts, as in runit's; only
// rotation spares it), until the input fits; ours and runit's alike.
func TestFullDiskDelete(t *testing.T) {
	testenv.RequireRoot(t)
	for _, im := range svlogds(t) {
		t.Run(im.name, func(t *testing.T) { fullDiskDelete(t, im.bin) })
	}
}

func fullDiskDelete(t *testing.T, bin string) {
	fs := mountTmpfs(t, 64<<10)
	log := filepath.Join(fs, "log")
	mkdirs(t, fs, map[string]string{"log": "s19028\nn10\nN2\n"})
	seeds := []string{"@400000000000000000000000.u"}
	for i := 1; i <= 3; i++ {
		seeds = append(seeds, "@40000000000000000000000"+strconv.Itoa(i)+".s")
	}
	for _, n := range seeds {
		os.WriteFile(filepath.Join(log, n), []byte(strings.Repeat("o", 8000)), 0744)
	}
	d := startDaemon(t, bin, fs, "log")
	var in bytes.Buffer
	for i := 0; i < 4000; i++ {
		in.WriteString(strings.Repeat("x", 60) + " " + strconv.Itoa(10000+i) + "\n")
	}
	go func() { d.in.Write(in.Bytes()); d.in.Close() }()
	// There is always an old file to delete: svlogd must never pause.
	testenv.WaitFor(t, testenv.Deadline, "the end of the input, or a pause", func() bool {
		select {
		case <-d.done:
			return true
		default:
			return strings.Contains(d.stderr(), "pausing")
		}
	})
	if code := d.exit(); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, d.stderr())
	}
	e := d.stderr()
	// The seeded files go first, oldest first.
	var deleted []string
	for _, l := range strings.Split(e, "\n") {
		if n, ok := strings.CutPrefix(l, "svlogd: warning: out of disk space, delete: log/"); ok {
			deleted = append(deleted, n)
		} else if l != "" {
			t.Errorf("unexpected message %q", l)
		}
	}
	if len(deleted) < len(seeds) || strings.Join(deleted[:len(seeds)], " ") != strings.Join(seeds, " ") {
		t.Errorf("deleted %q, want the seeds first: %q", deleted, seeds)
	}
	// The newest data is all there: current and the remaining files end
	// with the input's end.
	names, contents := oldFiles(log)
	tail := strings.Join(contents, "") + readFile(filepath.Join(log, "current"))
	if len(names) < 1 || !strings.HasSuffix(in.String(), tail) {
		t.Errorf("kept data is not the input's tail (%d files)", len(names))
	}
}

// TestHugeLineLimit: -l and -b as large as the user likes cost nothing
// until lines are that long (ours preallocated -l bytes and died with a
// Go out-of-memory crash); the file gets every line, as runit's does.
func TestHugeLineLimit(t *testing.T) {
	in := "x\n" + strings.Repeat("y", 200000) + "\nz\n"
	for _, im := range svlogds(t) {
		t.Run(im.name, func(t *testing.T) {
			root := t.TempDir()
			mkdirs(t, root, map[string]string{"log": ""})
			d := startDaemon(t, im.bin, root, "-l", "100000000000", "-b", "100000000001", "log")
			d.write(in)
			d.in.Close()
			if code := d.exit(); code != 0 || d.stderr() != "" {
				t.Fatalf("exit %d, stderr %q", code, d.stderr())
			}
			if got := readFile(filepath.Join(root, "log", "current")); got != in {
				t.Errorf("current has %d bytes, want the input's %d", len(got), len(in))
			}
		})
	}
}
