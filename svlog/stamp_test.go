package svlog

import (
	"testing"
	"time"
)

func TestAppendStamp(t *testing.T) {
	for _, sec := range []int64{0, 951782400, 1795222885, 4102444799, 253402300799} {
		for _, usec := range []int64{0, 9, 128170, 999999} {
			tm := time.Unix(sec, usec*1000).UTC()
			frac := tm.Format(".000000")[:6]
			if got, want := string(AppendStamp(nil, StampUTC, sec, usec)), tm.Format("2006-01-02_15:04:05")+frac+" "; got != want {
				t.Errorf("-tt %d.%06d: %q, want %q", sec, usec, got, want)
			}
			if got, want := string(AppendStamp(nil, StampISO, sec, usec)), tm.Format("2006-01-02T15:04:05")+frac+" "; got != want {
				t.Errorf("-ttt %d.%06d: %q, want %q", sec, usec, got, want)
			}
		}
	}
	// The spec's example label and runit's nanoseconds (1000 x usec + 500).
	if got, want := string(AppendStamp(nil, StampTAI64N, 1795222885, 0)), "@400000006b00ed6f000001f4 "; got != want {
		t.Errorf("-t: %q, want %q", got, want)
	}
	if got := AppendStamp([]byte("x"), StampNone, 1, 2); string(got) != "x" {
		t.Errorf("no stamp: %q", got)
	}
	for d := int64(-800000); d < 3000000; d += 37 {
		y, m, dd := civil(d)
		tm := time.Unix(d*86400, 0).UTC()
		if y != tm.Year() || m != int(tm.Month()) || dd != tm.Day() {
			t.Fatalf("civil(%d) = %d-%d-%d, want %v", d, y, m, dd, tm)
		}
	}
}
