package sgetopt

import "testing"

// TestDoubleDashWord: a word starting with "--" ends the options and is
// consumed, whatever follows the two dashes, as in runit ("sv --x status
// svc" runs status on svc). Found by reliability's FuzzArgsSv, FuzzArgsSvlogd
// and FuzzArgsUtmpset (input "--0"), which compare with runit's binaries.
func TestDoubleDashWord(t *testing.T) {
	for _, args := range [][]string{{"--0", "-v", "x"}, {"--", "-v", "x"}, {"---", "-v", "x"}} {
		p := New("prog", args, "v")
		if o, _ := p.Next(); o != 0 {
			t.Errorf("%q: option %q, want the end of options", args, o)
		}
		if rest := p.Rest(); len(rest) != 2 || rest[0] != "-v" {
			t.Errorf("%q: rest %q", args, rest)
		}
	}
}
