package sgetopt

import (
	"reflect"
	"strings"
	"testing"
)

type ev struct {
	opt byte
	arg string
}

func run(args []string, opts string) (evs []ev, rest []string) {
	p := New("t", args, opts)
	p.Quiet = true
	for {
		o, a := p.Next()
		if o == 0 {
			break
		}
		if o == Bad {
			evs = append(evs, ev{Bad, string([]byte{p.Problem})})
			continue
		}
		evs = append(evs, ev{o, a})
	}
	return evs, p.Rest()
}

func TestParse(t *testing.T) {
	cases := []struct {
		args []string
		opts string
		evs  []ev
		rest []string
	}{
		{[]string{}, "v", nil, []string{}},
		{[]string{"status", "-v", "x"}, "vw:", nil, []string{"status", "-v", "x"}},
		{[]string{"-v", "-w", "5", "up", "x"}, "vw:", []ev{{'v', ""}, {'w', "5"}}, []string{"up", "x"}},
		{[]string{"-w5", "up"}, "vw:", []ev{{'w', "5"}}, []string{"up"}},
		{[]string{"-vw5", "up"}, "vw:", []ev{{'v', ""}, {'w', "5"}}, []string{"up"}},
		{[]string{"-vw", "-x", "up"}, "vw:", []ev{{'v', ""}, {'w', "-x"}}, []string{"up"}},
		{[]string{"-012", "prog"}, "012", []ev{{'0', ""}, {'1', ""}, {'2', ""}}, []string{"prog"}},
		{[]string{"--", "-v"}, "v", nil, []string{"-v"}},
		{[]string{"-", "x"}, "v", nil, []string{"-", "x"}},
		{[]string{"-z", "x"}, "v", []ev{{Bad, "z"}}, []string{"x"}},
		{[]string{"-vz", "x"}, "v", []ev{{'v', ""}, {Bad, "z"}}, []string{"x"}},
		{[]string{"-w"}, "w:", []ev{{Bad, "w"}}, []string{}},
		{[]string{"-:"}, "w:", []ev{{Bad, ":"}}, []string{}},
		{[]string{"-/", "/root", "prog"}, "/:", []ev{{'/', "/root"}}, []string{"prog"}},
	}
	for _, c := range cases {
		evs, rest := run(c.args, c.opts)
		if !reflect.DeepEqual(evs, c.evs) || !reflect.DeepEqual(rest, c.rest) {
			t.Errorf("%q %q: got %v %q, want %v %q", c.args, c.opts, evs, rest, c.evs, c.rest)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("-vw5 up x", "vw:")
	f.Add("-- -x", "x")
	f.Fuzz(func(t *testing.T, line, opts string) {
		args := strings.Fields(line)
		p := New("t", args, opts)
		p.Quiet = true
		for i := 0; i < len(line)+2; i++ {
			if o, _ := p.Next(); o == 0 {
				r := p.Rest()
				if len(r) > len(args) {
					t.Fatal("rest longer than args")
				}
				return
			}
		}
		t.Fatal("parser did not terminate")
	})
}
