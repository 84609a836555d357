package svlog

// Match reports whether the line s matches pattern p by runit's rules. The
// match is anchored at both ends. A normal character matches itself. '*'
// at the end of the pattern matches the rest of the line; '*' followed by
// a character c skips up to (not including) the first c, failing if there
// is none. '+' followed by c matches one or more c; if the line ends while
// that run is being consumed the pattern matches, whatever follows in it
// (runit's quirk). There is no '?' and no escaping.
func Match(p, s []byte) bool {
	for {
		if len(p) == 0 {
			return len(s) == 0
		}
		c := p[0]
		p = p[1:]
		switch c {
		case '*':
			if len(p) == 0 {
				return true
			}
			c = p[0]
			i := 0
			for i < len(s) && s[i] != c {
				i++
			}
			if i == len(s) {
				return false
			}
			s = s[i:]
		case '+':
			// A '+' that ends the pattern stands for the C string's NUL.
			c = 0
			if len(p) > 0 {
				c = p[0]
				p = p[1:]
			}
			if len(s) == 0 || s[0] != c {
				return false
			}
			for len(s) > 0 && s[0] == c {
				s = s[1:]
			}
			if len(s) == 0 {
				return true
			}
		default:
			if len(s) == 0 || s[0] != c {
				return false
			}
			s = s[1:]
		}
	}
}
