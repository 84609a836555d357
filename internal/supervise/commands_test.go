package supervise

import (
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

func TestIsCommand(t *testing.T) {
	const want = "udoxtkpchaiq12"
	for c := 0; c < 256; c++ {
		if got := IsCommand(byte(c)); got != (strings.IndexByte(want, byte(c)) >= 0) {
			t.Errorf("IsCommand(%q) = %v", byte(c), got)
		}
	}
	if len(Commands) != len(want) {
		t.Errorf("%d rows, want %d", len(Commands), len(want))
	}
}

// Every sv word in the table parses to bytes that include the row's byte,
// and every whole word's bytes list that word in their rows.
func TestSvWordsConsistent(t *testing.T) {
	for _, c := range Commands {
		for _, w := range c.SvWords {
			a, ok := SvCommand(w)
			if !ok || a.Kind != SvControl || strings.IndexByte(a.Bytes, c.Byte) < 0 {
				t.Errorf("%q: sv %q gives %+v %v", c.Byte, w, a, ok)
			}
		}
	}
	for _, w := range svWords {
		for i := 0; i < len(w.act.Bytes); i++ {
			r, ok := ByByte(w.act.Bytes[i])
			if !ok {
				if w.act.Bytes[i] != CheckByte {
					t.Errorf("%q sends %q, no command", w.word, w.act.Bytes[i])
				}
				continue
			}
			found := false
			for _, x := range r.SvWords {
				found = found || x == w.word
			}
			if !found {
				t.Errorf("row %q does not list %q", r.Byte, w.word)
			}
		}
	}
}

func TestSvCommand(t *testing.T) {
	cases := []struct {
		word string
		ok   bool
		a    SvAction
	}{
		{"up", true, SvAction{Bytes: "u"}},
		{"uxyz", true, SvAction{Bytes: "u"}},
		{"e", true, SvAction{Bytes: "x"}},
		{"Exit", true, SvAction{Bytes: "x", Force: true, Always: true}},
		{"Down", true, SvAction{Bytes: "d", Force: true, Always: true}},
		{"Term", true, SvAction{Bytes: "tc", Force: true, Always: true}},
		{"check", true, SvAction{Kind: SvCheck, Bytes: "C", Always: true}},
		{"cont", true, SvAction{Bytes: "c"}},
		{"try-restart", true, SvAction{Bytes: "tc", Always: true}},
		{"term", true, SvAction{Bytes: "t"}},
		{"status", true, SvAction{Kind: SvStatus, Bytes: "s"}},
		{"sx", true, SvAction{Kind: SvStatus, Bytes: "s"}},
		{"start", true, SvAction{Bytes: "u", Always: true}},
		{"restart", true, SvAction{Bytes: "tcu", Always: true}},
		{"rx", false, SvAction{}},
		{"force-stop", true, SvAction{Bytes: "d", Force: true, Always: true}},
		{"force", false, SvAction{}},
		{"", false, SvAction{}},
		{"z", false, SvAction{}},
		{"2", true, SvAction{Bytes: "2"}},
	}
	for _, c := range cases {
		a, ok := SvCommand(c.word)
		if ok != c.ok || a != c.a {
			t.Errorf("SvCommand(%q) = %+v %v, want %+v %v", c.word, a, ok, c.a, c.ok)
		}
	}
}

func TestLookups(t *testing.T) {
	if SvcOptions != "udoxtkpchai" {
		t.Errorf("SvcOptions %q", SvcOptions)
	}
	if r, ok := BySvcLetter('k'); !ok || r.Byte != CmdKill {
		t.Error("svc k")
	}
	if _, ok := BySvcLetter('q'); ok {
		t.Error("svc has no q")
	}
	if SignalOf(CmdHup) != unix.SIGHUP || SignalOf(CmdUp) != 0 || SignalOf('z') != 0 {
		t.Error("SignalOf")
	}
	if WaitOf(CheckByte) != WaitCheck || WaitOf('u') != WaitUp || WaitOf('h') != WaitNone {
		t.Error("WaitOf")
	}
}

func TestJudge(t *testing.T) {
	const start = 100
	rec := func(pid int, state, want byte, since uint64, paused, term bool) Record {
		r := Record{PID: pid, State: state, Want: want, Paused: paused, Term: term}
		r.Since.Sec = since
		return r
	}
	cases := []struct {
		w    Wait
		r    Record
		want Verdict
	}{
		{WaitUp, rec(5, Run, 'u', 50, false, false), MetIfReadyAndCheck},
		{WaitUp, rec(5, Finish, 'u', 50, false, false), NotYet},
		{WaitUp, rec(0, Down, 'u', 50, false, false), NotYet},
		{WaitDown, rec(0, Down, 'd', 50, false, false), Met},
		{WaitDown, rec(5, Run, 'd', 50, false, false), NotYet},
		{WaitDown, rec(0, Finish, 'd', 50, false, false), NotYet},
		{WaitCheck, rec(0, Down, 'd', 50, false, false), Met},
		{WaitCheck, rec(5, Run, 'u', 50, false, false), MetIfReadyAndCheck},
		{WaitRestart, rec(0, Down, 'd', 50, false, false), Met},
		{WaitRestart, rec(5, Run, 'u', 50, false, false), NotYet},
		{WaitRestart, rec(5, Run, 'u', 100, false, false), MetIfCheck},
		{WaitRestart, rec(5, Run, 'u', 100, false, true), NotYet},
		{WaitRestart, rec(0, Down, 'u', 100, false, false), NotYet},
		{WaitOnce, rec(0, Down, 'd', 50, false, false), NotYet},
		{WaitOnce, rec(0, Down, 'd', 100, false, false), Met},
		{WaitOnce, rec(5, Run, 'u', 100, false, false), NotYet},
		{WaitOnce, rec(5, Run, 'd', 50, false, false), Met},
		{WaitPaused, rec(5, Run, 'u', 50, false, false), NotYet},
		{WaitPaused, rec(5, Run, 'u', 50, true, false), Met},
		{WaitPaused, rec(0, Down, 'u', 50, false, false), Met},
		{WaitCont, rec(5, Run, 'u', 50, true, false), NotYet},
		{WaitCont, rec(5, Run, 'u', 50, false, false), Met},
		{WaitExit, rec(0, Down, 'd', 50, false, false), NotYet},
		{WaitNone, rec(5, Run, 'u', 50, false, false), Met},
	}
	for i, c := range cases {
		if got := c.w.Judge(c.r, start); got != c.want {
			t.Errorf("%d: %v.Judge(%+v) = %v, want %v", i, c.w, c.r, got, c.want)
		}
	}
}

func TestNotifyFD(t *testing.T) {
	cases := []struct {
		in string
		fd int
		ok bool
	}{{"3\n", 3, true}, {"1023", 1023, true}, {"1024", 0, false}, {"2", 0, false}, {"x", 0, false}, {"", 0, false}, {"7x", 7, true}}
	for _, c := range cases {
		fd, ok := NotifyFD([]byte(c.in))
		if fd != c.fd || ok != c.ok {
			t.Errorf("NotifyFD(%q) = %d %v", c.in, fd, ok)
		}
	}
}

func TestBuf(t *testing.T) {
	var b Buf
	r := Record{PID: 7, Paused: true, Want: WantDown, Term: true, State: Run}
	r.Encode((*[Size]byte)(&b))
	if !b.Paused() || !b.Term() || !b.TermIsOne() || b.Want() != WantDown || b.Record() != r {
		t.Fatalf("%v", b)
	}
	b[offTerm] = 2
	if !b.Term() || b.TermIsOne() {
		t.Fatal("term byte 2")
	}
}
