package svlog

import "bytes"

// Sink receives the lines a Splitter cuts out of the input.
//
// A line shorter than the limit arrives whole through Line. A line of the
// limit's length or longer arrives as its first limit bytes through Head
// and the rest through one or more Tail calls, the last of which has end
// set and includes the terminating newline. carried tells that the line
// began in an earlier Feed (its time stamp is the one of that read). The
// byte slices are only valid during the call; Line and Head may modify them
// in place (runit's -r/-R replacement does).
type Sink interface {
	Line(b []byte, carried bool)
	Head(b []byte, carried bool)
	Tail(b []byte, end bool)
}

// Splitter cuts input into lines of at most Len significant bytes (runit's
// -l len: the part used for matching, stderr and UDP; files always get the
// whole line). It keeps at most Len-1 bytes of an incomplete line between
// Feeds; its buffer grows with the longest incomplete line kept (so that a
// huge -l costs nothing until used) and is then reused.
type Splitter struct {
	n      int    // the line length limit (>= 1)
	pend   []byte // the start of an incomplete line shorter than n
	inTail bool   // the head of a long line went out; its tail continues
	fresh  bool   // pend was started by the latest Feed
	any    bool   // pend holds a line start (possibly empty: never, see Feed)
}

// NewSplitter returns a Splitter for lines limited to n bytes (n >= 1).
func NewSplitter(n int) *Splitter {
	if n < 1 {
		n = 1
	}
	return &Splitter{n: n, pend: make([]byte, 0, min(n, 4096))}
}

// Feed hands every line that chunk completes (or whose first Len bytes it
// completes) to sink and keeps the rest.
func (s *Splitter) Feed(chunk []byte, sink Sink) {
	s.fresh = false
	for len(chunk) > 0 {
		if s.inTail {
			i := bytes.IndexByte(chunk, '\n')
			if i < 0 {
				sink.Tail(chunk, false)
				return
			}
			s.inTail = false
			sink.Tail(chunk[:i+1], true)
			chunk = chunk[i+1:]
			continue
		}
		if s.any {
			need := s.n - len(s.pend)
			look := chunk
			if len(look) > need {
				look = look[:need]
			}
			if i := bytes.IndexByte(look, '\n'); i >= 0 {
				s.pend = append(s.pend, chunk[:i]...)
				s.any = false
				sink.Line(s.pend, true)
				s.pend = s.pend[:0]
				chunk = chunk[i+1:]
				continue
			}
			if len(chunk) < need {
				s.pend = append(s.pend, chunk...)
				return
			}
			s.pend = append(s.pend, chunk[:need]...)
			s.any = false
			s.inTail = true
			sink.Head(s.pend, true)
			s.pend = s.pend[:0]
			chunk = chunk[need:]
			continue
		}
		look := chunk
		if len(look) > s.n {
			look = look[:s.n]
		}
		if i := bytes.IndexByte(look, '\n'); i >= 0 {
			sink.Line(chunk[:i], false)
			chunk = chunk[i+1:]
			continue
		}
		if len(chunk) < s.n {
			s.pend = append(s.pend[:0], chunk...)
			s.any, s.fresh = true, true
			return
		}
		s.inTail = true
		sink.Head(chunk[:s.n], false)
		chunk = chunk[s.n:]
	}
}

// Partial reports whether an incomplete line shorter than the limit is
// pending, and its length.
func (s *Splitter) Partial() (bool, int) { return s.any, len(s.pend) }

// Fresh reports whether the pending incomplete line began in the latest
// Feed.
func (s *Splitter) Fresh() bool { return s.any && s.fresh }

// InTail reports whether the head of a long line went out and its end has
// not been seen yet.
func (s *Splitter) InTail() bool { return s.inTail }

// Finish ends the input as runit does at end of file: a long line whose
// head went out is terminated with a newline (through Tail); a pending
// shorter fragment is dropped. It returns the number of bytes dropped.
func (s *Splitter) Finish(sink Sink) int {
	if s.inTail {
		s.inTail = false
		sink.Tail([]byte{'\n'}, true)
	}
	n := 0
	if s.any {
		n = len(s.pend)
		s.any = false
		s.pend = s.pend[:0]
	}
	return n
}
