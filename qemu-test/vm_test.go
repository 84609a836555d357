//go:build qemu

package qemutest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// Bounds on hangs, not performance thresholds: the machines running the
// tests are shared and qemu emulates the CPU in software.
const (
	bootDeadline = 150 * time.Second // qemu start to the console prompt
	cmdDeadline  = 90 * time.Second  // one command on the console shell
	downDeadline = 120 * time.Second // shutdown request to qemu's exit
)

// The kernel command line. quiet: only warnings and worse from the kernel
// (panics, "Attempted to kill init" and the final "reboot:" lines are
// printed anyway); panic=-1: reboot at once on a panic, so that qemu
// (-no-reboot) exits instead of hanging.
const cmdline = "console=ttyS1 rdinit=/sbin/init panic=-1 quiet"

var (
	kernelOnce sync.Once
	kernelPath string
	kernelErr  error

	initrdMu sync.Mutex
	initrds  = map[string]*initrd{}

	tmpOnce sync.Once
	tmpDir  string
)

type initrd struct {
	once sync.Once
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tmpDir != "" {
		os.RemoveAll(tmpDir)
	}
	os.Exit(code)
}

func sharedTmp(t *testing.T) string {
	tmpOnce.Do(func() {
		d, err := os.MkdirTemp("", "qemu-test.")
		if err != nil {
			t.Fatal(err)
		}
		tmpDir = d
	})
	return tmpDir
}

// kernel returns the uncompressed vmlinux, fetching it on first use.
func kernel(t *testing.T) string {
	t.Helper()
	root := testenv.Root(t)
	kernelOnce.Do(func() {
		kernelPath = filepath.Join(root, ".cache", "kernel", "vmlinux")
		if _, err := os.Stat(kernelPath); err == nil {
			return
		}
		cmd := exec.Command(filepath.Join(root, "scripts", "qemu", "fetch-kernel.sh"))
		out, err := cmd.CombinedOutput()
		if err != nil {
			kernelErr = fmt.Errorf("fetch-kernel.sh: %v\n%s", err, out)
		}
	})
	if kernelErr != nil {
		t.Fatal(kernelErr)
	}
	return kernelPath
}

