// Package tai64 encodes and decodes TAI64 and TAI64N labels as runit uses them.
//
// A TAI64 label is the big-endian 64-bit value 2^62 + 10 + unix seconds (leap
// seconds ignored, as runit does). TAI64N appends a big-endian 32-bit
// nanosecond count. The external text form is '@' followed by the 12 bytes
// as 24 lowercase hex digits.
package tai64

import "time"

// Base is the TAI64 label of the unix epoch.
const Base = uint64(1)<<62 + 10

// N is a TAI64N label: Sec is the full TAI64 label, Nano the nanoseconds.
type N struct {
	Sec  uint64
	Nano uint32
}

// FromTime converts a wall-clock time to a TAI64N label.
func FromTime(t time.Time) N {
	return N{Sec: Base + uint64(t.Unix()), Nano: uint32(t.Nanosecond())}
}

// Now returns the current time the way runit derives it from gettimeofday:
// nanoseconds are 1000 x microseconds + 500.
func Now() N {
	t := time.Now()
	return N{Sec: Base + uint64(t.Unix()), Nano: uint32(t.Nanosecond()/1000*1000 + 500)}
}

// Unix returns the unix seconds of the label.
func (n N) Unix() int64 { return int64(n.Sec - Base) }

// Time converts the label back to a wall-clock time.
func (n N) Time() time.Time { return time.Unix(int64(n.Sec-Base), int64(n.Nano)) }

// Pack writes the 12-byte binary form into b, which must hold 12 bytes.
func (n N) Pack(b []byte) {
	_ = b[11]
	for i := 0; i < 8; i++ {
		b[i] = byte(n.Sec >> (56 - 8*i))
	}
	b[8] = byte(n.Nano >> 24)
	b[9] = byte(n.Nano >> 16)
	b[10] = byte(n.Nano >> 8)
	b[11] = byte(n.Nano)
}

// Unpack reads a 12-byte binary label.
func Unpack(b []byte) N {
	_ = b[11]
	var s uint64
	for i := 0; i < 8; i++ {
		s = s<<8 | uint64(b[i])
	}
	return N{Sec: s, Nano: uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11])}
}

const hexdigits = "0123456789abcdef"

// TextLen is the length of the text form: '@' and 24 hex digits.
const TextLen = 25

// AppendText appends the text form ("@" + 24 lowercase hex digits).
func (n N) AppendText(dst []byte) []byte {
	var b [12]byte
	n.Pack(b[:])
	dst = append(dst, '@')
	for _, c := range b {
		dst = append(dst, hexdigits[c>>4], hexdigits[c&15])
	}
	return dst
}

// String returns the text form.
func (n N) String() string { return string(n.AppendText(make([]byte, 0, TextLen))) }

func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ParseText parses the text form at the start of s ('@' and 24 hex digits,
// either case). It reports false if s does not start with a complete label.
func ParseText(s []byte) (N, bool) {
	if len(s) < TextLen || s[0] != '@' {
		return N{}, false
	}
	var b [12]byte
	for i := 0; i < 12; i++ {
		h, ok1 := unhex(s[1+2*i])
		l, ok2 := unhex(s[2+2*i])
		if !ok1 || !ok2 {
			return N{}, false
		}
		b[i] = h<<4 | l
	}
	return Unpack(b[:]), true
}
