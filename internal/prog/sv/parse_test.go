package sv

import (
	"reflect"
	"strings"
	"testing"

	"gorunit/internal/supervise"
	"gorunit/internal/tai64"
)

func TestParse(t *testing.T) {
	type want struct {
		acts     string
		act      int
		waits    bool
		kill     bool
		verbose  bool
		wait     uint64
		services []string
	}
	const C, S, N = actControl, actStatus, actNone
	svc := []string{"x"}
	cases := []struct {
		argv   string // argv[0] first, split on spaces
		svwait string // "-" = unset
		want   *want  // nil = usage error
	}{
		{"sv status x", "-", &want{"s", S, false, false, false, 7, svc}},
		{"sv s x y", "-", &want{"s", S, false, false, false, 7, []string{"x", "y"}}},
		{"sv stat x", "-", &want{"s", S, false, false, false, 7, svc}},
		{"sv -v status x", "-", &want{"s", S, false, false, true, 7, svc}},
		{"sv status -v x", "-", &want{"s", S, false, false, false, 7, []string{"-v", "x"}}},
		{"sv up x", "-", &want{"u", C, false, false, false, 7, svc}},
		{"sv -v up x", "-", &want{"u", C, true, false, true, 7, svc}},
		{"sv -w 3 up x", "-", &want{"u", C, true, false, true, 3, svc}},
		{"sv -w3 up x", "9", &want{"u", C, true, false, true, 3, svc}},
		{"sv -w x up x", "-", &want{"u", C, true, false, true, 0, svc}},
		{"sv -w 12abc up x", "-", &want{"u", C, true, false, true, 12, svc}},
		{"sv -v up x", "12", &want{"u", C, true, false, true, 12, svc}},
		{"sv -v up x", "", &want{"u", C, true, false, true, 0, svc}},
		{"sv -vw2 up x", "-", &want{"u", C, true, false, true, 2, svc}},
		{"sv -- up x", "-", &want{"u", C, false, false, false, 7, svc}},
		{"sv upper x", "-", &want{"u", C, false, false, false, 7, svc}},
		{"sv down x", "-", &want{"d", C, false, false, false, 7, svc}},
		{"sv once x", "-", &want{"o", C, false, false, false, 7, svc}},
		{"sv pause x", "-", &want{"p", C, false, false, false, 7, svc}},
		{"sv cont x", "-", &want{"c", C, false, false, false, 7, svc}},
		{"sv c x", "-", &want{"c", C, false, false, false, 7, svc}},
		{"sv chec x", "-", &want{"c", C, false, false, false, 7, svc}},
		{"sv check x", "-", &want{"C", N, true, false, false, 7, svc}},
		{"sv hup x", "-", &want{"h", C, false, false, false, 7, svc}},
		{"sv alarm x", "-", &want{"a", C, false, false, false, 7, svc}},
		{"sv interrupt x", "-", &want{"i", C, false, false, false, 7, svc}},
		{"sv quit x", "-", &want{"q", C, false, false, false, 7, svc}},
		{"sv 1 x", "-", &want{"1", C, false, false, false, 7, svc}},
		{"sv 2 x", "-", &want{"2", C, false, false, false, 7, svc}},
		{"sv term x", "-", &want{"t", C, false, false, false, 7, svc}},
		{"sv try x", "-", &want{"t", C, false, false, false, 7, svc}},
		{"sv try-restart x", "-", &want{"tc", C, true, false, false, 7, svc}},
		{"sv kill x", "-", &want{"k", C, false, false, false, 7, svc}},
		{"sv exit x", "-", &want{"x", C, false, false, false, 7, svc}},
		{"sv e x", "-", &want{"x", C, false, false, false, 7, svc}},
		{"sv -v exit x", "-", &want{"x", C, true, false, true, 7, svc}},
		{"sv X x", "-", &want{"x", C, true, true, false, 7, svc}},
		{"sv Exit x", "-", &want{"x", C, true, true, false, 7, svc}},
		{"sv Down x", "-", &want{"d", C, true, true, false, 7, svc}},
		{"sv Term x", "-", &want{"tc", C, true, true, false, 7, svc}},
		{"sv start x", "-", &want{"u", C, true, false, false, 7, svc}},
		{"sv stop x", "-", &want{"d", C, true, false, false, 7, svc}},
		{"sv reload x", "-", &want{"h", C, true, false, false, 7, svc}},
		{"sv restart x", "-", &want{"tcu", C, true, false, false, 7, svc}},
		{"sv shutdown x", "-", &want{"x", C, true, false, false, 7, svc}},
		{"sv force-stop x", "-", &want{"d", C, true, true, false, 7, svc}},
		{"sv force-reload x", "-", &want{"tc", C, true, true, false, 7, svc}},
		{"sv force-restart x", "-", &want{"tcu", C, true, true, false, 7, svc}},
		{"sv force-shutdown x", "-", &want{"x", C, true, true, false, 7, svc}},
		{"/usr/bin/sv up x", "-", &want{"u", C, false, false, false, 7, svc}},
		{"sv", "-", nil},
		{"sv status", "-", nil},
		{"sv -v", "-", nil},
		{"sv -V status x", "-", nil},
		{"sv -z status x", "-", nil},
		{"sv -w", "-", nil},
		{"sv bogus x", "-", nil},
		{"sv r x", "-", nil},
		{"sv restar x", "-", nil},
		{"sv f x", "-", nil},
		{"sv force x", "-", nil},
		{"sv U x", "-", nil},
		{"sv - x", "-", nil},
		// LSB mode: the service is the name sv was invoked under
		{"/etc/init.d/demo status", "-", &want{"s", S, false, false, false, 7, []string{"demo"}}},
		{"demo status extra args", "-", &want{"s", S, false, false, false, 7, []string{"demo"}}},
		{"demo -w 2 start", "-", &want{"u", C, true, false, true, 2, []string{"demo"}}},
		{"demo up", "-", &want{"u", C, false, false, false, 7, []string{"demo"}}},
		{"demo stop", "-", &want{"d", C, true, false, false, 7, []string{"demo"}}},
		{"demo shutdown", "-", &want{"x", C, true, false, false, 7, []string{"demo"}}},
		{"demo stat", "-", nil},
		{"demo s", "-", nil},
		{"demo", "-", nil},
		{"demo bogus", "-", nil},
	}
	for _, c := range cases {
		argv := strings.Split(c.argv, " ")
		got, uerr := parse(argv, c.svwait, c.svwait != "-", true)
		if c.want == nil {
			if uerr == nil {
				t.Errorf("%q: no usage error, got %+v", c.argv, got)
			}
			continue
		}
		if uerr != nil {
			t.Errorf("%q: usage error", c.argv)
			continue
		}
		w := c.want
		g := want{got.acts, got.act, got.waits, got.kill, got.verbose, got.wait, got.services}
		if !reflect.DeepEqual(g, *w) {
			t.Errorf("%q: got %+v want %+v", c.argv, g, *w)
		}
		if got.lsb != (basename(argv[0]) != "sv") {
			t.Errorf("%q: lsb %v", c.argv, got.lsb)
		}
	}
	if _, u := parse([]string{"sv", "-V"}, "", false, true); u == nil || !u.version {
		t.Error("-V: no version usage error")
	}
}

