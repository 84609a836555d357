package man

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// pages returns the manual pages in this directory, by file name.
func pages(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, pat := range []string{"*.7", "*.8"} {
		m, err := filepath.Glob(pat)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatal("no manual pages found")
	}
	return out
}

// makeList returns the words of the Makefile variable name.
func makeList(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == name && fields[1] == "=" {
			return fields[2:]
		}
	}
	t.Fatalf("Makefile: no %s = line", name)
	return nil
}

// TestEveryCommandHasAPage: every command and personality that make
// install installs has a page in section 8, and the overview exists.
func TestEveryCommandHasAPage(t *testing.T) {
	names := append(makeList(t, "COMMANDS"), makeList(t, "PERSONALITIES")...)
	if len(names) < 10 {
		t.Fatalf("Makefile lists only %v", names)
	}
	for _, n := range append(names, "gorunit.7") {
		if !strings.Contains(n, ".") {
			n += ".8"
		}
		if _, err := os.Stat(n); err != nil {
			t.Errorf("no manual page for %s: %v", n, err)
		}
	}
}

var (
	thRe  = regexp.MustCompile(`(?m)^\.TH ([^ ]+) ([0-9])`)
	shRe  = regexp.MustCompile(`(?m)^\.SH "?([^"\n]+)"?$`)
	refRe = regexp.MustCompile(`(?m)^\.BR ([a-z0-9_.-]+) \(([78])\)`)
)

// external pages in sections 7 and 8 that ours may refer to.
var external = map[string]bool{"init(8)": true, "reboot(8)": true, "man(7)": true}

// TestPageStructure: the title matches the file name, the sections every
// page must have are there, and every reference to a page in section 7
// or 8 names one of ours (or a known system page).
func TestPageStructure(t *testing.T) {
	have := map[string]bool{}
	for _, p := range pages(t) {
		ext := filepath.Ext(p)
		have[strings.TrimSuffix(p, ext)+"("+ext[1:]+")"] = true
	}
	for _, p := range pages(t) {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ext := filepath.Ext(p)
		name := strings.TrimSuffix(p, ext)
		m := thRe.FindSubmatch(b)
		if m == nil || string(m[1]) != strings.ToUpper(name) || string(m[2]) != ext[1:] {
			t.Errorf("%s: .TH must be %q %s", p, strings.ToUpper(name), ext[1:])
		}
		if !bytes.Contains(b, []byte("\n"+name+" \\- ")) && !bytes.Contains(b, []byte("\n"+name+", ")) {
			t.Errorf("%s: NAME line does not start with %q", p, name+` \-`)
		}
		secs := map[string]bool{}
		for _, s := range shRe.FindAllSubmatch(b, -1) {
			secs[string(s[1])] = true
		}
		need := []string{"NAME", "DESCRIPTION", "SEE ALSO"}
		if ext == ".8" {
			need = append(need, "SYNOPSIS", "EXIT STATUS", "DIFFERENCES FROM RUNIT")
		}
		for _, s := range need {
			if !secs[s] {
				t.Errorf("%s: no %s section", p, s)
			}
		}
		for _, r := range refRe.FindAllSubmatch(b, -1) {
			ref := string(r[1]) + "(" + string(r[2]) + ")"
			if !have[ref] && !external[ref] {
				t.Errorf("%s: refers to %s, which is not a page here", p, ref)
			}
		}
	}
}

// TestLint runs mandoc -T lint -W warning and groff -ww (whichever are
// installed) on every page; any message fails.
func TestLint(t *testing.T) {
	type linter struct {
		name string
		args func(page string) []string
	}
	var linters []linter
	if _, err := exec.LookPath("mandoc"); err == nil {
		linters = append(linters, linter{"mandoc", func(p string) []string {
			return []string{"-T", "lint", "-W", "warning", p}
		}})
	}
	if _, err := exec.LookPath("groff"); err == nil {
		linters = append(linters, linter{"groff", func(p string) []string {
			return []string{"-ww", "-man", "-Tutf8", "-z", p}
		}})
	}
	if len(linters) == 0 {
		t.Skip("neither mandoc nor groff is installed (apt-get install mandoc): manual pages not linted")
	}
	for _, l := range linters {
		for _, p := range pages(t) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			cmd := exec.CommandContext(ctx, l.name, l.args(p)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			cancel()
			if err != nil || out.Len() > 0 {
				t.Errorf("%s %s: %v\n%s", l.name, p, err, out.String())
			}
		}
	}
}
