package envdir

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
)

func TestValue(t *testing.T) {
	for in, want := range map[string]string{
		"value1\nsecond": "value1", "\n": "", "a\x00b\x00\n": "a\nb\n", "trailing \t \t\nx": "trailing",
		"  lead": "  lead", "   \t": "", "cr\r\n": "cr\r", "x\x00 \t": "x\n", "noeol": "noeol",
	} {
		if got := Value([]byte(in)); got != want {
			t.Errorf("Value(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRead(t *testing.T) {
	d := t.TempDir()
	for n, c := range map[string]string{"FOO": "bar\nbaz", "EMPTY": "", "NL": "\n", ".DOT": "x"} {
		os.WriteFile(filepath.Join(d, n), []byte(c), 0644)
	}
	os.Mkdir(filepath.Join(d, "sub"), 0755)
	var warned []string
	got, err := Read(d, Options{SkipDirs: true, Warn: func(s string) { warned = append(warned, s) }})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if want := []string{"EMPTY", "FOO=bar", "NL="}; !reflect.DeepEqual(got, want) {
		t.Errorf("Read = %q, want %q", got, want)
	}
	if len(warned) != 1 || warned[0] != "unable to read "+d+"/sub: is a directory" {
		t.Errorf("warnings %q", warned)
	}
	_, err = Read(d, Options{})
	if err == nil || err.(*Error).Msg() != "unable to read "+d+"/sub: is a directory" {
		t.Errorf("sub-directory: %v", err)
	}
	_, err = Read(filepath.Join(d, "nonexistent"), Options{})
	if err == nil || err.(*Error).Msg() != "unable to switch to directory: "+d+"/nonexistent: file does not exist" {
		t.Errorf("missing: %v", err)
	}
	wd, _ := os.Getwd()
	if wd2, _ := os.Getwd(); wd2 != wd {
		t.Errorf("working directory changed")
	}
}

// FuzzRead writes fuzzed contents to a file and reads the directory.
func FuzzRead(f *testing.F) {
	for _, s := range []string{"", "\n", "a\x00b", "x \t\ny", strings.Repeat("z", 600), "\x00\x00\n"} {
		f.Add("NAME", s)
	}
	f.Add(".hidden", "v")
	f.Add("A=B", "v")
	d := f.TempDir()
	f.Fuzz(func(t *testing.T, name, content string) {
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\x00") {
			return
		}
		dir, err := os.MkdirTemp(d, "e")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0644); err != nil {
			return
		}
		got, err := Read(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		switch {
		case name[0] == '.':
		case content == "":
			want = []string{name}
		default:
			want = []string{name + "=" + Value([]byte(content))}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Read = %q, want %q", got, want)
		}
		if v := Value([]byte(content)); strings.ContainsRune(v, 0) || strings.HasSuffix(v, " ") || strings.HasSuffix(v, "\t") {
			t.Fatalf("Value(%q) = %q", content, v)
		}
	})
}
