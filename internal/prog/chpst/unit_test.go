package chpst

import (
	"reflect"
	"strings"
	"testing"
)

func TestEnvOrder(t *testing.T) {
	environ := []string{"A=1", "B=2", "C=3", "D=4", "NOEQ", "PATH=/bin"}
	got := Env(environ, []string{"B=x", "E=5", "A", "Z", "C=D=y", "PATH=/x", "E=6", "NOEQ"})
	// By hand: start A B C D NOEQ PATH; a removal moves the last entry
	// into the hole.
	// B=x: remove B (PATH moves to 1): A PATH C D NOEQ, append B=x
	// E=5: append: A PATH C D NOEQ B=x E=5
	// A: remove A (E=5 moves to 0): E=5 PATH C D NOEQ B=x
	// Z: nothing
	// C=D=y: remove C (B=x moves to 2): E=5 PATH B=x D NOEQ, append C=D=y
	// PATH=/x: remove PATH (C=D=y moves to 1): E=5 C=D=y B=x D NOEQ, append PATH=/x
	// E=6: remove E=5 (PATH=/x to 0): PATH=/x C=D=y B=x D NOEQ, append E=6
	// NOEQ: "NOEQ" has no '=', not removed.
	want := []string{"PATH=/x", "C=D=y", "B=x", "D=4", "NOEQ", "E=6"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Env = %q, want %q", got, want)
	}
	if v, ok := Getenv([]string{"PATHX=1", "PATH=a", "PATH=b"}, "PATH"); !ok || v != "a" {
		t.Errorf("Getenv = %q %v", v, ok)
	}
	if _, ok := Getenv([]string{"PATH"}, "PATH"); ok {
		t.Error("Getenv found PATH without '='")
	}
}

func TestSearchPath(t *testing.T) {
	for _, c := range []struct {
		file, path string
		have       bool
		want       string
	}{
		{"sh", "", false, "/bin/sh /usr/bin/sh"},
		{"sh", "", true, "./sh"},
		{"sh", ":/bin:", true, "./sh /bin/sh ./sh"},
		{"a/b", "/x", true, "a/b"},
		{"/bin/sh", "/x", true, "/bin/sh"},
		{"", "/x:/y", true, "/x/ /y/"},
	} {
		if got := strings.Join(SearchPath(c.file, c.path, c.have), " "); got != c.want {
			t.Errorf("SearchPath(%q, %q, %v) = %q, want %q", c.file, c.path, c.have, got, c.want)
		}
	}
}

func TestNumericIDs(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		uid  uint32
		gids []uint32
	}{
		{"1:2", true, 1, []uint32{2}},
		{"1:", true, 1, []uint32{0}},
		{"1:2:", true, 1, []uint32{2, 0}},
		{":", true, 0, []uint32{0}},
		{"1", false, 1, nil},
		{"", false, 0, nil},
		{"abc", false, 0, nil},
		{"1:2:x", false, 1, []uint32{2}},
		{"4294967297:5", true, 1, []uint32{5}},
	} {
		ids, ok := NumericIDs(c.in)
		if ok != c.ok || (ok && (ids.UID != c.uid || !reflect.DeepEqual(ids.GIDs, c.gids))) {
			t.Errorf("NumericIDs(%q) = %+v %v", c.in, ids, ok)
		}
	}
	long := strings.Repeat(":7", 60)
	if ids, ok := NumericIDs("1" + long); !ok || len(ids.GIDs) != 60 {
		t.Errorf("60 gids: %v %v", ok, len(ids.GIDs))
	}
	if _, ok := NumericIDs("1" + long + ":7"); ok {
		t.Error("61 gids accepted")
	}
	if ids, ok := NumericIDs("1" + long + ":"); !ok || len(ids.GIDs) != 60 {
		t.Errorf("60 gids and ':': %v %v", ok, len(ids.GIDs))
	}
}

