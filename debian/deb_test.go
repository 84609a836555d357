// Package debian holds the Debian package's files (control.in and the
// maintainer scripts, filled in by scripts/mkdeb.sh) and its layout test.
// The boot test of the package is scripts/deb-test.sh (make deb-test).
package debian

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"gorunit/internal/testenv"
)

// TestPackageLayout builds the package from a ./bin made of links to one
// multi-call binary (symbolic links and a hard link) and a few man pages,
// and checks where everything lands: runit's commands at Debian runit's
// paths and diverted, the daemontools names and chpst's personalities in
// /usr/lib/gorunit/bin, the binary itself once, the man pages by name.
func TestPackageLayout(t *testing.T) {
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb not installed")
	}
	dir := t.TempDir()
	bin, man, out := filepath.Join(dir, "bin"), filepath.Join(dir, "man"), filepath.Join(dir, "out")
	for _, d := range []string{bin, man, out} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(bin, "gorunit"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	links := []string{"runit", "runit-init", "runsvdir", "runsv", "sv", "svlogd", "chpst", "utmpset", "runsvchdir",
		"svok", "svc", "svstat", "multilog", "envdir", "setuidgid"}
	for _, l := range links {
		if err := os.Symlink("gorunit", filepath.Join(bin, l)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Link(filepath.Join(bin, "gorunit"), filepath.Join(bin, "tai64nlocal")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"sv.8", "svok.8", "gorunit.7"} {
		if err := os.WriteFile(filepath.Join(man, p), []byte(".TH X 8\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(filepath.Join(testenv.Root(t), "scripts", "mkdeb.sh"), out)
	cmd.Env = append(os.Environ(), "BIN="+bin, "MAN="+man, "DEB_VERSION=1.2.3")
	res, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mkdeb.sh: %v\n%s", err, res)
	}
	deb := strings.TrimSpace(string(res))
	if filepath.Base(deb) != "gorunit_1.2.3_"+arch(t)+".deb" {
		t.Fatalf("mkdeb.sh made %q", deb)
	}

	// path -> "file" or "-> target"
	list, err := exec.Command("dpkg-deb", "-c", deb).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(list)), "\n") {
		f := strings.Fields(l)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		p := strings.TrimPrefix(f[5], ".")
		switch {
		case strings.HasPrefix(f[0], "l") && len(f) == 8:
			got[p] = "-> " + f[7]
		case strings.HasPrefix(f[0], "-"):
			if f[1] != "root/root" {
				t.Errorf("%s owned by %s", p, f[1])
			}
			got[p] = "file"
		default:
			t.Errorf("unexpected entry %q", l)
		}
	}
	paths := map[string]string{
		"runit": "/sbin", "runit-init": "/lib/runit",
		"runsvdir": "/usr/bin", "runsv": "/usr/bin", "sv": "/usr/bin", "svlogd": "/usr/bin", "chpst": "/usr/bin",
		"utmpset": "/usr/sbin", "runsvchdir": "/usr/sbin", "gorunit": "/lib/runit",
	}
	real := ""
	for _, c := range append(links, "tai64nlocal", "gorunit") {
		d, ok := paths[c]
		if !ok {
			d = "/usr/lib/gorunit/bin"
		}
		p := d + "/" + c
		switch kind := got[p]; {
		case kind == "file" && real == "":
			real = p
		case kind == "file":
			t.Errorf("%s and %s: the one binary installed twice", real, p)
		case kind == "":
			t.Errorf("%s: not in the package", p)
		}
		delete(got, p)
	}
	// The binary picks its command by the name it is run under: the real
	// file must be named gorunit, never after one command (a file
	// /usr/bin/chpst made /sbin/init run chpst).
	if real != "/lib/runit/gorunit" {
		t.Errorf("the binary is %s, want /lib/runit/gorunit", real)
	}
	for p, kind := range got {
		if strings.HasPrefix(kind, "-> ") && kind != "-> "+real {
			t.Errorf("%s %s, want -> %s", p, kind, real)
		}
	}
	for _, want := range []string{"/usr/share/man/man8/sv.8.gz", "/usr/lib/gorunit/man/man8/svok.8.gz",
		"/usr/share/man/man7/gorunit.7.gz", "/usr/share/doc/gorunit/copyright"} {
		if got[want] != "file" {
			t.Errorf("%s: %q, want a file", want, got[want])
		}
		delete(got, want)
	}
	for p, kind := range got {
		if kind == "file" && p != "/usr/share/doc/gorunit/README.md.gz" {
			t.Errorf("unexpected file %s", p)
		}
	}

	ctl := t.TempDir()
	if out, err := exec.Command("dpkg-deb", "-e", deb, ctl).CombinedOutput(); err != nil {
		t.Fatalf("dpkg-deb -e: %v %s", err, out)
	}
	control, _ := os.ReadFile(filepath.Join(ctl, "control"))
	for _, re := range []string{`(?m)^Package: gorunit$`, `(?m)^Version: 1\.2\.3$`, `(?m)^Depends: runit \(>= 2\.1\.2-43~\)$`} {
		if !regexp.MustCompile(re).Match(control) {
			t.Errorf("control does not match %s:\n%s", re, control)
		}
	}
	pre, _ := os.ReadFile(filepath.Join(ctl, "preinst"))
	m := regexp.MustCompile(`(?m)^\tfor f in (.*); do$`).FindSubmatch(pre)
	if m == nil {
		t.Fatalf("preinst has no diversion list:\n%s", pre)
	}
	diverted := strings.Fields(string(m[1]))
	sort.Strings(diverted)
	var want []string
	for c, d := range paths {
		if c != "gorunit" { // ours alone: nothing to divert
			want = append(want, d+"/"+c)
		}
	}
	want = append(want, "/usr/share/man/man8/sv.8.gz")
	sort.Strings(want)
	if strings.Join(diverted, " ") != strings.Join(want, " ") {
		t.Errorf("diverted %q\nwant     %q", diverted, want)
	}
	post, _ := os.ReadFile(filepath.Join(ctl, "postrm"))
	if !strings.Contains(string(post), "for f in "+string(m[1])+"; do") {
		t.Errorf("postrm does not undo preinst's diversions:\n%s", post)
	}
}

func arch(t *testing.T) string {
	out, err := exec.Command("dpkg", "--print-architecture").Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}
