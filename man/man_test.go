// Package man holds the manual pages; its tests lint them.
package man

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// pages returns every man/*.[1-8] file.
func pages(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.[1-8]")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no manual pages found")
	}
	return files
}

// run runs a command and returns what it wrote to stdout and stderr.
func run(t *testing.T, name string, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout = &out
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil && errb.Len() == 0 && out.Len() == 0 {
		t.Errorf("%s %v: %v", name, args, err)
	}
	return out.String(), errb.String()
}

// TestLint: groff -ww reports nothing for any page, nor mandoc's linter
// at level warning when mandoc is installed.
func TestLint(t *testing.T) {
	if _, err := exec.LookPath("groff"); err != nil {
		t.Skip("groff is not installed (apt-get install groff-base); cannot lint the manual pages")
	}
	_, mandocErr := exec.LookPath("mandoc")
	for _, f := range pages(t) {
		t.Run(f, func(t *testing.T) {
			if _, e := run(t, "groff", "-ww", "-man", "-Tutf8", "-z", f); e != "" {
				t.Errorf("groff -ww -man -Tutf8 -z %s:\n%s", f, e)
			}
			if mandocErr != nil {
				return
			}
			if o, e := run(t, "mandoc", "-T", "lint", "-W", "warning", f); o+e != "" {
				t.Errorf("mandoc -T lint -W warning %s:\n%s%s", f, o, e)
			}
		})
	}
}

// commands are the names installed by gorunit; each needs a page in
// section 8.
var commands = []string{
	"runit", "runit-init", "runsvdir", "runsv", "sv", "svlogd", "chpst",
	"tai64nlocal", "utmpset", "runsvchdir", "svok", "svc", "svstat",
	"multilog", "envdir", "envuidgid", "setuidgid", "softlimit", "setlock",
	"pgrphack",
}

// TestEveryCommandHasPage: man/NAME.8 exists for every command.
func TestEveryCommandHasPage(t *testing.T) {
	for _, c := range commands {
		if _, err := os.Stat(c + ".8"); err != nil {
			t.Errorf("no manual page for %s: %v", c, err)
		}
	}
}
