package proctitle

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ref is the byte-at-a-time definition: every non-NUL byte shifts the
// area left by one and lands in the last position.
func ref(area, p []byte) {
	for _, c := range p {
		if c == 0 {
			continue
		}
		copy(area, area[1:])
		area[len(area)-1] = c
	}
}

func newArea(t testing.TB, s string, keep int) (*Area, []byte) {
	b := []byte(s)
	a := New(string(b[:0:0])+string(b), keep) // a heap copy: writable
	if a == nil {
		t.Fatalf("New(%q, %d) = nil", s, keep)
	}
	return a, append([]byte(nil), s[keep:]...)
}

func TestWrite(t *testing.T) {
	cases := []struct {
		init   string
		writes []string
		want   string
	}{
		{"log: ..........", nil, ".........."},
		{"log: ..........", []string{"ab"}, "........ab"},
		{"log: ..........", []string{"a\x00b\x00"}, "........ab"},
		{"log: ..........", []string{"0123456789"}, "0123456789"},
		{"log: ..........", []string{"0123456789abc"}, "3456789abc"},
		{"log: ..........", []string{"0123456789ab\x00c\x00\x00"}, "3456789abc"},
		{"log: ..........", []string{"hello\n", "world\n"}, "llo\nworld\n"},
		{"log: ..........", []string{"\x00\x00\x00"}, ".........."},
		{"log: ab", []string{"xyz"}, "yz"},
		{"log: a", []string{"xyz"}, "z"},
	}
	for _, c := range cases {
		a, _ := newArea(t, c.init, 5)
		for _, w := range c.writes {
			if n, err := a.Write([]byte(w)); n != len(w) || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
		}
		if got := string(a.Bytes()); got != c.want {
			t.Errorf("%q after %q: got %q, want %q", c.init, c.writes, got, c.want)
		}
	}
}

func TestNewTooShort(t *testing.T) {
	for _, s := range []string{"", "log:", "log: "} {
		if New(s, 5) != nil {
			t.Errorf("New(%q, 5) != nil", s)
		}
	}
}

func FuzzWrite(f *testing.F) {
	f.Add("log: ..........", []byte("hello\x00world\n"), []byte("x"))
	f.Add("log: ab", []byte(""), []byte("\x00"))
	f.Add("12345678901234567890", []byte(strings.Repeat("z", 40)), []byte("q\x00r"))
	f.Fuzz(func(t *testing.T, init string, p1, p2 []byte) {
		if len(init) <= 5 {
			return
		}
		a, want := newArea(t, init, 5)
		for _, p := range [][]byte{p1, p2} {
			a.Write(p)
			ref(want, p)
			if !bytes.Equal(a.Bytes(), want) {
				t.Fatalf("got %q, want %q", a.Bytes(), want)
			}
		}
	})
}

// TestCmdline overwrites a real process's argument (this test binary run
// again as a helper) and reads it back through /proc/PID/cmdline, as ps
// does.
func TestCmdline(t *testing.T) {
	if os.Getenv("PROCTITLE_HELPER") == "1" {
		a := New(os.Args[len(os.Args)-1], 5)
		a.Write([]byte("first\x00 line\nsecond line\n"))
		os.Stdout.Write([]byte("ready\n"))
		time.Sleep(time.Minute)
		return
	}
	arg := "log: " + strings.Repeat(".", 20)
	cmd := exec.Command(os.Args[0], "-test.run=^TestCmdline$", arg)
	cmd.Env = append(os.Environ(), "PROCTITLE_HELPER=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	buf := make([]byte, 6)
	if _, err := out.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("helper: %q %v", buf, err)
	}
	cl, err := os.ReadFile("/proc/" + itoa(cmd.Process.Pid) + "/cmdline")
	if err != nil {
		t.Fatal(err)
	}
	args := strings.Split(strings.TrimSuffix(string(cl), "\x00"), "\x00")
	got := args[len(args)-1]
	if want := "log: st line\nsecond line\n"; got != want {
		t.Fatalf("cmdline shows %q, want %q (all: %q)", got, want, cl)
	}
	if len(got) != len(arg) {
		t.Fatalf("length changed")
	}
}

func itoa(v int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		if v == 0 {
			return string(b[i:])
		}
	}
}
