// Package scan parses numbers the way runit's scan_ulong does: leading
// unsigned decimal digits, no sign, no white space, stopping at the first
// non-digit.
package scan

// Ulong parses the leading decimal digits of s. It returns the value and
// the number of bytes consumed (0 if s does not start with a digit, in
// which case the value is 0). Overflow wraps, as in C.
func Ulong(s string) (uint64, int) {
	var v uint64
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		v = v*10 + uint64(s[i]-'0')
		i++
	}
	return v, i
}

// Value is Ulong without the length.
func Value(s string) uint64 {
	v, _ := Ulong(s)
	return v
}
