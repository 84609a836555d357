package svlog_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// result is what one svlogd run left behind.
type result struct {
	stderr string
	code   int
	files  []string // the log directories' files, in order, normalised
}

var stampRE = regexp.MustCompile(`(@[0-9a-f]{24}|\d{4}-\d\d-\d\d[_T]\d\d:\d\d:\d\d\.\d{5}) `)
var nameRE = regexp.MustCompile(`@[0-9a-f]{24}`)

func normStamps(s string) string { return stampRE.ReplaceAllString(s, "STAMP ") }

// runSvlogd runs bin in a fresh directory holding the log directories
// dirs (name -> config, "" for none, "-" for not created, "=" for a
// regular file instead of a directory) with input on
// stdin.
func runSvlogd(t *testing.T, bin string, dirs map[string]string, args []string, input []byte) result {
	t.Helper()
	root := t.TempDir()
	var names []string
	for name, cfg := range dirs {
		names = append(names, name)
		if cfg == "-" {
			continue
		}
		if cfg == "=" {
			os.WriteFile(filepath.Join(root, name), nil, 0644)
			continue
		}
		if err := os.MkdirAll(filepath.Join(root, name), 0755); err != nil {
			t.Fatal(err)
		}
		if cfg != "" {
			if err := os.WriteFile(filepath.Join(root, name, "config"), []byte(cfg), 0644); err != nil {
				t.Fatal(err)
			}
		}
	}
	sort.Strings(names)
	cmd := exec.Command(bin, args...)
	cmd.Args[0] = "svlogd"
	cmd.Dir = root
	cmd.Stdin = bytes.NewReader(input)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	r := result{stderr: nameRE.ReplaceAllString(normStamps(stderr.String()), "@X"), code: code}
	for _, name := range names {
		ents, err := os.ReadDir(filepath.Join(root, name))
		if err != nil {
			r.files = append(r.files, name+": not a directory")
			continue
		}
		for _, e := range ents { // sorted by name: @… (oldest first), then the rest
			fi, _ := e.Info()
			data, _ := os.ReadFile(filepath.Join(root, name, e.Name()))
			n := e.Name()
			if nameRE.MatchString(n) {
				n = nameRE.ReplaceAllString(n, "@X")
			}
			r.files = append(r.files, fmt.Sprintf("%s/%s %v %d\n%s", name, n, fi.Mode(), len(data), normStamps(string(data))))
		}
	}
	return r
}

// compat runs the same scenario through runit's svlogd and ours and
// requires the same files (contents and modes, timestamps removed), the
// same stderr and the same exit code.
func compat(t *testing.T, dirs map[string]string, args []string, input []byte) result {
	t.Helper()
	testenv.RequireRoot(t)
	want := runSvlogd(t, testenv.Oracle(t, "svlogd"), dirs, args, input)
	got := runSvlogd(t, testenv.Bin(t, "svlogd"), dirs, args, input)
	if got.code != want.code {
		t.Errorf("exit code %d, runit's %d", got.code, want.code)
	}
	if got.stderr != want.stderr {
		t.Errorf("stderr:\n%s\nrunit's:\n%s", got.stderr, want.stderr)
	}
	if len(got.files) != len(want.files) {
		t.Errorf("%d files, runit's %d:\n%s\nrunit's:\n%s", len(got.files), len(want.files), heads(got.files), heads(want.files))
		return got
	}
	for i := range got.files {
		if got.files[i] != want.files[i] {
			t.Errorf("file %d:\n%.2000s\nrunit's:\n%.2000s", i, got.files[i], want.files[i])
		}
	}
	return got
}

func heads(files []string) string {
	var b strings.Builder
	for _, f := range files {
		b.WriteString(strings.SplitN(f, "\n", 2)[0] + "\n")
	}
	return b.String()
}

func lines(format string, n int) []byte {
	var b bytes.Buffer
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, format, i)
	}
	return b.Bytes()
}

func TestCompatBasic(t *testing.T) {
	compat(t, map[string]string{"basic": ""}, []string{"-v", "basic"}, []byte("one\ntwo\nthree"))
}