func TestLine(t *testing.T) {
	since := uint64(0x400000006b00eaa8)
	cases := []struct {
		pid   int
		state byte
		name  string
		out   string
	}{
		{11601, supervise.Run, "demo", "run: demo: (pid 11601) 2s"},
		{0x7fffffff, supervise.Run, "demo", "run: demo: (pid 2147483647) 2s"},
		{0x80000000, supervise.Run, "demo", "run: demo: (pid 18446744071562067968) 2s"},
		{0xffffffff, supervise.Finish, "a (pid 4294967295) b", "finish: a (pid 4294967295) b: (pid 18446744073709551615) 2s"},
		{0xffffffff, 9, "x", "x: (pid 18446744073709551615) 2s"},
		{0xffffffff, supervise.Down, "x", "down: x: 2s"},
	}
	for _, c := range cases {
		r := supervise.Record{Since: tai64.N{Sec: since}, PID: c.pid, Want: 'u', State: c.state}
		if got := line(c.name, r, since+2, false); got != c.out {
			t.Errorf("line(%q, pid %d state %d) = %q want %q", c.name, c.pid, c.state, got, c.out)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"sv\x00status\x00x", "sv\x00-vw5\x00up\x00x\x00y", "sv\x00force-restart\x00a",
		"demo\x00-w\x002\x00start", "sv\x00-V", "sv\x00--\x00check\x00x", "/etc/init.d/x\x00stat",
		"sv\x00try-restart\x00x", "sv\x00-w", "\x00status\x00x",
	} {
		f.Add(s, "7")
	}
	f.Fuzz(func(t *testing.T, line, svwait string) {
		argv := strings.Split(line, "\x00")
		c, u := parse(argv, svwait, svwait != "", true)
		c2, u2 := parse(argv, svwait, svwait != "", true)
		if !reflect.DeepEqual(c, c2) || !reflect.DeepEqual(u, u2) {
			t.Fatal("parse is not deterministic")
		}
		if u != nil {
			if c != nil {
				t.Fatal("config with a usage error")
			}
			return
		}
		if c.lsb != (basename(argv[0]) != "sv") {
			t.Fatalf("lsb = %v for argv[0] %q", c.lsb, argv[0])
		}
		if len(c.services) == 0 || (c.lsb && (len(c.services) != 1 || c.services[0] != basename(argv[0]))) {
			t.Fatalf("services %q", c.services)
		}
		if c.acts == "" || strings.Trim(c.acts, "udoxtcpahiqk12sC") != "" {
			t.Fatalf("acts %q", c.acts)
		}
		if (c.act == actStatus) != (c.acts == "s") || (c.act == actNone) != (c.acts == "C") {
			t.Fatalf("act %d with acts %q", c.act, c.acts)
		}
		if c.act == actStatus && c.waits || c.kill && !c.waits {
			t.Fatalf("waits %v kill %v for %q", c.waits, c.kill, c.acts)
		}
	})
}
