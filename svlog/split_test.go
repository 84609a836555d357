package svlog

import (
	"bytes"
	"math/rand"
	"testing"
)

// recorder is a Sink that records what it gets as text events.
type recorder struct {
	lines [][]byte // whole lines as a file would get them (head+tail)
	heads [][]byte // the significant part of each line
	long  []bool
	cur   []byte
	carry []bool
	open  bool
}

func (r *recorder) Line(b []byte, carried bool) {
	r.lines = append(r.lines, append(append([]byte(nil), b...), '\n'))
	r.heads = append(r.heads, append([]byte(nil), b...))
	r.long = append(r.long, false)
	r.carry = append(r.carry, carried)
}

func (r *recorder) Head(b []byte, carried bool) {
	if r.open {
		panic("Head while a long line is open")
	}
	r.open = true
	r.cur = append([]byte(nil), b...)
	r.heads = append(r.heads, append([]byte(nil), b...))
	r.long = append(r.long, true)
	r.carry = append(r.carry, carried)
}

func (r *recorder) Tail(b []byte, end bool) {
	if !r.open {
		panic("Tail without Head")
	}
	r.cur = append(r.cur, b...)
	if end {
		r.open = false
		r.lines = append(r.lines, r.cur)
		r.cur = nil
	}
}

// reference splits the whole input at once: what svlogd keeps of it (a
// final line without newline only if it reached the limit, then with a
// newline added).
func reference(in []byte, n int) (lines, heads [][]byte) {
	for len(in) > 0 {
		i := bytes.IndexByte(in, '\n')
		var l []byte
		if i < 0 {
			if len(in) < n {
				break
			}
			l, in = in, nil
		} else {
			l, in = in[:i], in[i+1:]
		}
		h := l
		if len(h) > n {
			h = h[:n]
		}
		lines = append(lines, append(append([]byte(nil), l...), '\n'))
		heads = append(heads, h)
	}
	return
}

func splitChunks(in []byte, n int, cuts []int) *recorder {
	r := &recorder{}
	s := NewSplitter(n)
	pos := 0
	for _, c := range cuts {
		if c > len(in) {
			c = len(in)
		}
		if c < pos {
			continue
		}
		s.Feed(in[pos:c], r)
		pos = c
	}
	s.Feed(in[pos:], r)
	s.Finish(r)
	return r
}

func checkSplit(t *testing.T, in []byte, n int, cuts []int) {
	t.Helper()
	r := splitChunks(in, n, cuts)
	lines, heads := reference(in, n)
	if len(r.lines) != len(lines) || len(r.heads) != len(heads) {
		t.Fatalf("in %q n %d cuts %v: got %d lines %q, want %d %q", in, n, cuts, len(r.lines), r.lines, len(lines), lines)
	}
	for i := range lines {
		if !bytes.Equal(r.lines[i], lines[i]) || !bytes.Equal(r.heads[i], heads[i]) {
			t.Fatalf("in %q n %d cuts %v: line %d got %q/%q want %q/%q", in, n, cuts, i, r.lines[i], r.heads[i], lines[i], heads[i])
		}
		if r.long[i] != (len(lines[i])-1 >= n) {
			t.Fatalf("line %q: long=%v with limit %d", lines[i], r.long[i], n)
		}
	}
}

func TestSplit(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		cuts []int
	}{
		{"one\ntwo\nthree", 1000, nil},
		{"one\ntwo\nthree", 1000, []int{1, 2, 5, 9}},
		{"123456789\n1234567890\n12345678901\n\n", 10, nil},
		{"123456789\n1234567890\n12345678901\n\n", 10, []int{3, 11, 12, 20, 25, 33}},
		{"x\nAAAAAAAAAAAAAAAAAAAAAAAAA", 10, nil},
		{"x\nAAAAA", 10, nil},
		{"y\nAAAAAAAAAA", 10, []int{5}},
		{"\n\n\n", 1, nil},
		{"ab\ncd\n", 1, []int{1, 2, 3, 4}},
	}
	for _, tt := range tests {
		checkSplit(t, []byte(tt.in), tt.n, tt.cuts)
	}
}

func TestSplitCarried(t *testing.T) {
	r := &recorder{}
	s := NewSplitter(100)
	s.Feed([]byte("a\nbc"), r)
	if !s.Fresh() {
		t.Fatal("pending line not fresh")
	}
	s.Feed([]byte("d"), r)
	if s.Fresh() {
		t.Fatal("pending line still fresh after a second feed")
	}
	s.Feed([]byte("e\nf\n"), r)
	want := []bool{false, true, false}
	for i, c := range want {
		if r.carry[i] != c {
			t.Fatalf("carried %v, want %v", r.carry, want)
		}
	}
	if n := s.Finish(r); n != 0 {
		t.Fatalf("Finish dropped %d", n)
	}
	s.Feed([]byte("tail"), r)
	if n := s.Finish(r); n != 4 {
		t.Fatalf("Finish dropped %d, want 4", n)
	}
}

func TestSplitRandom(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	for i := 0; i < 2000; i++ {
		in := make([]byte, rnd.Intn(200))
		for j := range in {
			in[j] = "ab\n"[rnd.Intn(3)]
		}
		var cuts []int
		for j := rnd.Intn(10); j > 0; j-- {
			cuts = append(cuts, rnd.Intn(len(in)+1))
		}
		checkSplit(t, in, 1+rnd.Intn(20), cuts)
	}
}

func FuzzSplit(f *testing.F) {
	f.Add([]byte("one\ntwo\nthree"), uint8(10), []byte{1, 5})
	f.Add([]byte("123456789\n1234567890\n12345678901\n\n"), uint8(10), []byte{3, 8, 12})
	f.Add([]byte("x\nAAAAAAAAAAAAAAAAAAAAAAAAA"), uint8(10), []byte{})
	f.Add([]byte("\n\n"), uint8(1), []byte{0, 1})
	f.Fuzz(func(t *testing.T, in []byte, n uint8, cutb []byte) {
		var cuts []int
		pos := 0
		for _, c := range cutb {
			pos += int(c)
			cuts = append(cuts, pos)
		}
		checkSplit(t, in, int(n%64)+1, cuts)
	})
}