func TestCompatSizeRotation(t *testing.T) {
	// s smaller than the line length: writes are cut at exactly s bytes.
	compat(t, map[string]string{"rot": "s100\nn3\n"}, []string{"-v", "rot"}, lines("line %02d 0123456789\n", 40))
	compat(t, map[string]string{"s1": "s1\n"}, []string{"-v", "s1"}, []byte("hello\n"))
	// s1k with -l 100: rotation once current is within len of s.
	compat(t, map[string]string{"k": "s1k\n"}, []string{"-l", "100", "-b", "200", "-v", "k"}, lines("0123456789012345678\n", 100))
	// Many rotations with stamps; n keeps the newest files.
	compat(t, map[string]string{"big": "s5000\nn4\n"}, []string{"-tt", "-l", "200", "-b", "300", "-v", "big"},
		lines("%06d a line of some length, to fill a few files quickly ..........\n", 2000))
	// n0 never deletes.
	compat(t, map[string]string{"keep": "s300\nn0\n"}, []string{"-t", "-l", "100", "-b", "101", "keep"}, lines("%04d xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n", 200))
}

func TestCompatLongLines(t *testing.T) {
	long := bytes.Repeat([]byte("0123456789"), 300)
	in := append(append([]byte("short\n"), long...), "\nafter\n"...)
	in = append(in, long[:2500]...) // a final long line without newline: kept, with a newline
	compat(t, map[string]string{"long": "e*\n"}, []string{"-l", "10", "-b", "11", "long"}, in)
	// Rotation cuts a line longer than the room left.
	compat(t, map[string]string{"cut": "s4096\n"}, []string{"-l", "100", "-b", "200", "-v", "cut"}, bytes.Repeat(append(long[:2000], '\n'), 5))
	// Exactly len bytes gets "..." on stderr; len-1 does not; a short final fragment is dropped.
	compat(t, map[string]string{"len": "e*\n"}, []string{"-l", "10", "-b", "11", "len"}, []byte("123456789\n1234567890\n12345678901\n\nAAAAA"))
}

func TestCompatPatterns(t *testing.T) {
	compat(t, map[string]string{"pat": "# comment line\n-*debug*\ne*error*\npINFO: \n"}, []string{"-tt", "pat"},
		[]byte("hello\nthis is debug stuff\nan error happened\nbye\n"))
	compat(t, map[string]string{"pat": "-*\n+*keep*\n"}, []string{"pat"}, []byte("drop me\nkeep me\n"))
	compat(t, map[string]string{"pm": "-*pid*\n-a+bc\n"}, []string{"pm"}, []byte("tcpsvd: info: pid 1977\nxpid\nabb\nabbd\nabbc\nab\n"))
	compat(t, map[string]string{"ee": "e*\nE*quiet*\n-*quiet*\n+*loud quiet*\n"}, []string{"-t", "ee"},
		[]byte("normal\nquiet one\nloud quiet two\nloud\n"))
	// Several directories, each with its own selection and prefix.
	compat(t, map[string]string{"a": "-*b*\npA:\n", "b": "-*\n+*b*\ne*b*\n", "c": ""}, []string{"-tt", "-v", "a", "b", "c"},
		[]byte("line a\nline b\nline c\n"))
}

func TestCompatReplace(t *testing.T) {
	in := []byte("a\tb\001c\303\251d e:f\n\x00bin\xffary\n")
	compat(t, map[string]string{"r": ""}, []string{"-r:", "-R", " e", "r"}, in)
	compat(t, map[string]string{"r": ""}, []string{"-R", " ", "r"}, in)
	compat(t, map[string]string{"r": "-*_*\n"}, []string{"-r", "_", "r"}, []byte("a\tb\nab\n"))
	// Only the first len bytes are replaced.
	compat(t, map[string]string{"r": ""}, []string{"-r", "_", "-l", "5", "-b", "6", "r"}, []byte("a\tb\tc\td\te\tf\n"))
}

func TestCompatProcessor(t *testing.T) {
	cfg := "s60\nn5\n!tr a-z A-Z; s=$(cat <&4); echo \"state:${s}+\" >&5\n"
	compat(t, map[string]string{"proc": cfg}, []string{"proc"}, lines("message number %d\n", 7))
	// Several rotations: each waits for the previous processor; state accumulates.
	compat(t, map[string]string{"proc": cfg}, []string{"-l", "20", "-b", "30", "proc"}, lines("message number %d\n", 30))
}

