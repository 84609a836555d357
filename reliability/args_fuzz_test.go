package reliability

// Differential fuzzing of the command lines of the commands whose option
// and argument parsing runs in main (so an in-process fuzz target would
// exit or touch the system): svlogd, utmpset, runsvchdir, runit-init,
// runsv, runit and sv. Each input is a list of arguments (NUL-separated);
// ours and runit's binary run with them in a sandbox (a scratch working
// directory; private mount namespace with tmpfs over whatever the command
// writes; a PID namespace for runit-init) and must give the same stdout,
// stderr, exit code and resulting files. Arguments holding '/' or naming
// "." or ".." are skipped, so nothing outside the sandbox can be named.
//
//	go test -run XXX -fuzz FuzzArgsSvlogd -fuzztime 60s ./reliability

import (
	"context"
	"encoding/binary"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

type argCmd struct {
	name  string
	pidNS bool   // run in a new PID namespace (the shell is its process 1)
	setup string // shell run in $W before the command
	list  string // shell printing the resulting state
	env   []string
}

var argCmds = map[string]argCmd{
	"svlogd": {name: "svlogd", setup: "mkdir d e && printf 's100\\nn2\\n' >e/config",
		list: "find . -printf '%p %M %s\\n' | sort"},
	"utmpset": {name: "utmpset", setup: "mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log && cp \"$UTMP\" /run/utmp",
		list: "od -An -tx1 -N2 /run/utmp; od -An -tx1 -j384 -N2 /run/utmp; wc -c </run/utmp; if [ -e /var/log/wtmp ]; then wc -c </var/log/wtmp; else echo no wtmp; fi"},
	"runsvchdir": {name: "runsvchdir", setup: "mount -t tmpfs tmpfs /etc && D=/etc/runit/runsvdir && mkdir -p $D/default $D/other $D/.hidden && touch $D/afile && ln -s default $D/current && ln -s nowhere $D/dangling",
		list: "cd /etc/runit/runsvdir && find . -printf '%p %M %l\\n' | sort"},
	"runit-init": {name: "runit-init", pidNS: true, setup: "mount -t tmpfs -o mode=0755 tmpfs /run",
		list: "cd /run && find . -printf '%p %M\\n' | sort"},
	"runsv": {name: "runsv", list: "find . -printf '%p %M\\n' | sort"},
	"runit": {name: "runit", list: "find . -printf '%p %M\\n' | sort"},
	"sv":    {name: "sv", setup: "mkdir svc", list: "find . -printf '%p %M\\n' | sort"},
}

var (
	stampRe  = regexp.MustCompile(`@[0-9a-f]{24}`)
	utmpOnce string
)

// utmpFixture is a utmp file with one USER_PROCESS record for tty1 and
// one for pts/3 (the files utmpset edits).
func utmpFixture(t *testing.T) string {
	if utmpOnce != "" {
		return utmpOnce
	}
	var b []byte
	for _, line := range []string{"tty1", "pts/3"} {
		r := make([]byte, 384)
		binary.LittleEndian.PutUint16(r[0:], 7) // USER_PROCESS
		binary.LittleEndian.PutUint32(r[4:], 4242)
		copy(r[8:40], line)
		copy(r[44:76], "root")
		b = append(b, r...)
	}
	p := filepath.Join(os.TempDir(), "gorunit-reliability-utmp")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	utmpOnce = p
	return p
}

// runArgs runs bin (the command c) with args in its sandbox and returns
// the transcript: stdout, stderr, exit code, state.
func runArgs(t *testing.T, c argCmd, bin string, args []string) string {
	w := t.TempDir()
	script := `cd "$W" || exit 98
{ true
` + c.setup + `
} || exit 99
"$BIN" "$@" </dev/null >"$T/o" 2>"$T/e"
echo "[exit $?]"
sed 's/^/1: /' "$T/o"; sed 's/^/2: /' "$T/e"
` + c.list + `
`
	tdir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin", "W=" + w, "T=" + tdir, "BIN=" + bin, "SVDIR=" + w,
		"UTMP=" + utmpFixture(t)}, c.env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true}
	if c.pidNS {
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWPID
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("%s %q: still running after 30 s", bin, args)
	}
	if err != nil {
		t.Fatalf("%s %q: sandbox: %v\n%s", bin, args, err, out)
	}
	s := strings.ReplaceAll(string(out), bin, "BIN")
	return stampRe.ReplaceAllString(s, "@STAMP")
}

