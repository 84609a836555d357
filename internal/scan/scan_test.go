package scan

import "testing"

func TestUlong(t *testing.T) {
	cases := []struct {
		in   string
		v    uint64
		used int
	}{
		{"", 0, 0}, {"x", 0, 0}, {"5", 5, 1}, {"12abc", 12, 2}, {" 1", 0, 0},
		{"-3", 0, 0}, {"+3", 0, 0}, {"007", 7, 3}, {"18446744073709551615", 18446744073709551615, 20},
	}
	for _, c := range cases {
		v, n := Ulong(c.in)
		if v != c.v || n != c.used {
			t.Errorf("Ulong(%q) = %d,%d want %d,%d", c.in, v, n, c.v, c.used)
		}
	}
}

func FuzzUlong(f *testing.F) {
	f.Add("123x")
	f.Fuzz(func(t *testing.T, s string) {
		_, n := Ulong(s)
		if n > len(s) {
			t.Fatal("consumed more than given")
		}
		for i := 0; i < n; i++ {
			if s[i] < '0' || s[i] > '9' {
				t.Fatal("consumed a non-digit")
			}
		}
		if n < len(s) && s[n] >= '0' && s[n] <= '9' {
			t.Fatal("stopped before a digit")
		}
	})
}