func TestCompatUnclean(t *testing.T) {
	// A current without u+x is renamed to @….u at start; with u+x it is appended to.
	for _, mode := range []os.FileMode{0644, 0744} {
		out := map[string]string{}
		for _, im := range svlogds(t) {
			who, b := im.name, im.bin
			root := t.TempDir()
			dir := filepath.Join(root, "d")
			os.Mkdir(dir, 0755)
			os.WriteFile(filepath.Join(dir, "current"), []byte("old\n"), mode)
			os.Chmod(filepath.Join(dir, "current"), mode)
			cmd := exec.Command(b, "-v", "d")
			cmd.Args[0] = "svlogd"
			cmd.Dir = root
			cmd.Stdin = strings.NewReader("new\n")
			stderr, _ := cmd.CombinedOutput()
			var s strings.Builder
			s.WriteString(nameRE.ReplaceAllString(string(stderr), "@X"))
			ents, _ := os.ReadDir(dir)
			for _, e := range ents {
				fi, _ := e.Info()
				data, _ := os.ReadFile(filepath.Join(dir, e.Name()))
				fmt.Fprintf(&s, "%s %v %q\n", nameRE.ReplaceAllString(e.Name(), "@X"), fi.Mode(), data)
			}
			out[who] = s.String()
		}
		if out["ours"] != out["runit"] {
			t.Errorf("mode %v:\n%s\nrunit's:\n%s", mode, out["ours"], out["runit"])
		}
	}
}

func TestCompatUsageAndErrors(t *testing.T) {
	for _, args := range [][]string{
		{}, {"-V"}, {"-x", "d"}, {"-r", "ab", "d"}, {"-r", "", "d"}, {"-l", "2000", "d"}, {"-l", "10", "-b", "10", "d"},
		{"-b", "1000", "d"}, {"-l"}, {"-v", "missing"}, {"-v", "missing", "d"}, {"-v", "file"}, {"-l", "0", "-b", "0", "d"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			compat(t, map[string]string{"d": "", "file": "=", "missing": "-"}, args, []byte("x\n"))
		})
	}
}

func TestCompatBadConfig(t *testing.T) {
	compat(t, map[string]string{"u": "u1.2.3\nU127.0.0.1:0\nuabc:12\n"}, []string{"-v", "u"}, []byte("one\n"))
	compat(t, map[string]string{"u": "u127.0.0.1:0\ns 100\np\nzzz\n"}, []string{"-v", "u"}, []byte("one\n"))
	// An unreadable config is a warning only.
	compat(t, map[string]string{"c": "", "c/config": ""}, []string{"-v", "c"}, []byte("one\n"))
	// A send that fails (broadcast without SO_BROADCAST: EACCES) is recorded in the directory.
	compat(t, map[string]string{"u": "u255.255.255.255:9\n"}, []string{"-tt", "u"}, []byte("one\ntwo\n"))
	// Binary input and a config with NUL bytes.
	compat(t, map[string]string{"b": "pA\x00B\n-*\x00*\n"}, []string{"b"}, []byte("\x00\x01\x02\n\xff\xfe\nplain\n"))
}

func TestCompatLocked(t *testing.T) {
	testenv.RequireRoot(t)
	// A directory locked by someone else is skipped with a warning; the
	// other directories are used.
	out := map[string]string{}
	for _, im := range svlogds(t) {
		who, b := im.name, im.bin
		root := t.TempDir()
		for _, d := range []string{"lk", "basic"} {
			os.Mkdir(filepath.Join(root, d), 0755)
		}
		f, err := os.OpenFile(filepath.Join(root, "lk", "lock"), os.O_CREATE|os.O_WRONLY, 0600)
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			t.Fatal(err)
		}
		var s strings.Builder
		for _, args := range [][]string{{"-v", "lk"}, {"lk"}, {"-v", "lk", "./nonexistent", "basic"}} {
			cmd := exec.Command(b, args...)
			cmd.Args[0] = "svlogd"
			cmd.Dir = root
			cmd.Stdin = strings.NewReader("x\n")
			o, err := cmd.CombinedOutput()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			fmt.Fprintf(&s, "%v: %d\n%s", args, code, o)
		}
		data, _ := os.ReadFile(filepath.Join(root, "basic", "current"))
		s.Write(data)
		f.Close()
		out[who] = s.String()
	}
	if out["ours"] != out["runit"] {
		t.Errorf("ours:\n%s\nrunit's:\n%s", out["ours"], out["runit"])
	}
}