// splitArgs turns a fuzz input into arguments; ok is false for inputs the
// sandbox cannot take.
func splitArgs(s string) ([]string, bool) {
	if s == "" {
		return nil, true
	}
	args := strings.Split(s, "\x00")
	if len(args) > 8 {
		return nil, false
	}
	for _, a := range args {
		if len(a) > 64 || strings.ContainsRune(a, '/') || a == "." || a == ".." {
			return nil, false
		}
	}
	return args, true
}

func fuzzArgs(f *testing.F, name string, seeds ...string) {
	c := argCmds[name]
	testenv.RequireRoot(f)
	ours, theirs := testenv.Bin(f, c.name), testenv.Oracle(f, c.name)
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args, ok := splitArgs(s)
		if !ok {
			return
		}
		a, b := runArgs(t, c, ours, args), runArgs(t, c, theirs, args)
		if a != b {
			t.Fatalf("%s %q:\n--- ours\n%s--- runit's\n%s", name, args, a, b)
		}
		if os.Getenv("GORUNIT_ARGS_SHOW") != "" {
			t.Logf("%s %q:\n%s", name, args, a)
		}
	})
}

func FuzzArgsSvlogd(f *testing.F) {
	fuzzArgs(f, "svlogd", "", "d", "-tt\x00d", "-v\x00d\x00e", "-V", "-r", "-r\x00ab\x00d", "-R\x00xyz\x00-r\x00_\x00d",
		"-l\x000\x00d", "-l\x005000\x00d", "-b\x0010\x00-l\x0020\x00d", "-ttt\x00-v\x00nosuch\x00d", "-x\x00d",
		"--\x00-v", "nosuch", "-b", "-l\x00abc\x00e", "-tv\x00e\x00e", "--0", "--x\x00-v\x00d")
}

func FuzzArgsUtmpset(f *testing.F) {
	fuzzArgs(f, "utmpset", "", "tty1", "-w\x00tty1", "-w\x00tty9", "-V", "-x\x00tty1", "--\x00-w", "-w",
		"tty1\x00extra", "-ww\x00tty1", "", "pts", "--0", "--w\x00tty1")
}

func FuzzArgsRunsvchdir(f *testing.F) {
	fuzzArgs(f, "runsvchdir", "", "default", "other", "afile", ".hidden", "nosuch", "dangling", "current",
		"other\x00x", "-V", "", "..x")
}

func FuzzArgsRunitInit(f *testing.F) {
	fuzzArgs(f, "runit-init", "", "0", "6", "-V", "-V\x006", "1", "06", "60", "-", "-x", "0\x006", "S")
}

func FuzzArgsRunsv(f *testing.F) {
	fuzzArgs(f, "runsv", "", "svc", "-V", "a\x00b", "", "-")
}

func FuzzArgsRunit(f *testing.F) {
	fuzzArgs(f, "runit", "", "-V", "x\x00y")
}

func FuzzArgsSv(f *testing.F) {
	fuzzArgs(f, "sv", "", "status\x00svc", "-v\x00up\x00svc", "-w\x005\x00-v\x00down\x00svc\x00nosuch", "check\x00svc",
		"-V", "x", "s\x00svc", "shutdown\x00svc", "-w\x00abc\x00status\x00svc", "force-stop\x00nosuch", "status",
		"-x", "1\x00svc", "0\x00svc", "--0", "--x\x00status\x00svc", "--x\x00-v\x00status\x00svc")
}
