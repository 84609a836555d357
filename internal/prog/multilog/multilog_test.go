package multilog

import (
	"strings"
	"testing"

	"gorunit/svlog"
)

func TestParse(t *testing.T) {
	cases := []struct {
		script   []string
		stamp    bool
		dirs     []Dir
		errs     int
		warnings int
	}{
		{[]string{"./main"}, false, []Dir{{"./main", "s99999\nn9\nN9\n"}}, 0, 0},
		{[]string{"t", "s1000000", "n10", "./main"}, true, []Dir{{"./main", "s1000000\nn9\nN9\n"}}, 0, 0},
		{[]string{"s1", "n0", "/var/log/x"}, false, []Dir{{"/var/log/x", "s4096\nn1\nN1\n"}}, 0, 0},
		{[]string{"s99999999", "n3", "./a", "s5000", "./b"}, false, []Dir{{"./a", "s16777215\nn2\nN2\n"}, {"./b", "s5000\nn2\nN2\n"}}, 0, 0},
		{[]string{"s", "n", "./a"}, false, []Dir{{"./a", "s4096\nn1\nN1\n"}}, 0, 0},
		// t counts only as the first action
		{[]string{"s5000", "t", "./a"}, false, []Dir{{"./a", "s5000\nn9\nN9\n"}}, 0, 0},
		// patterns apply to the directories after them
		{[]string{"-*", "+a*", "./a", "-a+b", "./b"}, false, []Dir{
			{"./a", "s99999\nn9\nN9\n-*\n+a*\n"},
			{"./b", "s99999\nn9\nN9\n-*\n+a*\n-a++b\n"}}, 0, 0},
		// with stamps: "* fatal: *" and "@*" consume the stamp; "x" never matches
		{[]string{"t", "-*", "+* fatal: *", "-x", "+@*", "./a"}, true, []Dir{{"./a", "s99999\nn9\nN9\n-*\n+fatal: *\n+*\n"}}, 0, 0},
		// the outcome of *debug* would depend on the stamp's digits
		{[]string{"t", "-*debug*", "./a"}, true, []Dir{{"./a", "s99999\nn9\nN9\n-*debug*\n"}}, 0, 1},
		// processor, e, and things that are not supported
		{[]string{"!gzip", "-*", "+x*", "e", "=status", "./a", "./b"}, false, []Dir{
			{"./a", "s99999\nn9\nN9\n!gzip\n-*\n+x*\ne*\nE*\nex*\n"},
			{"./b", "s99999\nn9\nN9\n!gzip\n-*\n+x*\n"}}, 0, 1},
		{[]string{"e", "-a", "e"}, false, nil, 2, 0},
		{[]string{"e", "./a", "e"}, false, []Dir{{"./a", "s99999\nn9\nN9\ne*\n"}}, 1, 0},
		{[]string{"", "q", "!a\nb", "./a"}, false, []Dir{{"./a", "s99999\nn9\nN9\n"}}, 0, 1},
		{[]string{"+a\nb", "./a"}, false, []Dir{{"./a", "s99999\nn9\nN9\n"}}, 0, 0},
	}
	for _, c := range cases {
		p := Parse(c.script)
		if p.Stamp != c.stamp || len(p.Errs) != c.errs || len(p.Warnings) != c.warnings || len(p.Dirs) != len(c.dirs) {
			t.Errorf("Parse(%q) = %+v", c.script, p)
			continue
		}
		for i := range c.dirs {
			if p.Dirs[i] != c.dirs[i] {
				t.Errorf("Parse(%q) dir %d = %q, want %q", c.script, i, p.Dirs[i], c.dirs[i])
			}
		}
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		pat, s string
		want   bool
	}{
		{"hello", "hello", true},
		{"hello", "hello world", false},
		{"named[*]: Cleaned cache *", "named[135]: Cleaned cache of 3121 RRs.", true},
		{"*", "anything", true},
		{"*", "", true},
		{"a*", "a", true},
		{"*b", "aab", true},
		{"*b", "abb", false}, // no backtracking: the star stops at the first b
		{"*ab", "xab", true},
		{"*a", "aa", false}, // no backtracking: the star stops at the first a
		{"a+b", "a+b", true},
		{"a+b", "a++b", false},
		{"", "", true},
		{"", "x", false},
	}
	for _, c := range cases {
		if got := Match(c.pat, c.s); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.pat, c.s, got)
		}
	}
}

