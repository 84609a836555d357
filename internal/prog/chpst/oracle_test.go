package chpst_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// The integration tests run runit's chpst (the oracle) and ours with the
// same arguments, environment, working directory and standard input and
// compare stdout, stderr and the exit status. Both are called through
// symlinks named after the personality, in two directories whose names
// are normalised away.

var names = []string{"chpst", "envdir", "envuidgid", "setuidgid", "softlimit", "setlock", "pgrphack",
	"dchpst", "denvdir", "ddenvdir", "dsetlock", "d", "xyz"}

type runner struct {
	t          *testing.T
	work       string // working directory of the commands
	odir, gdir string // symlinks to the oracle / to ours
}

const basePath = "/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin"

func baseEnv() []string {
	return []string{"PATH=" + basePath, "HOME=/", "LC_ALL=C", "FOO=bar", "EMPTY=wasset", "NL=x"}
}

func newRunner(t *testing.T) *runner {
	t.Helper()
	testenv.RequireRoot(t)
	oracle := testenv.Oracle(t, "chpst")
	ours := testenv.Bin(t, "chpst")
	tmp := t.TempDir()
	r := &runner{t: t, work: filepath.Join(tmp, "work"), odir: filepath.Join(tmp, "o"), gdir: filepath.Join(tmp, "g")}
	for _, d := range []string{r.work, r.odir, r.gdir} {
		if err := os.Mkdir(d, 0755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range names {
		if err := os.Symlink(oracle, filepath.Join(r.odir, n)); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(ours, filepath.Join(r.gdir, n)); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

type opts struct {
	env    []string // nil: baseEnv()
	stdin  string   // file for stdin; "" is /dev/null
	wrap   []string // run "wrap... chpst args..." (e.g. a shell setting limits)
	attr   *syscall.SysProcAttr
	before func() // called before each of the two runs
}

type result struct {
	out, err string
	code     int
}

var (
	pipeRE = regexp.MustCompile(`(pipe|socket):\[[0-9]+\]`)
	procRE = regexp.MustCompile(`/proc/[0-9]+/`)
)

func (r *runner) norm(s string) string {
	s = strings.ReplaceAll(s, r.odir, "BIN")
	s = strings.ReplaceAll(s, r.gdir, "BIN")
	s = procRE.ReplaceAllString(s, "/proc/PID/")
	return pipeRE.ReplaceAllString(s, "$1:[N]")
}

func (r *runner) run(dir, name string, args []string, o opts) result {
	r.t.Helper()
	argv := append(append(append([]string{}, o.wrap...), filepath.Join(dir, name)), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = r.work
	cmd.Env = o.env
	if cmd.Env == nil {
		cmd.Env = baseEnv()
	}
	if o.stdin != "" {
		f, err := os.Open(o.stdin)
		if err != nil {
			r.t.Fatal(err)
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.SysProcAttr = o.attr
	if o.before != nil {
		o.before()
	}
	err := cmd.Run()
	res := result{out: r.norm(out.String()), err: r.norm(errb.String())}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		ws := ee.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			res.code = 128 + int(ws.Signal())
		} else {
			res.code = ws.ExitStatus()
		}
	default:
		r.t.Fatalf("%v: %v", argv, err)
	}
	return res
}

// compare runs name args with both and fails on any difference. It
// returns our result.
func (r *runner) compare(o opts, name string, args ...string) result {
	r.t.Helper()
	want := r.run(r.odir, name, args, o)
	got := r.run(r.gdir, name, args, o)
	if want != got {
		r.t.Errorf("%s %q:\nrunit: code %d\nstdout:\n%s\nstderr:\n%s\nours: code %d\nstdout:\n%s\nstderr:\n%s",
			name, args, want.code, want.out, want.err, got.code, got.out, got.err)
	}
	return got
}

func (r *runner) cmp(name string, args ...string) result {
	r.t.Helper()
	return r.compare(opts{}, name, args...)
}

func (r *runner) write(name, content string, mode os.FileMode) string {
	r.t.Helper()
	p := filepath.Join(r.work, name)
	if err := os.MkdirAll(filepath.Dir(p), 0755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		r.t.Fatal(err)
	}
	return p
}

func TestUsage(t *testing.T) {
	r := newRunner(t)
	for _, n := range names {
		r.cmp(n)
		r.cmp(n, "-z")
		r.cmp(n, "-V")
		r.cmp(n, "one")
	}
	for _, a := range [][]string{
		{"-V", "-z"}, {"-vV"}, {"-n"}, {"-u"}, {"-l", "a", "-L", "b", "true"}, {"-L", "a", "-l", "b", "true"},
		{"-l", "a", "-l", "b", "true"}, {"-o", "1x", "true"}, {"-o", "-1", "true"}, {"-m", "=", "true"},
		{"-n", "abc", "true"}, {"-n", "+-1", "true"}, {"-n", "--1", "true"}, {"-n", " 1", "true"},
		{"--"}, {"-v", "--"}, {"-P"}, {"-t"}, {"-:", "true"}, {"-e"}, {"-/"}, {"-b"},
	} {
		r.cmp("chpst", a...)
	}
	for _, a := range [][]string{{"-o", "x", "true"}, {"-o"}, {"-m", "1x", "true"}, {"-a", "", "true"}, {"-o", "5"},
		{"-v", "true"}, {"-y"}, {"--", "-o"}} {
		r.cmp("softlimit", a...)
	}
	for _, a := range [][]string{{"-n"}, {"-nx", "f"}, {"-y", "f", "true"}, {"--", "f"}, {"-V", "f", "true"}} {
		r.cmp("setlock", a...)
	}
}

const idsCmd = `grep -E "^(Uid|Gid|Groups)" /proc/self/status`

func TestUsersAndGroups(t *testing.T) {
	r := newRunner(t)
	nums := func(k int) string {
		var b strings.Builder
		for i := 1; i <= k; i++ {
			b.WriteString(":" + strconv.Itoa(i))
		}
		return b.String()
	}
	daemons := func(k int) string { return strings.Repeat(":daemon", k) }
	specs := []string{"nobody", "daemon", "root", "nobody:nogroup", "nobody:nogroup:daemon", "nobody:daemon:nogroup",
		"nosuchuser", "root:nosuchgroup", "root:", "root::", "root:daemon:", ":1234:5678:910", ":42:43", ":1:",
		":1:2:", ":1", "::", ":", "", ":abc", ":1:2:x", ":4294967297:5", ":18446744073709551617:3", "1", "root:0",
		"+nobody", "-nobody", ":-1:2", "nobody:nogroup:nosuch", "65534",
		":5" + nums(59), ":5" + nums(60), ":5" + nums(61), ":5" + nums(59) + ":", ":5" + nums(60) + ":",
		"root" + daemons(59), "root" + daemons(60), "root" + daemons(61), "root" + daemons(100),
		"root" + daemons(59) + ":nosuch", "root" + daemons(60) + ":nosuch", "root" + daemons(59) + ":"}
	for _, s := range specs {
		r.cmp("chpst", "-u", s, "sh", "-c", idsCmd)
		r.cmp("chpst", "-U", s, "sh", "-c", `echo "$UID $GID"`)
		r.cmp("setuidgid", s, "sh", "-c", idsCmd)
		r.cmp("envuidgid", s, "sh", "-c", `echo "$UID $GID"`)
	}
	// The whole process: every thread of ours, the program's ids.
	res := r.cmp("chpst", "-u", "nobody:nogroup:daemon", "sh", "-c", idsCmd)
	if !strings.Contains(res.out, "Uid:\t65534\t65534\t65534\t65534") || !strings.Contains(res.out, "Groups:\t1 65534") {
		t.Errorf("unexpected ids: %q", res.out)
	}
	// -U and -u together; -U replaces existing UID/GID.
	r.compare(opts{env: append(baseEnv(), "UID=7", "GID=8")}, "chpst", "-U", "daemon", "-u", "nobody", "sh", "-c", `id; env`)
	r.compare(opts{env: append(baseEnv(), "UID=7")}, "envuidgid", "nobody", "env")
	// Unprivileged: setuid fails after dropping.
	r.cmp("chpst", "-u", "nobody", "chpst", "-u", "root", "true")
	r.cmp("setuidgid", "nobody", "setuidgid", "root", "true")
	r.cmp("setuidgid", "nobody", "-u", "id")
}

// mkEnvdir makes an environment directory full of runit's corner cases.
func mkEnvdir(t *testing.T, r *runner, dir string) {
	t.Helper()
	files := map[string]string{
		"FOO": "value1\nsecond line\n", "EMPTY": "", "NEWLINEONLY": "\n", "NULS": "a\x00b\x00\n",
		"TRAIL": "trailing \t \t\nx", "LEAD": "  lead", ".DOT": "dot", "C=D": "a=b", "PATH": "/nonexistent",
		"SPACES": "   \t", "CR": "cr\r\n", "NOEOL": "noeol", "NUL2": "x\x00 \t", "NL": "",
		"A": "1", "B": "2\n", "Z": strings.Repeat("long", 1000),
	}
	for n, c := range files {
		r.write(filepath.Join(dir, n), c, 0644)
	}
	for _, n := range []string{"subdir", "sub2", "sub3"} {
		if err := os.Mkdir(filepath.Join(r.work, dir, n), 0755); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range []string{"DANGLING", "DANGLING2", "DANG3"} {
		if err := os.Symlink("/nonexistent/x", filepath.Join(r.work, dir, n)); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Mkfifo(filepath.Join(r.work, dir, "FIFO"), 0644); err != nil {
		t.Fatal(err)
	}
}

func TestEnvdir(t *testing.T) {
	r := newRunner(t)
	mkEnvdir(t, r, "env")
	r.write("flat/ONE", "1", 0644)
	r.write("flat/TWO", "", 0644)
	r.write("afile", "x", 0644)
	if err := os.Mkdir(filepath.Join(r.work, "emptydir"), 0755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"env", "env/", "flat", "./flat", "emptydir", "nonexistent", "afile", "", "env/subdir", filepath.Join(r.work, "flat")} {
		r.cmp("chpst", "-e", d, "env")
		r.cmp("chpst", "-v", "-e", d, "env")
		r.cmp("envdir", d, "env")
	}
	// With PATH from the envdir the program is still found through the
	// original PATH, and gets the new PATH.
	r.cmp("chpst", "-e", "env", "sh", "-c", `echo "$PATH"`)
	r.cmp("envdir", "flat", "sh", "-c", `echo "$ONE/$TWO"`)
	// No environment at all; PATH unset: /bin:/usr/bin.
	r.compare(opts{env: []string{}}, "chpst", "-e", "flat", "env")
	r.compare(opts{env: []string{}}, "envdir", "flat", "env")
	r.compare(opts{env: []string{"ONE=x", "A=1", "TWO=2", "B=3"}}, "chpst", "-e", "flat", "env")
	// A socket cannot be opened: fatal even for chpst -e.
	l, err := net.Listen("unix", filepath.Join(r.work, "sock/S"))
	if err == nil {
		defer l.Close()
		r.cmp("chpst", "-e", "sock", "env")
		r.cmp("envdir", "sock", "env")
	} else if err2 := os.MkdirAll(filepath.Join(r.work, "sock"), 0755); err2 == nil {
		l, err = net.Listen("unix", filepath.Join(r.work, "sock/S"))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		r.cmp("chpst", "-e", "sock", "env")
		r.cmp("envdir", "sock", "env")
	}
	// Many entries, mixed kinds, so that readdir order interleaves files,
	// sub-directories and dangling links (runit reuses its buffer).
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 60; i++ {
		n := "V" + strconv.Itoa(i)
		p := filepath.Join(r.work, "mixed", n)
		os.MkdirAll(filepath.Dir(p), 0755)
		switch rng.Intn(4) {
		case 0:
			os.Mkdir(p, 0755)
		case 1:
			os.Symlink("/nonexistent", p)
		case 2:
			os.WriteFile(p, nil, 0644)
		default:
			os.WriteFile(p, []byte("v"+strconv.Itoa(i)+"\x00z \n"), 0644)
		}
	}
	r.cmp("chpst", "-e", "mixed", "env")
	r.cmp("chpst", "-v", "-e", "mixed", "env")
	r.cmp("envdir", "mixed/V0", "env")
}

const limitsCmd = "/proc/self/limits"

func TestLimits(t *testing.T) {
	r := newRunner(t)
	cases := [][]string{
		{"-o", "17", "-c", "0", "-f", "123456", "-p", "77", "-t", "9", "-d", "99999999", "-r", "8888888"},
		{"-m", "300000000"}, {"-m", "5", "-d", "300000000"}, {"-d", "300000000", "-m", "400000000"},
		{"-o", "99999999999"}, {"-o", "18446744073709551615"}, {"-o", "9223372036854775808"},
		{"-o", "18446744073709551616"}, {"-o", "9223372036854775807"}, {"-o", "1000", "-o", "900"},
		{"-c", "0"}, {"-t", "100000"}, {"-f", "0"}, {"-p", "0"}, {},
	}
	for _, c := range cases {
		r.cmp("chpst", append(c, "cat", limitsCmd)...)
	}
	for _, c := range [][]string{
		{"-a", "1000000000", "-c", "=", "-d", "500000000", "-f", "100000", "-l", "65536", "-o", "=", "-p", "100", "-r", "7777777", "-s", "9000000", "-t", "="},
		{"-m", "400000000", "-s", "8000000"}, {"-s", "8000000", "-m", "400000000"}, {"-o", "="}, {"-o", "", "-c", "1"},
		{"-m", "="}, {"-o", "50"}, {"-p", "99999999999999999999"},
	} {
		r.cmp("softlimit", append(c, "cat", limitsCmd)...)
	}
	// Go raises its own soft NOFILE limit at start-up: the program must
	// see the limit chpst was started with, whatever the personality.
	low := opts{wrap: []string{"sh", "-c", `ulimit -Sn 100; ulimit -Sc 0; exec "$@"`, "sh"}}
	for _, a := range [][]string{
		{"chpst", "cat", limitsCmd}, {"chpst", "-o", "50", "cat", limitsCmd}, {"chpst", "-o", "5000000", "cat", limitsCmd},
		{"chpst", "-c", "1000", "cat", limitsCmd}, {"softlimit", "-o", "=", "cat", limitsCmd}, {"softlimit", "-c", "=", "cat", limitsCmd},
		{"envdir", ".", "cat", limitsCmd}, {"pgrphack", "cat", limitsCmd}, {"setlock", "lk", "cat", limitsCmd},
		{"setuidgid", "nobody", "cat", limitsCmd}, {"envuidgid", "nobody", "cat", limitsCmd},
	} {
		res := r.compare(low, a[0], a[1:]...)
		if a[1] == "cat" && !regexp.MustCompile(`Max open files\s+100\s`).MatchString(res.out) {
			t.Errorf("%q: NOFILE soft limit not restored:\n%s", a, res.out)
		}
	}
}

// TestTinyLimits: after a memory limit of a few bytes chpst can no longer
// grow its heap; a failing exec must still end with runit's message (the
// Go runtime used to die with "out of memory allocating heap arena
// metadata", found by TestRandomCommandLines).
func TestTinyLimits(t *testing.T) {
	r := newRunner(t)
	r.write("noexec", "#!/bin/sh\n", 0644)
	for _, lim := range [][]string{{"-d", "5"}, {"-a", "1"}, {"-m", "1"}, {"-s", "1"}, {"-d", "0", "-a", "0", "-l", "0"}} {
		for _, prog := range [][]string{
			{"5"}, {"no-such-program", "arg"}, {"./noexec"}, {"/"}, {"/no/such/dir/x"},
		} {
			r.cmp("chpst", append(append(append([]string{}, lim...), "-/", "a-long-argv0-name-for-the-message"), prog...)...)
			r.cmp("chpst", append(append([]string{}, lim...), prog...)...)
			r.cmp("softlimit", append(append([]string{}, lim...), prog...)...)
		}
	}
	// A large environment makes the exec's own copies of argv and envp
	// need new heap: before the fix this failed every time.
	big := opts{env: baseEnv()}
	for i := 0; i < 15; i++ {
		big.env = append(big.env, "BIG"+strconv.Itoa(i)+"="+strings.Repeat("x", 100000))
	}
	for _, lim := range [][]string{{"-d", "5"}, {"-a", "1"}} {
		r.compare(big, "chpst", append(append([]string{}, lim...), "no-such-program")...)
	}
}

func TestNice(t *testing.T) {
	r := newRunner(t)
	for _, n := range []string{"5", "+3", "-2", "0", "", "-", "+", "19", "20", "-21", "-20", "4294967295", "2147483648",
		"-2147483648", "-9223372036854775808", "18446744073709551615", "18446744073709551616", "abc", "1x", "+-1"} {
		r.cmp("chpst", "-n", n, "nice")
		r.cmp("chpst", "-n"+n, "nice")
	}
	reniced := opts{wrap: []string{"nice", "-n", "3"}}
	for _, n := range []string{"5", "-2", "-30", "30", "-3"} {
		r.compare(reniced, "chpst", "-n", n, "nice")
	}
	// Unprivileged: lowering fails.
	r.cmp("chpst", "-n", "5", "-u", "nobody", "chpst", "-n", "-1", "nice")
	r.cmp("setuidgid", "nobody", "chpst", "-n", "1", "nice")
}

// statCmd prints whether the program leads its process group and session.
var statCmd = []string{"awk", `{print ($1==$5), ($1==$6)}`, "/proc/self/stat"}

func TestSession(t *testing.T) {
	r := newRunner(t)
	r.cmp("chpst", append([]string{"-P"}, statCmd...)...)
	r.cmp("chpst", statCmd...)
	r.cmp("pgrphack", statCmd...)
	res := r.cmp("chpst", append([]string{"-P", "-v"}, statCmd...)...)
	if res.out != "1 1\n" {
		t.Errorf("chpst -P: not a session leader: %q", res.out)
	}
	// Already a process group leader: setsid fails, silently.
	leader := opts{attr: &syscall.SysProcAttr{Setpgid: true}}
	r.compare(leader, "chpst", append([]string{"-P"}, statCmd...)...)
	r.compare(leader, "pgrphack", statCmd...)
}

// fdCmd lists the program's open descriptors and what they are, on
// descriptor %d (find's own directory descriptor is listed too, the same
// for both).
const fdCmd = `exec find /proc/self/fd/ -mindepth 1 -maxdepth 1 -printf "%%f %%l\\n" >&%d`

func TestDescriptors(t *testing.T) {
	r := newRunner(t)
	in := r.write("in", "input\n", 0644)
	o := opts{stdin: in}
	show := func(fd int) []string { return []string{"sh", "-c", fmt.Sprintf(fdCmd, fd)} }
	r.compare(o, "chpst", show(1)...)
	r.compare(o, "chpst", append([]string{"-0"}, show(1)...)...)
	r.compare(o, "chpst", append([]string{"-1"}, show(2)...)...)
	r.compare(o, "chpst", append([]string{"-2"}, show(1)...)...)
	r.compare(o, "chpst", append([]string{"-012"}, show(1)...)...)
	r.compare(o, "chpst", "-0", "sh", "-c", `read x; echo "read rc=$?"`)
	r.compare(o, "chpst", "-1", "sh", "-c", "echo out; echo err >&2")
	r.compare(o, "chpst", "-2", "sh", "-c", "echo out; echo err >&2")
	r.compare(o, "chpst", "-0", "-0", "-1", "true")
	// The lock descriptor is inherited (not close-on-exec), and the lock
	// is held while the program runs.
	r.compare(o, "chpst", append([]string{"-l", "lk"}, show(1)...)...)
	r.compare(o, "chpst", append([]string{"-0", "-L", "lk"}, show(1)...)...)
	r.compare(o, "setlock", append([]string{"lk"}, show(1)...)...)
	r.compare(o, "setlock", append([]string{"-n", "lk"}, show(1)...)...)
	r.compare(o, "chpst", "-l", "lk", "sh", "-c", "flock -n lk true; echo flock=$?")
	r.compare(o, "chpst", "-L", "lk", "sh", "-c", "flock -n lk true; echo flock=$?")
	res := r.compare(o, "setlock", "lk", "sh", "-c", "flock -n lk true; echo flock=$?")
	if res.out != "flock=1\n" {
		t.Errorf("setlock: lock not held by the program: %q", res.out)
	}
	r.compare(o, "chpst", "sh", "-c", "flock -n lk true; echo flock=$?")
	st, err := os.Stat(filepath.Join(r.work, "lk"))
	if err != nil || st.Mode().Perm() != 0600 {
		t.Errorf("lock file: %v %v, want mode 0600", st, err)
	}
}

// holdLock takes the lock on file in this process (a separate open file
// description from the commands'); release undoes it.
func holdLock(t *testing.T, file string) (release func()) {
	t.Helper()
	fd, err := syscall.Open(file, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_CLOEXEC, 0600)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	return func() { syscall.Close(fd) }
}

func TestLocks(t *testing.T) {
	r := newRunner(t)
	lk := filepath.Join(r.work, "lockfile")
	release := holdLock(t, lk)
	// Held: no waiting variants fail at once (or exit 0 silently with -x).
	for _, a := range [][]string{
		{"chpst", "-L", "lockfile", "echo", "got-it"},
		{"setlock", "lockfile", "echo", "default"}, {"setlock", "-N", "lockfile", "echo", "N"},
		{"setlock", "-x", "lockfile", "echo", "x"}, {"setlock", "-xX", "lockfile", "echo", "X"},
		{"setlock", "-Xx", "lockfile", "echo", "x"}, {"setlock", "-nN", "lockfile", "echo", "nN"},
		{"setlock", "-x", "/nonexistent/dir/lock", "echo", "hi"}, {"setlock", "/nonexistent/dir/lock", "echo", "hi"},
		{"chpst", "-l", "/nonexistent/dir/lock", "echo", "hi"}, {"chpst", "-L", "/", "echo", "hi"},
		{"setlock", "-x", "free", "nosuchprogram"}, {"setlock", "free", "nosuchprogram"},
		{"setlock", "-X", "free", "nosuchprogram"},
	} {
		r.cmp(a[0], a[1:]...)
	}
	// Waiting variants block until the lock is free.
	for _, a := range [][]string{{"chpst", "-l", "lockfile", "echo", "after-waiting"}, {"setlock", "-n", "lockfile", "echo", "n"},
		{"setlock", "-Nn", "lockfile", "echo", "Nn"}} {
		want := r.waitRun(r.odir, a, lk, &release)
		got := r.waitRun(r.gdir, a, lk, &release)
		if want != got {
			t.Errorf("%q: runit %+v, ours %+v", a, want, got)
		}
	}
	release()
}

// waitRun starts a command that must block on the held lock, waits until
// the kernel lists it as waiting for the lock, releases the lock and
// returns the result; then takes the lock again.
func (r *runner) waitRun(dir string, a []string, lk string, release *func()) result {
	t := r.t
	t.Helper()
	cmd := exec.Command(filepath.Join(dir, a[0]), a[1:]...)
	cmd.Dir = r.work
	cmd.Env = baseEnv()
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := strconv.Itoa(cmd.Process.Pid)
	testenv.WaitFor(t, testenv.Deadline, "a blocked flock by "+pid, func() bool {
		b, _ := os.ReadFile("/proc/locks")
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, "->") && strings.Contains(l, "FLOCK") {
				if f := strings.Fields(l); len(f) > 5 && f[5] == pid {
					return true
				}
			}
		}
		return false
	})
	(*release)()
	err := cmd.Wait()
	res := result{out: out.String(), err: errb.String()}
	if err != nil {
		res.code = -1
	}
	*release = holdLock(t, lk)
	return res
}

func TestExec(t *testing.T) {
	r := newRunner(t)
	r.write("d1/prog", "#!/bin/sh\necho d1\n", 0644) // not executable
	r.write("d2/prog", "#!/bin/sh\necho d2 \"$0\" \"$@\"\n", 0755)
	r.write("d3/only", "#!/bin/sh\necho only\n", 0644)
	r.write("d4/garbage", "\x01\x02garbage", 0755)
	r.write("here", "#!/bin/sh\necho here\n", 0755)
	w := r.work
	for _, p := range []string{w + "/d1:" + w + "/d2", w + "/d3:" + basePath, "/etc/passwd:" + basePath, ":" + basePath, basePath + ":",
		w + "/d4", w + "/d1", "", "/nonexistent", w} {
		env := []string{"PATH=" + p, "X=1"}
		for _, prog := range []string{"prog", "only", "garbage", "here", "true", "nosuchprogram", "d2/prog", "./here", "/nonexistent/x", "/", ""} {
			r.compare(opts{env: env}, "chpst", prog, "a1")
			r.compare(opts{env: env}, "chpst", "-b", "name", prog, "a1")
		}
		r.compare(opts{env: env}, "pgrphack", "prog", "x")
		r.compare(opts{env: env}, "envuidgid", "nobody", "prog", "x")
	}
	r.compare(opts{env: []string{"X=1"}}, "chpst", "sh", "-c", "echo $0; env")
	r.cmp("chpst", "-b", "myname", "sh", "-c", "echo $0")
	r.cmp("chpst", "-b", "", "sh", "-c", "echo $0")
	r.cmp("chpst", "-bx", "-by", "sh", "-c", "echo $0")
	r.cmp("chpst", "--", "echo", "-v")
	r.cmp("chpst", "-v", "-", "x")
	r.cmp("setuidgid", "nobody", "nosuchprogram")
	r.cmp("envdir", ".", "nosuchprogram")
	r.cmp("softlimit", "-o", "100", "nosuchprogram")
}

func TestChroot(t *testing.T) {
	r := newRunner(t)
	bb := testenv.Busybox(t)
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	r.write("root/bin/busybox", string(data), 0755)
	r.write("root/etc/passwd", "# comment\n\n  svc:x:123:456::/:/bin/sh\nbad:x:1x:2::/:\n+nis\nroot:x:0:0::/:\nshort:x:5\n", 0644)
	r.write("root/etc/group", "grp:x:789:\nother:x:790:svc\n", 0644)
	r.write("bare/bin/busybox", string(data), 0755)
	r.write("env/V", "from-env\n", 0644)
	if err := os.Mkdir(filepath.Join(r.work, "root/etc/passwd.d"), 0755); err != nil {
		t.Fatal(err)
	}
	for _, a := range [][]string{
		{"-/", "root", "/bin/busybox", "pwd"},
		{"-/", "root", "-u", "svc", "/bin/busybox", "id"},
		{"-/", "root", "-u", "svc:grp:other", "/bin/busybox", "id"},
		{"-/", "root", "-u", "svc:nosuch", "/bin/busybox", "id"},
		{"-/", "root", "-u", "bad", "/bin/busybox", "id"},
		{"-/", "root", "-u", "short", "/bin/busybox", "id"},
		{"-/", "root", "-u", "+nis", "/bin/busybox", "id"},
		{"-/", "root", "-u", "nobody", "/bin/busybox", "id"},
		{"-/", "root", "-U", "svc:other", "/bin/busybox", "env"},
		{"-/", "root", "-e", "env", "/bin/busybox", "env"},
		{"-e", "env", "-/", "root", "/bin/busybox", "env"},
		{"-/", "bare", "-u", "root", "/bin/busybox", "id"},
		{"-/", "bare", "-U", "root", "/bin/busybox", "id"},
		{"-/", "bare", "-u", ":0:0", "/bin/busybox", "id"},
		{"-/", "/nonexistent", "true"}, {"-/", "env/V", "true"}, {"-/", "", "true"},
		{"-/", "root", "busybox"}, {"-/", "root", "sh"},
	} {
		r.compare(opts{env: []string{"PATH=/bin"}}, "chpst", a...)
	}
}

// TestRandomCommandLines compares random command lines (safe options
// only) with runit's chpst.
func TestRandomCommandLines(t *testing.T) {
	r := newRunner(t)
	mkEnvdir(t, r, "env")
	tokens := []string{"-v", "-P", "-0", "-1", "-2", "-012", "-n", "5", "-n5", "-n-3", "-o", "100", "-o", "x", "-m", "300000000",
		"-c0", "-d", "-u", "nobody", "-u", ":1:2", "-U", "daemon", "-U", "nosuch", "-b", "name", "-e", "env", "-e", "nonexistent",
		"-l", "lk", "-L", "lk2", "--", "-", "-z", "-V", "-/", "/", "-t", "=", "-r", "1000000", "-vP", "-/.", "-ex", ""}
	rng := rand.New(rand.NewSource(1))
	codes := map[int]int{}
	progs := [][]string{{"sh", "-c", "echo $0 $# $UID $GID; " + idsCmd + "; nice"}, {"echo", "a", "b"}, {}}
	for i := 0; i < 300; i++ {
		n := rng.Intn(7)
		var a []string
		for j := 0; j < n; j++ {
			a = append(a, tokens[rng.Intn(len(tokens))])
		}
		a = append(a, progs[rng.Intn(len(progs))]...)
		name := []string{"chpst", "chpst", "chpst", "softlimit", "setlock", "envdir", "setuidgid"}[rng.Intn(7)]
		codes[r.cmp(name, a...).code]++
	}
	t.Logf("exit codes: %v", codes)
	if codes[0] < 20 || codes[100] < 20 || codes[111] < 20 {
		t.Errorf("random command lines do not cover enough cases: %v", codes)
	}
}