// image builds (once per name) an initramfs with mkinitramfs.sh's flags
// and, if overlay is not nil, the files it maps (path -> content; a path
// ending in "@" is a symlink to the content) on top.
func image(t *testing.T, name string, flags []string, overlay map[string]string) string {
	t.Helper()
	initrdMu.Lock()
	ir := initrds[name]
	if ir == nil {
		ir = &initrd{}
		initrds[name] = ir
	}
	initrdMu.Unlock()
	ir.once.Do(func() {
		root := testenv.Root(t)
		tmp := sharedTmp(t)
		args := append([]string{}, flags...)
		if overlay != nil {
			dir := filepath.Join(tmp, name+".overlay")
			if err := writeTree(dir, overlay); err != nil {
				ir.err = err
				return
			}
			args = append(args, "-a", dir)
		}
		ir.path = filepath.Join(tmp, name+".cpio")
		args = append(args, ir.path)
		cmd := exec.Command(filepath.Join(root, "scripts", "qemu", "mkinitramfs.sh"), args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			ir.err = fmt.Errorf("mkinitramfs.sh %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if ir.err != nil {
		t.Fatal(ir.err)
	}
	return ir.path
}

func writeTree(dir string, files map[string]string) error {
	for p, content := range files {
		full := filepath.Join(dir, strings.TrimSuffix(p, "@"))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if strings.HasSuffix(p, "@") {
			if err := os.Symlink(content, full); err != nil {
				return err
			}
			continue
		}
		if err := os.WriteFile(full, []byte(content), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// testTools are added to every test image: the console helper `t` that
// frames a command's output and exit code with markers a test waits for,
// and small probes run inside the guest.
var testTools = map[string]string{
	"usr/local/bin/t": `#!/bin/sh
# t ID command...: run the command, print each output line as "|ID|line"
# and then "=ID=<exit code>=" (the typed command line never matches these).
id=$1
shift
"$@" >/tmp/t.$id 2>&1
r=$?
sed "s/^/|$id|/" /tmp/t.$id
rm -f /tmp/t.$id
echo "=$id=$r="
`,
	// zombies: how many zombie processes exist, and how many of the
	// storm's orphans are still alive.
	"usr/local/bin/zombies": `#!/bin/sh
z=0
for f in /proc/[0-9]*/stat; do
	l=$(cat $f 2>/dev/null) || continue
	rest=${l##*) }
	[ "${rest%% *}" = Z ] && z=$((z+1))
done
s=$(grep -l 'storm-fif[o]' /proc/[0-9]*/cmdline 2>/dev/null | wc -l)
echo "zombies=$z orphans=$s"
`,
	// storm N: 2N orphans, all re-parented to process 1, that exit
	// together: each blocks reading a FIFO whose only writer is this
	// script, and gets end-of-file when it closes it. Prints how many of
	// them were alive with process 1 as parent just before.
	"usr/local/bin/storm": `#!/bin/sh
n=$1
f=/tmp/storm-fifo
rm -f $f
mkfifo $f
exec 3<>$f
i=0
while [ $i -lt $n ]; do
	(cat $f >/dev/null 3>&- & cat $f >/dev/null 3>&- &)
	i=$((i+1))
done
# Wait (up to 60 s) until the last subshells have exited and every
# reader is process 1's.
t=0
while :; do
	o=0
	for p in $(grep -l 'storm-fif[o]' /proc/[0-9]*/cmdline 2>/dev/null); do
		grep -q '^PPid:.1$' ${p%/cmdline}/status 2>/dev/null && o=$((o+1))
	done
	[ $o -ge $((2*n)) ] || [ $t -ge 300 ] && break
	sleep 0.2
	t=$((t+1))
done
echo "orphans of process 1: $o"
exec 3>&-
`,
}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// console collects a VM's serial output (without carriage returns) and
// lets a test wait for patterns in what arrived after its last match.
type console struct {
	mu      sync.Mutex
	buf     []byte
	pos     int
	changed chan struct{}
	eof     bool
	log     io.Writer
}

func newConsole(log io.Writer) *console {
	return &console{changed: make(chan struct{}), log: log}
}

func (c *console) feed(r io.Reader) {
	b := make([]byte, 4096)
	for {
		n, err := r.Read(b)
		if n > 0 {
			data := []byte(strings.ReplaceAll(string(b[:n]), "\r", ""))
			if c.log != nil {
				c.log.Write(data)
			}
			c.mu.Lock()
			c.buf = append(c.buf, data...)
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
		}
		if err != nil {
			c.mu.Lock()
			c.eof = true
			close(c.changed)
			c.changed = make(chan struct{})
			c.mu.Unlock()
			return
		}
	}
}

func (c *console) text() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}

// mark returns the current end of the output.
func (c *console) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.buf)
}

// expect waits until re matches the output after the cursor, moves the
// cursor past the match and returns the submatches.
func (c *console) expect(re *regexp.Regexp, d time.Duration) ([]string, error) {
	end := time.NewTimer(d)
	defer end.Stop()
	for {
		c.mu.Lock()
		if loc := re.FindSubmatchIndex(c.buf[c.pos:]); loc != nil {
			var subs []string
			for i := 0; i+1 < len(loc); i += 2 {
				if loc[i] < 0 {
					subs = append(subs, "")
					continue
				}
				subs = append(subs, string(c.buf[c.pos+loc[i]:c.pos+loc[i+1]]))
			}
			c.pos += loc[1]
			c.mu.Unlock()
			return subs, nil
		}
		eof, ch := c.eof, c.changed
		c.mu.Unlock()
		if eof {
			return nil, fmt.Errorf("console closed (qemu exited) before %q appeared", re)
		}
		select {
		case <-ch:
		case <-end.C:
			return nil, fmt.Errorf("%q did not appear on the console within %v", re, d)
		}
	}
}

// vm is one qemu process.
type vm struct {
	t      *testing.T
	name   string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	con    *console // ttyS1: /dev/console
	tty    *console // ttyS0: the console shell
	conn   net.Conn
	stderr lockedBuffer
	qmp    *qmp
	start  time.Time
	end    time.Time // qemu's exit (valid once exited is closed)
	exited chan struct{}
	seq    int
}

// boot starts qemu with the kernel and the given initramfs. The machine
// has two serial lines: ttyS0 carries the example's console shell (the
// test types on it), ttyS1 is the kernel's console, /dev/console, where
// runit, the stage scripts and the kernel write. Keeping them apart
// matters: runit writes to /dev/console without blocking, as runit does,
// so its messages would be lost whenever the shell writes to the same
// terminal at the same moment (the kernel's tty write lock).
// kernelArgs are added to the kernel command line.
func boot(t *testing.T, name, initrdPath string, kernelArgs ...string) *vm {
	t.Helper()
	k := kernel(t)
	dir := t.TempDir()
	qsock := filepath.Join(dir, "qmp.sock")
	csock := filepath.Join(dir, "console.sock")
	args := []string{
		"-nodefaults", "-no-user-config", "-machine", "pc", "-m", "256", "-smp", "1",
		"-display", "none", "-no-reboot",
		"-serial", "stdio",
		"-serial", "unix:" + csock + ",server=on,wait=on",
		"-kernel", k, "-initrd", initrdPath, "-append", strings.Join(append([]string{cmdline}, kernelArgs...), " "),
		"-qmp", "unix:" + qsock + ",server=on,wait=off",
	}
	if os.Getenv("QEMU_KVM") == "1" {
		args = append(args, "-enable-kvm", "-cpu", "host")
	}
	logTo := func(what string) io.Writer {
		d := os.Getenv("QEMU_TEST_LOGDIR")
		if d == "" {
			return nil
		}
		os.MkdirAll(d, 0o755)
		f, err := os.Create(filepath.Join(d, strings.ReplaceAll(t.Name(), "/", "_")+"."+name+"."+what+".log"))
		if err != nil {
			return nil
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	v := &vm{t: t, name: name, con: newConsole(logTo("console")), tty: newConsole(logTo("ttyS0")), exited: make(chan struct{})}
	v.cmd = exec.Command("qemu-system-x86_64", args...)
	stdin, err := v.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	v.stdin = stdin
	stdout, err := v.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	v.cmd.Stderr = &v.stderr
	v.start = time.Now()
	if err := v.cmd.Start(); err != nil {
		t.Fatalf("qemu-system-x86_64: %v (apt-get install qemu-system-x86)", err)
	}
	ttyDone := make(chan struct{})
	go func() {
		v.tty.feed(stdout)
		close(ttyDone)
	}()
	go func() {
		<-ttyDone
		v.cmd.Wait()
		v.end = time.Now()
		close(v.exited)
	}()
	t.Cleanup(func() {
		v.stdin.Close()
		select {
		case <-v.exited:
		default:
			v.cmd.Process.Kill()
			<-v.exited
		}
		if v.qmp != nil {
			v.qmp.close()
		}
		if v.conn != nil {
			v.conn.Close()
		}
		if t.Failed() {
			t.Logf("qemu's stderr: %s", v.stderr.String())
			t.Logf("/dev/console (ttyS1) of %s:\n%s", name, tail(v.con.text(), 12000))
			t.Logf("console shell (ttyS0) of %s:\n%s", name, tail(v.tty.text(), 6000))
		}
	})
	// qemu waits for this connection before it starts the machine, so
	// nothing written to the console is lost.
	v.conn, err = dialUnix(csock, 30*time.Second, v.exited)
	if err != nil {
		t.Fatalf("console socket: %v", err)
	}
	go v.con.feed(v.conn)
	v.qmp, err = dialQMP(qsock, 30*time.Second, v.exited)
	if err != nil {
		t.Fatalf("qmp: %v", err)
	}
	return v
}

// dialUnix connects to a socket qemu creates, retrying until it exists.
func dialUnix(path string, d time.Duration, exited chan struct{}) (net.Conn, error) {
	end := time.Now().Add(d)
	for {
		conn, err := net.Dial("unix", path)
		if err == nil {
			return conn, nil
		}
		select {
		case <-exited:
			return nil, fmt.Errorf("qemu exited before %s opened", path)
		default:
		}
		if time.Now().After(end) {
			return nil, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockedBuffer collects qemu's stderr.
type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "...\n" + s[len(s)-n:]
}

// expect waits for a regular expression on the console (after the last
// match) and returns its submatches.
func (v *vm) expect(pattern string, d time.Duration) []string {
	v.t.Helper()
	subs, err := v.con.expect(regexp.MustCompile(pattern), d)
	if err != nil {
		v.t.Fatal(err)
	}
	return subs
}

// expectLines waits for each literal line in order.
func (v *vm) expectLines(d time.Duration, lines ...string) {
	v.t.Helper()
	for _, l := range lines {
		v.expect(`(?m)^`+regexp.QuoteMeta(l)+`$`, d)
	}
}

// upTo waits for a literal line and returns the output from the cursor
// up to it.
func (v *vm) upTo(line string, d time.Duration) string {
	v.t.Helper()
	start := v.con.pos
	v.expectLines(d, line)
	return v.con.text()[start:v.con.pos]
}

var promptRE = `(?m)^[a-z0-9-]+:[^\n]*# `

// waitPrompt waits for the console shell's prompt.
func (v *vm) waitPrompt() {
	v.t.Helper()
	if _, err := v.tty.expect(regexp.MustCompile(promptRE), bootDeadline); err != nil {
		v.t.Fatal(err)
	}
}

// sh runs a command line on the console shell (through the helper t) and
// returns its output lines and exit code.
func (v *vm) sh(line string) ([]string, int) {
	v.t.Helper()
	v.seq++
	id := strconv.Itoa(v.seq)
	if _, err := io.WriteString(v.stdin, "t "+id+" "+line+"\n"); err != nil {
		v.t.Fatalf("console: %v", err)
	}
	start := v.tty.mark()
	subs, err := v.tty.expect(regexp.MustCompile(`(?m)^=`+id+`=(\d+)=`), cmdDeadline)
	if err != nil {
		v.t.Fatal(err)
	}
	code, _ := strconv.Atoi(subs[1])
	text := v.tty.text()
	end := v.tty.pos
	var out []string
	pfx := "|" + id + "|"
	for _, l := range strings.Split(text[start:end], "\n") {
		if strings.HasPrefix(l, pfx) {
			out = append(out, l[len(pfx):])
		}
	}
	return out, code
}

// shOK runs a command that must succeed.
func (v *vm) shOK(line string) []string {
	v.t.Helper()
	out, code := v.sh(line)
	if code != 0 {
		v.t.Fatalf("%q exited %d:\n%s", line, code, strings.Join(out, "\n"))
	}
	return out
}

// until runs a command until its output matches re, within d.
func (v *vm) until(line, pattern string, d time.Duration) []string {
	v.t.Helper()
	re := regexp.MustCompile(pattern)
	end := time.Now().Add(d)
	for {
		out, _ := v.sh(line)
		if re.MatchString(strings.Join(out, "\n")) {
			return out
		}
		if time.Now().After(end) {
			v.t.Fatalf("%q: output never matched %q within %v; last:\n%s", line, pattern, d, strings.Join(out, "\n"))
		}
		// Not a synchronisation: the next probe runs in the guest anyway.
		time.Sleep(500 * time.Millisecond)
	}
}

// type sends raw text to the console.
func (v *vm) typeText(s string) {
	v.t.Helper()
	if _, err := io.WriteString(v.stdin, s); err != nil {
		v.t.Fatalf("console: %v", err)
	}
}

// waitExit waits for qemu to exit and returns the reason of QMP's SHUTDOWN
// event ("guest-shutdown" for power-off, "guest-reset" for a reboot).
func (v *vm) waitExit(d time.Duration) string {
	v.t.Helper()
	select {
	case <-v.exited:
	case <-time.After(d):
		v.t.Fatalf("qemu still running %v after the shutdown request", d)
	}
	if code := v.cmd.ProcessState.ExitCode(); code != 0 {
		v.t.Errorf("qemu exited %d", code)
	}
	return v.qmp.shutdownReason()
}

// checkClean fails the test on a kernel panic or a fatal runit message.
func (v *vm) checkClean() {
	v.t.Helper()
	text := v.con.text() + v.tty.text()
	for _, bad := range []string{"Attempted to kill init", "Kernel panic", "- runit: fatal:", "internal error", "panic:", "goroutine "} {
		if strings.Contains(text, bad) {
			v.t.Errorf("console shows %q", bad)
		}
	}
}

// noWarnings fails the test if runit printed a warning other than the
// expected ones.
func (v *vm) noWarnings(expected ...string) {
	v.t.Helper()
	for _, l := range strings.Split(v.con.text(), "\n") {
		i := strings.Index(l, "- runit: warning: ")
		if i < 0 {
			continue
		}
		ok := false
		for _, e := range expected {
			if l[i:] == "- runit: warning: "+e {
				ok = true
			}
		}
		if !ok {
			v.t.Errorf("unexpected warning on the console: %q", l[i:])
		}
	}
}

// qmp is a minimal QMP client: commands, and the SHUTDOWN event.
type qmp struct {
	conn   net.Conn
	enc    *json.Encoder
	resp   chan map[string]any
	mu     sync.Mutex
	reason string
	done   chan struct{}
}

func dialQMP(path string, d time.Duration, exited chan struct{}) (*qmp, error) {
	conn, err := dialUnix(path, d, exited)
	if err != nil {
		return nil, err
	}
	q := &qmp{conn: conn, enc: json.NewEncoder(conn), resp: make(chan map[string]any, 4), done: make(chan struct{})}
	dec := json.NewDecoder(bufio.NewReader(conn))
	var greeting map[string]any
	if err := dec.Decode(&greeting); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %v", err)
	}
	go func() {
		defer close(q.done)
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				return
			}
			if ev, ok := m["event"].(string); ok {
				if ev == "SHUTDOWN" {
					if data, ok := m["data"].(map[string]any); ok {
						q.mu.Lock()
						q.reason, _ = data["reason"].(string)
						q.mu.Unlock()
					}
				}
				continue
			}
			q.resp <- m
		}
	}()
	if _, err := q.do("qmp_capabilities", nil); err != nil {
		conn.Close()
		return nil, err
	}
	return q, nil
}

func (q *qmp) do(cmd string, args any) (map[string]any, error) {
	req := map[string]any{"execute": cmd}
	if args != nil {
		req["arguments"] = args
	}
	if err := q.enc.Encode(req); err != nil {
		return nil, err
	}
	select {
	case m := <-q.resp:
		if e, ok := m["error"]; ok {
			return nil, fmt.Errorf("qmp %s: %v", cmd, e)
		}
		return m, nil
	case <-q.done:
		return nil, fmt.Errorf("qmp %s: connection closed", cmd)
	case <-time.After(30 * time.Second):
		return nil, fmt.Errorf("qmp %s: no answer", cmd)
	}
}

// shutdownReason waits (briefly) for the QMP connection to close after
// qemu exited and returns the last SHUTDOWN event's reason.
func (q *qmp) shutdownReason() string {
	select {
	case <-q.done:
	case <-time.After(10 * time.Second):
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.reason
}

func (q *qmp) close() { q.conn.Close() }

// ctrlAltDel presses Ctrl-Alt-Del on the emulated keyboard.
func (v *vm) ctrlAltDel() {
	v.t.Helper()
	keys := []map[string]string{{"type": "qcode", "data": "ctrl"}, {"type": "qcode", "data": "alt"}, {"type": "qcode", "data": "delete"}}
	if _, err := v.qmp.do("send-key", map[string]any{"keys": keys}); err != nil {
		v.t.Fatal(err)
	}
}
