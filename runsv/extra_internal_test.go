package runsv

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestParseMaxRestarts: N or N/SECONDS, runit's leading digits.
func TestParseMaxRestarts(t *testing.T) {
	for _, c := range []struct {
		in        string
		n, window uint64
	}{
		{"", 0, 0}, {"3\n", 3, 0}, {"3/10\n", 3, 10}, {"3/\n", 3, 0}, {"3 /10", 3, 0},
		{"x/10", 0, 0}, {"5/7s", 5, 7}, {"0/10", 0, 10},
	} {
		if n, w := parseMaxRestarts([]byte(c.in)); n != c.n || w != c.window {
			t.Errorf("%q: %d/%d, want %d/%d", c.in, n, w, c.n, c.window)
		}
	}
}

// TestReadAdditionConf: the check's files count only with an executable
// ./check; notification-fd is read with them.
func TestReadAdditionConf(t *testing.T) {
	for _, c := range []struct {
		name  string
		mode  os.FileMode // of ./check, 0: none
		files map[string]string
		want  Conf
	}{
		{"no ./check", 0, map[string]string{"check-interval": "5"}, Conf{}},
		{"./check not executable", 0o644, map[string]string{"check-interval": "5"}, Conf{}},
		{"./check", 0o755, map[string]string{"check-interval": "5\n", "check-timeout": "2", "check-failures": "4", "notification-fd": "3"},
			Conf{CheckInterval: 5, CheckTimeout: 2, CheckFailures: 4, Notify: true}},
		{"bad notification-fd", 0o755, map[string]string{"check-interval": "5\n", "notification-fd": "1"}, Conf{CheckInterval: 5}},
		{"max-restarts", 0, map[string]string{"max-restarts": "4/30\n"}, Conf{MaxRestarts: 4, RestartWindow: 30}},
	} {
		r, _ := scratch(t, c.files)
		dir := r.io[MainSvc].base
		if c.mode != 0 {
			os.WriteFile(filepath.Join(dir, "check"), []byte("#!/bin/sh\n"), c.mode)
		}
		r.initAdditions()
		var got Conf
		r.readAdditionConf(MainSvc, ConfCheck|ConfMaxRestarts, &got)
		if got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestExtraText: supervise/extra's lines, and no allocation when a
// writer finds nothing changed.
func TestExtraText(t *testing.T) {
	r, st := scratch(t, nil)
	r.initAdditions()
	r.st = *st
	s := &r.st.Main
	if got := string(r.extraText(MainSvc, nil)); got != "failed 0\ncheckfails 0\n" {
		t.Fatalf("before a start: %q", got)
	}
	s.Starts, s.HasEnded, s.Ended = 3, true, syscall.WaitStatus(9)
	s.CheckOn, s.Result, s.CheckFails, s.Failed = true, CheckFail, 2, true
	s.CheckedAt = time.Unix(1, 500)
	want := "restarts 2\nsignal 9\nfailed 1\ncheck fail\ncheckfails 2\nchecked @400000000000000b000001f4\n"
	if got := string(r.extraText(MainSvc, nil)); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	s.Ended = syscall.WaitStatus(3 << 8)
	s.CheckOn = false
	if got := string(r.extraText(MainSvc, nil)); got != "restarts 2\nexit 3\nfailed 1\ncheck none\ncheckfails 2\nchecked @400000000000000b000001f4\n" {
		t.Fatalf("got %q", got)
	}
	a := &r.add[MainSvc]
	a.last = append(a.last[:0], r.extraText(MainSvc, nil)...)
	a.written = true
	if n := testing.AllocsPerRun(100, func() { r.writeExtra(MainSvc) }); n != 0 {
		t.Fatalf("%v allocations per unchanged write", n)
	}
}
