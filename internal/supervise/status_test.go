package supervise

import (
	"bytes"
	"testing"

	"gorunit/internal/tai64"
)

// The spec's example record [T§2].
var example = []byte{0x40, 0, 0, 0, 0x6b, 0x00, 0xea, 0xa8, 0x3b, 0x1d, 0x91, 0x5c, 0x51, 0x2d, 0, 0, 0, 0x75, 0, 1}

func TestSpecExample(t *testing.T) {
	r, err := Decode(example)
	if err != nil {
		t.Fatal(err)
	}
	want := Record{Since: tai64.N{Sec: 0x400000006b00eaa8, Nano: 991793500}, PID: 11601, Want: 'u', State: Run}
	if r != want {
		t.Fatalf("decoded %+v, want %+v", r, want)
	}
	var b [Size]byte
	r.Encode(&b)
	if !bytes.Equal(b[:], example) {
		t.Fatalf("encoded % x", b)
	}
}

func TestRoundTrip(t *testing.T) {
	for _, r := range []Record{
		{},
		{Since: tai64.N{Sec: 0x400000006b00ead2, Nano: 0x2bdfbe2c}, PID: 11937, Want: 'd', Term: true, State: Run},
		{PID: 0x7fffffff, Paused: true, Want: 'u', State: Finish},
		{PID: 1, Want: 'd', State: Down},
	} {
		var b [Size]byte
		r.Encode(&b)
		got, err := Decode(b[:])
		if err != nil || got != r {
			t.Errorf("round trip %+v -> %+v %v", r, got, err)
		}
	}
	for _, n := range []int{0, 18, 19, 21} {
		if _, err := Decode(make([]byte, n)); err != ErrFormat {
			t.Errorf("length %d accepted", n)
		}
	}
}

func TestStatLine(t *testing.T) {
	cases := []struct {
		state        byte
		paused, term bool
		want         int
		out          string
	}{
		{Run, false, false, InternalWantUp, "run\n"},
		{Down, false, false, InternalWantUp, "down\n"},
		{Down, false, false, InternalWantDown, "down\n"},
		{Run, true, false, InternalWantUp, "run, paused\n"},
		{Run, false, true, InternalWantExit, "run, got TERM, want exit\n"},
		{Run, false, true, InternalWantDown, "run, got TERM, want down\n"},
		{Finish, false, false, InternalWantDown, "finish, want down\n"},
		{Down, true, true, InternalWantExit, "down, paused, got TERM\n"},
	}
	for _, c := range cases {
		if got := StatLine(c.state, c.paused, c.term, c.want); got != c.out {
			t.Errorf("StatLine(%v) = %q want %q", c, got, c.out)
		}
	}
}

func TestLine(t *testing.T) {
	since := uint64(0x400000006b00eaa8)
	rec := func(pid int, want byte, state byte, paused, term bool) Record {
		return Record{Since: tai64.N{Sec: since}, PID: pid, Want: want, State: state, Paused: paused, Term: term}
	}
	cases := []struct {
		r    Record
		now  uint64
		down bool
		out  string
	}{
		{rec(11601, 'u', Run, false, false), since + 2, false, "run: demo: (pid 11601) 2s"},
		{rec(0, 'd', Down, false, false), since + 2, false, "down: demo: 2s, normally up"},
		{rec(11654, 'u', Run, true, false), since + 13, false, "run: demo: (pid 11654) 13s, paused"},
		{rec(11654, 'u', Run, false, false), since + 13, true, "run: demo: (pid 11654) 13s, normally down"},
		{rec(11654, 'd', Run, false, false), since + 13, false, "run: demo: (pid 11654) 13s, want down"},
		{rec(0, 'u', Down, false, false), since, false, "down: demo: 0s, normally up, want up"},
		{rec(11937, 'd', Run, false, true), since + 8, false, "run: demo: (pid 11937) 8s, want down, got TERM"},
		{rec(12042, 'd', Finish, false, false), since + 11, false, "finish: demo: (pid 12042) 11s, want down"},
		{rec(0, 'd', Down, false, false), since + 5, true, "down: demo: 5s"},
		{rec(0, 'u', Down, false, false), since - 5, true, "down: demo: 0s, want up"},
		{rec(0, 'u', 7, false, false), since, true, "demo: (pid 0) 0s, want up"},
	}
	for _, c := range cases {
		if got := Line("demo", c.r, c.now, c.down); got != c.out {
			t.Errorf("Line(%+v) = %q want %q", c.r, got, c.out)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(example)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			if len(b) == Size {
				t.Fatal("rejected a 20-byte record")
			}
			return
		}
		var out [Size]byte
		r.Encode(&out)
		// Any non-zero paused/TERM byte reads as set (as runit's sv
		// does) and is written back as 1; everything else round-trips.
		want := append([]byte(nil), b...)
		for _, i := range []int{16, 18} {
			if want[i] != 0 {
				want[i] = 1
			}
		}
		if !bytes.Equal(out[:], want) {
			t.Fatalf("re-encoded % x as % x", b, out)
		}
		_ = Line("x", r, r.Since.Sec+1, false)
	})
}
