package supervise

import (
	"bytes"
	"testing"
)

// FuzzDecodeRecord: any 20 bytes decode (other lengths are refused), and
// decoding is a fixpoint after one round trip: Encode writes the paused
// and term flags as 0 or 1 (runit's sv takes any non-zero byte as set), so
// a record re-encodes to itself except for those two bytes, which become
// 0/1 according to whether they were zero. The text forms never panic.
// (FuzzDecode in status_test.go demands a byte-exact round trip, which
// fails for flag bytes other than 0 and 1, e.g. twenty '0' bytes; that is
// a property of the test, not a decoder bug.)
func FuzzDecodeRecord(f *testing.F) {
	f.Add(bytes.Repeat([]byte("0"), Size))
	f.Add(make([]byte, Size))
	f.Add([]byte("\x40\x00\x00\x00\x6b\x00\xed\x71\x39\x0d\x08\xac\x2b\x3d\x00\x00\x00u\x00\x01"))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if (err == nil) != (len(b) == Size) {
			t.Fatalf("Decode(% x): %v", b, err)
		}
		if err != nil {
			return
		}
		var out [Size]byte
		r.Encode(&out)
		want := append([]byte(nil), b...)
		want[16], want[18] = bool2byte(b[16] != 0), bool2byte(b[18] != 0)
		if !bytes.Equal(out[:], want) {
			t.Fatalf("re-encoded % x as % x", b, out)
		}
		r2, err := Decode(out[:])
		if err != nil || r2 != r {
			t.Fatalf("second decode %+v, first %+v (%v)", r2, r, err)
		}
		_ = Line("x", r, r.Since.Sec+1, false)
		_ = Line("x", r, 0, true)
		_ = StatLine(r.State, r.Paused, r.Term, int(r.Want))
	})
}