func TestParse(t *testing.T) {
	c, ex := Parse([]string{"/usr/bin/chpst", "-m", "5", "-d", "7", "-n-3", "-l", "f", "-012vP", "-b", "x", "prog", "-u", "a"})
	if ex != nil {
		t.Fatal(ex)
	}
	if c.Limits[LimData] != 7 || c.Limits[LimStack] != 5 || c.Limits[LimAS] != 5 || c.Limits[LimNofile] != Unset ||
		c.Nice != -3 || !c.LockWait || c.Lock != "f" || c.Close != [3]bool{true, true, true} || !c.Verbose || !c.Setsid ||
		c.Argv0 != "x" || !reflect.DeepEqual(c.Args, []string{"prog", "-u", "a"}) || c.HasSetUser {
		t.Errorf("Parse: %+v", c)
	}
	c, ex = Parse([]string{"softlimit", "-o", "=", "-m", "9", "-s", "3", "p"})
	if ex != nil || c.Limits[LimNofile] != Hard || c.Limits[LimStack] != 3 || c.Limits[LimData] != 9 {
		t.Errorf("softlimit: %+v %+v", c, ex)
	}
	c, ex = Parse([]string{"dsetlock", "-nx", "f", "p"})
	if ex != nil || c.Name != "setlock" || !c.LockWait || !c.LockQuiet || c.Lock != "f" {
		t.Errorf("setlock: %+v %+v", c, ex)
	}
	for _, a := range [][]string{{"chpst"}, {"chpst", "-o", "1x", "p"}, {"envdir", "d"}, {"softlimit", "-o", "x", "p"},
		{"setlock", "f"}, {"chpst", "-l", "a", "-L", "b", "p"}} {
		if _, ex := Parse(a); ex == nil || ex.Code != 100 || !strings.HasPrefix(ex.Stderr[strings.LastIndex(ex.Stderr[:len(ex.Stderr)-2], "\n")+1:], "usage: ") {
			t.Errorf("Parse(%q) = %+v, want usage", a, ex)
		}
	}
}

// FuzzParse: any command line gives a configuration with a program, or
// an exit with a usage text (100), never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"chpst\x00-u\x00nobody\x00true", "softlimit\x00-o\x00=\x00x", "setlock\x00-nNxX\x00f\x00p",
		"envdir\x00d\x00p", "chpst\x00-V", "chpst\x00-n\x00-5\x00p", "dchpst\x00-z", "d\x00--\x00p", "chpst\x00-m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		c, ex := Parse(argv)
		if (c == nil) == (ex == nil) {
			t.Fatalf("Parse(%q): config %v, exit %v", argv, c, ex)
		}
		if ex != nil {
			if ex.Code != 100 || !strings.HasSuffix(ex.Stderr, "\n\n") || !strings.Contains(ex.Stderr, "usage: ") {
				t.Fatalf("Parse(%q): bad exit %+v", argv, ex)
			}
			return
		}
		if len(c.Args) == 0 {
			t.Fatalf("Parse(%q): no program", argv)
		}
		for _, v := range c.Limits {
			if v < Hard && v != Unset {
				t.Fatalf("Parse(%q): limit %d", argv, v)
			}
		}
	})
}

func FuzzNumericIDs(f *testing.F) {
	for _, s := range []string{"1:2", "1:", "::", "abc", "1:2:3:4", strings.Repeat("1:", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ids, ok := NumericIDs(s)
		if ok && (len(ids.GIDs) == 0 || len(ids.GIDs) > maxGids) {
			t.Fatalf("NumericIDs(%q) = %+v", s, ids)
		}
	})
}

func FuzzEnv(f *testing.F) {
	f.Add("A=1\x00B=2\x00C", "B=3\x00A\x00D=4")
	f.Fuzz(func(t *testing.T, env, changes string) {
		e := Env(strings.Split(env, "\x00"), strings.Split(changes, "\x00"))
		if len(e) > len(strings.Split(env, "\x00"))+len(strings.Split(changes, "\x00")) {
			t.Fatal("environment grew too much")
		}
	})
}
