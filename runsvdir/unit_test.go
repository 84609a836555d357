package runsvdir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"gorunit/internal/sysio"
)

func TestParseArgs(t *testing.T) {
	cases := []struct {
		args []string
		pgrp bool
		rest string
		ok   bool
	}{
		{nil, false, "", false},
		{[]string{"dir"}, false, "dir", true},
		{[]string{"dir", "log: ......"}, false, "dir|log: ......", true},
		{[]string{"-P", "dir", "log", "extra"}, true, "dir|log|extra", true},
		{[]string{"-Pxyz", "dir"}, true, "dir", true},
		{[]string{"--", "dir"}, false, "dir", true},
		{[]string{"--x", "-P"}, false, "-P", true}, // only the first argument is an option
		{[]string{"-V"}, false, "-V", true},        // not an option: the directory
		{[]string{"-"}, false, "-", true},
		{[]string{"-P"}, true, "", false},
		{[]string{"--"}, false, "", false},
		{[]string{""}, false, "", true},
	}
	for _, c := range cases {
		pgrp, rest, ok := parseArgs(c.args)
		if pgrp != c.pgrp || strings.Join(rest, "|") != c.rest || ok != c.ok {
			t.Errorf("parseArgs(%q) = %v, %q, %v; want %v, %q, %v", c.args, pgrp, rest, ok, c.pgrp, c.rest, c.ok)
		}
	}
}

func FuzzParseArgs(f *testing.F) {
	f.Add("-P", "dir", "log")
	f.Add("--", "", "")
	f.Add("-", "-P", "x")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		args := []string{a, b, c}
		pgrp, rest, ok := parseArgs(args)
		if ok != (len(rest) > 0) || len(rest) < 2 || len(rest) > 3 {
			t.Fatalf("parseArgs(%q) = %v %q %v", args, pgrp, rest, ok)
		}
		if pgrp && !strings.HasPrefix(a, "-P") {
			t.Fatalf("-P mode from %q", a)
		}
		if consumed := len(rest) == 2; consumed != (strings.HasPrefix(a, "-P") || strings.HasPrefix(a, "--")) {
			t.Fatalf("parseArgs(%q): rest %q", args, rest)
		}
	})
}

func TestLookPath(t *testing.T) {
	root := t.TempDir()
	mk := func(dir string, mode os.FileMode, isDir bool) string {
		d := filepath.Join(root, dir)
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(d, "runsv")
		if isDir {
			if err := os.Mkdir(p, mode); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
		return d
	}
	noexec := mk("noexec", 0o644, false)
	isdir := mk("isdir", 0o755, true)
	good := mk("good", 0o755, false)
	empty := filepath.Join(root, "empty")
	os.Mkdir(empty, 0o755)
	cases := []struct {
		path string
		want string
		err  error
	}{
		{good, good + "/runsv", nil},
		{empty + ":" + good, good + "/runsv", nil},
		{isdir + ":" + good, good + "/runsv", nil},
		{empty, "", unix.ENOENT},
		{empty + ":/nonexistent", "", unix.ENOENT},
		{isdir, "", unix.EACCES},
		{isdir + ":" + empty, "", unix.EACCES},
		{"", "", unix.ENOENT}, // the current directory, which has none
		{noexec, "", unix.EACCES},
		{noexec + ":" + good, good + "/runsv", nil},
	}
	var st unix.Stat_t
	for _, c := range cases {
		got, err := sysio.LookPath("runsv", c.path, &st)
		if got != c.want || err != c.err {
			t.Errorf("LookPath(runsv, %q) = %q, %v; want %q, %v", c.path, got, err, c.want, c.err)
		}
	}
}