const testStamp = "@400000006b0101b831ba3b74 "

func TestTranslate(t *testing.T) {
	cases := []struct {
		pat   string
		stamp bool
		want  string
		how   int
	}{
		{"a+b", false, "a++b", Exact},
		{"* fatal: *", true, "fatal: *", Exact},
		{"*", true, "*", Exact},
		{"@*", true, "*", Exact},
		{"*@*", true, "*", Exact},
		{"*x*", true, "*x*", Exact},
		{"*@x", true, "", Never},     // the star stops at the stamp's @
		{"@*@x", true, "*@x", Exact}, // this @ is in the line
		{"x", true, "", Never},
		{"@", true, "", Never},
		{"@4*", true, "", Inexact},
		{"*d*", true, "", Inexact},
		{"a\nb", false, "", Never},
	}
	for _, c := range cases {
		got, how := Translate(c.pat, c.stamp)
		if got != c.want || how != c.how {
			t.Errorf("Translate(%q, %v) = %q, %d; want %q, %d", c.pat, c.stamp, got, how, c.want, c.how)
		}
	}
}

// FuzzTranslate: a translated pattern selects in svlogd (svlog.Match, on
// the line without stamp) exactly the lines multilog's pattern selects
// (on the stamped line), for patterns without '+' (whose translation is
// close but not exact) when the translation says it is exact.
func FuzzTranslate(f *testing.F) {
	for _, s := range [][2]string{{"* fatal: *", "fatal: x"}, {"@*", "x"}, {"*x*", "axb"}, {"*@y", "a@y"}, {"x", "x"}, {"", ""}, {"*", ""}} {
		f.Add(s[0], s[1], true)
		f.Add(s[0], s[1], false)
	}
	f.Fuzz(func(t *testing.T, pat, line string, stamp bool) {
		if strings.ContainsAny(line, "\n") || strings.Contains(pat, "+") {
			return
		}
		tr, how := Translate(pat, stamp)
		full := line
		if stamp {
			full = testStamp + line
		}
		want := Match(pat, full)
		switch how {
		case Never:
			if want {
				t.Fatalf("%q said never, but matches %q", pat, full)
			}
		case Exact:
			if got := svlog.Match([]byte(tr), []byte(line)); got != want {
				t.Fatalf("pattern %q (svlogd %q) on %q: multilog %v, svlogd %v", pat, tr, full, want, got)
			}
		}
	})
}

// FuzzParse: any script translates without panicking into configs that
// svlogd reads without a warning, with multilog's limits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"t\x00s1000000\x00n10\x00./main", "-*\x00+* fatal: *\x00e\x00./a\x00=st", "!gzip\x00s\x00n\x00/x", "e\x00e", "t\x00+@*\x00-*d*\x00./a\x00./b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		script := strings.Split(s, "\x00")
		p := Parse(script)
		n := 0
		for _, a := range script {
			if a != "" && (a[0] == '.' || a[0] == '/') {
				n++
			}
		}
		if len(p.Dirs) != n {
			t.Fatalf("%d directories for %q", len(p.Dirs), script)
		}
		for _, d := range p.Dirs {
			cfg, warnings := svlog.ParseConfig([]byte(d.Config))
			if len(warnings) > 0 || cfg.SizeMax < MinSize || cfg.SizeMax > MaxSize || cfg.NMax < MinNum-1 || cfg.NMin != cfg.NMax || cfg.UDP || cfg.TMax != 0 {
				t.Fatalf("config %q for %q: %+v %q", d.Config, script, cfg, warnings)
			}
		}
	})
}
