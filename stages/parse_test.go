package stages

import (
	"strings"
	"testing"
)

func TestParseExitcode(t *testing.T) {
	for _, c := range []struct {
		in   string
		code int
		ok   bool
	}{
		{"3\n", 3, true}, {"0", 0, true}, {"255", 255, true}, {"256", 0, true},
		{"300 trailing", 44, true}, {"", 0, false}, {"\n", 0, false}, {"x7", 0, false},
		{" 7", 0, false}, {"-1", 0, false}, {"99999999999999999999999", 255, true},
	} {
		code, ok := parseExitcode([]byte(c.in))
		if code != c.code || ok != c.ok {
			t.Errorf("parseExitcode(%q) = %d, %v; want %d, %v", c.in, code, ok, c.code, c.ok)
		}
	}
}

func FuzzParseExitcode(f *testing.F) {
	for _, s := range []string{"3\n", "", "256", "x", "18446744073709551616"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		code, ok := parseExitcode(b)
		if code < 0 || code > 255 || (!ok && code != 0) {
			t.Fatalf("parseExitcode(%q) = %d, %v", b, code, ok)
		}
		if ok != (len(b) > 0 && b[0] >= '0' && b[0] <= '9') {
			t.Fatalf("parseExitcode(%q): ok = %v", b, ok)
		}
	})
}

const sampleMountinfo = `22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
23 22 0:5 / /proc rw,nosuid - proc proc rw
24 22 0:21 / /mnt/my\040disk rw - vfat /dev/sdb1 rw
25 22 0:22 / /weird\134name rw shared:3 master:1 - tmpfs tmpfs rw
short line
`

func TestParseMountinfo(t *testing.T) {
	got := parseMountinfo(sampleMountinfo)
	want := []mountinfo{{"/", "ext4"}, {"/proc", "proc"}, {"/mnt/my disk", "vfat"}, {`/weird\name`, "tmpfs"}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("entry %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	f.Add(sampleMountinfo)
	f.Add(`1 2 3 4 \0 6 - `)
	f.Fuzz(func(t *testing.T, s string) {
		for _, m := range parseMountinfo(s) {
			if strings.ContainsAny(m.point, " \t\n") && !strings.Contains(s, `\0`) {
				t.Fatalf("unescaped blank in %q from %q", m.point, s)
			}
		}
	})
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		"/a": "/a", `/a\040b`: "/a b", `\011\012\134`: "\t\n\\", `\04`: `\04`, `\999`: `\999`, `x\`: `x\`,
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzUnescapeOctal(f *testing.F) {
	for _, s := range []string{`/a\040b`, `\`, `\0`, `\777`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := unescapeOctal(s); len(got) > len(s) {
			t.Fatalf("unescapeOctal(%q) grew to %q", s, got)
		}
	})
}
