package passwd

import (
	"os"
	"path/filepath"
	"testing"
)

const pw = `# comment
root:x:0:0:root:/root:/bin/bash

  spaced:x:5:6::/:/bin/sh
bad:x:1x:2::/:
neg:x:-1:-2::/:
big:x:99999999999999999999:3::/:
plus:x:+7:8
short:x:5
noshell:x:9:10
+nis
-nis2:x:1:1::/:
dup:x:11:11::/:
dup:x:12:12::/:
`

func TestFindUser(t *testing.T) {
	for _, c := range []struct {
		name     string
		ok       bool
		uid, gid uint32
	}{
		{"root", true, 0, 0}, {"spaced", true, 5, 6}, {"bad", false, 0, 0}, {"neg", true, 4294967295, 4294967294},
		{"big", true, 4294967295, 3}, {"plus", true, 7, 8}, {"short", false, 0, 0}, {"noshell", true, 9, 10},
		{"+nis", false, 0, 0}, {"-nis2", false, 0, 0}, {"dup", true, 11, 11}, {"nosuch", false, 0, 0},
		{"", false, 0, 0}, {"# comment", false, 0, 0},
	} {
		u, ok := FindUser([]byte(pw), c.name)
		if ok != c.ok || (ok && (u.UID != c.uid || u.GID != c.gid)) {
			t.Errorf("FindUser(%q) = %+v %v", c.name, u, ok)
		}
	}
}

func TestFindGroup(t *testing.T) {
	gr := "root:x:0:\nwheel:x:10:root,bob\nnogid:x:\nlast:x:99"
	for name, want := range map[string]int{"root": 0, "wheel": 10, "nogid": -1, "last": 99, "x": -1} {
		g, ok := FindGroup([]byte(gr), name)
		if (want < 0) == ok || (ok && int(g) != want) {
			t.Errorf("FindGroup(%q) = %d %v", name, g, ok)
		}
	}
	d := t.TempDir()
	if _, _, err := LookupUser(filepath.Join(d, "none"), "root"); err == nil {
		t.Error("missing file: no error")
	}
	os.WriteFile(filepath.Join(d, "group"), []byte(gr), 0644)
	if g, ok, err := LookupGroup(filepath.Join(d, "group"), "wheel"); err != nil || !ok || g != 10 {
		t.Errorf("LookupGroup = %d %v %v", g, ok, err)
	}
}

func FuzzFind(f *testing.F) {
	f.Add([]byte(pw), "root")
	f.Add([]byte("a:b:1:2\n"), "a")
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		FindUser(data, name)
		FindGroup(data, name)
		// A well-formed line appended is found unless an earlier line
		// for the same name exists.
		if name == "" || name[0] == '+' || name[0] == '-' || name[0] == '#' {
			return
		}
		for _, c := range name {
			if c == ':' || c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' {
				return
			}
		}
		u, ok := FindUser([]byte(name+":x:42:43:::\n"), name)
		if !ok || u.UID != 42 || u.GID != 43 {
			t.Fatalf("FindUser(%q) on its own line = %+v %v", name, u, ok)
		}
	})
}
