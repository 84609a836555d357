package svlog

import (
	"bytes"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"abc", "ab", false},
		{"*", "", true},
		{"*", "anything", true},
		{"*debug*", "this is debug stuff", true},
		{"*debug*", "no dbg here", false},
		{"*error*", "an error happened", true},
		{"*keep*", "keep me", true},
		{"*keep*", "drop me", false},
		// '*' stops at the first occurrence of the next character.
		{"*pid*", "tcpsvd: info: pid 1977", false},
		{"*pid*", "xpid", true},
		{"*p", "ap", true},
		{"*p", "apx", false},
		{"a*", "a", true},
		// '+c': one or more c; a line ending inside the run matches.
		{"a+bc", "abb", true},
		{"a+bc", "abbd", false},
		{"a+bc", "abbc", true},
		{"a+bc", "ab", true},
		{"a+bc", "ac", false},
		{"+a", "aaa", true},
		{"+ab", "aab", true},
		{"+ab", "aabb", false},
		{"x+", "x", false},
		{"**", "a*b", true},
		{"**", "ab", false},
	}
	for _, tt := range tests {
		if got := Match([]byte(tt.pat), []byte(tt.s)); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pat, tt.s, got, tt.want)
		}
	}
}

func FuzzMatch(f *testing.F) {
	for _, s := range [][2]string{{"*pid*", "tcpsvd: info: pid 1977"}, {"a+bc", "abbd"}, {"*", ""},
		{"-*x", "y"}, {"+", "\x00\x00"}, {"abc", "abc"}, {"**+*", "***"}} {
		f.Add([]byte(s[0]), []byte(s[1]))
	}
	f.Fuzz(func(t *testing.T, p, s []byte) {
		got := Match(p, s)
		if bytes.IndexByte(p, '*') < 0 && bytes.IndexByte(p, '+') < 0 && got != bytes.Equal(p, s) {
			t.Fatalf("literal %q vs %q: %v", p, s, got)
		}
		if bytes.IndexByte(p, '*') < 0 && bytes.IndexByte(p, '+') < 0 && !Match(append(append([]byte(nil), p...), '*'), append(append([]byte(nil), p...), s...)) {
			t.Fatalf("%q* does not match %q%q", p, p, s)
		}
		// A match never needs more line than the pattern can describe
		// when the pattern is literal; and "*" matches everything.
		if !Match([]byte("*"), s) {
			t.Fatal("* does not match")
		}
	})
}
