package tai64

import (
	"bytes"
	"testing"
	"time"
)

func TestSpecExample(t *testing.T) {
	// From the spec: 40 00 00 00 6b 00 ea a8 | 3b 1d 91 5c
	b := []byte{0x40, 0, 0, 0, 0x6b, 0x00, 0xea, 0xa8, 0x3b, 0x1d, 0x91, 0x5c}
	n := Unpack(b)
	if n.Sec != 0x400000006b00eaa8 || n.Nano != 991793500 {
		t.Fatalf("unpack: %+v", n)
	}
	var out [12]byte
	n.Pack(out[:])
	if !bytes.Equal(out[:], b) {
		t.Fatalf("pack: % x", out)
	}
	if got := n.Unix(); got != 0x6b00eaa8-10 {
		t.Fatalf("unix: %d", got)
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		n    N
		text string
	}{
		{N{Base, 0}, "@400000000000000a00000000"},
		{N{0x400000006b00eaed, 0x1f83312c}, "@400000006b00eaed1f83312c"},
		{N{^uint64(0), ^uint32(0)}, "@ffffffffffffffffffffffff"},
	}
	for _, c := range cases {
		if got := c.n.String(); got != c.text {
			t.Errorf("%+v: got %q want %q", c.n, got, c.text)
		}
		back, ok := ParseText([]byte(c.text + " rest"))
		if !ok || back != c.n {
			t.Errorf("parse %q: %+v %v", c.text, back, ok)
		}
	}
	for _, bad := range []string{"", "@", "400000000000000a00000000x", "@400000000000000a0000000", "@40000000000000xa00000000"} {
		if _, ok := ParseText([]byte(bad)); ok {
			t.Errorf("parse %q accepted", bad)
		}
	}
	if n, ok := ParseText([]byte("@400000006B00EAED1F83312C")); !ok || n.Sec != 0x400000006b00eaed {
		t.Errorf("upper case hex rejected")
	}
}

func TestTimeRoundTrip(t *testing.T) {
	tm := time.Unix(1795225000, 123456789)
	n := FromTime(tm)
	if !n.Time().Equal(tm) {
		t.Fatalf("round trip %v != %v", n.Time(), tm)
	}
	now := Now()
	if now.Nano%1000 != 500 {
		t.Fatalf("Now nanoseconds not runit-style: %d", now.Nano)
	}
}

func FuzzParseText(f *testing.F) {
	f.Add([]byte("@400000006b00eaed1f83312c"))
	f.Add([]byte("@zz"))
	f.Fuzz(func(t *testing.T, b []byte) {
		n, ok := ParseText(b)
		if !ok {
			return
		}
		again := n.String()
		if !bytes.EqualFold([]byte(again), b[:TextLen]) {
			t.Fatalf("%q reparsed as %q", b[:TextLen], again)
		}
	})
}
