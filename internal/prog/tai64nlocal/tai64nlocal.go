// Package tai64nlocal is tai64nlocal: it copies lines, converting a leading
// TAI64N stamp ("@" and 24 hex digits) to local time written as
// "YYYY-MM-DD HH:MM:SS.nnnnnnnnn", as daemontools' tai64nlocal does. Lines
// without a stamp are copied unchanged.
package tai64nlocal

import (
	"bufio"
	"io"
	"time"

	"gorunit/internal/tai64"
)

// stampLen is the length of a stamp: '@' and 24 hex digits.
const stampLen = tai64.TextLen

// AppendLocal appends the local-time text of a TAI64N label.
func AppendLocal(dst []byte, n tai64.N, loc *time.Location) []byte {
	t := time.Unix(n.Unix(), int64(n.Nano)).In(loc)
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	dst = appendInt(dst, y, 1)
	dst = append(dst, '-')
	dst = appendInt(dst, int(mo), 2)
	dst = append(dst, '-')
	dst = appendInt(dst, d, 2)
	dst = append(dst, ' ')
	dst = appendInt(dst, h, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, mi, 2)
	dst = append(dst, ':')
	dst = appendInt(dst, s, 2)
	dst = append(dst, '.')
	return appendInt(dst, int(n.Nano), 9)
}

func appendInt(dst []byte, v, width int) []byte {
	if v < 0 {
		dst = append(dst, '-')
		v = -v
	}
	var b [20]byte
	i := len(b)
	for v > 0 || width > 0 || i == len(b) {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
		width--
	}
	return append(dst, b[i:]...)
}

// stamp parses a stamp at the start of b: '@' and 24 hex digits.
func stamp(b []byte) (tai64.N, bool) {
	if len(b) < stampLen || b[0] != '@' {
		return tai64.N{}, false
	}
	return tai64.ParseText(b[:stampLen])
}

// ConvertLine appends line (with or without its newline) to dst with a
// leading stamp converted to local time.
func ConvertLine(dst, line []byte, loc *time.Location) []byte {
	if n, ok := stamp(line); ok && n.Sec >= tai64.Base-1<<40 && n.Sec <= tai64.Base+1<<40 && n.Nano < 1e9 {
		dst = AppendLocal(dst, n, loc)
		line = line[stampLen:]
	}
	return append(dst, line...)
}

// ReadError and WriteError tell which side of Filter failed.
type (
	ReadError  struct{ Err error }
	WriteError struct{ Err error }
)

func (e ReadError) Error() string  { return "read: " + e.Err.Error() }
func (e WriteError) Error() string { return "write: " + e.Err.Error() }
func (e ReadError) Unwrap() error  { return e.Err }
func (e WriteError) Unwrap() error { return e.Err }

// Filter copies r to w converting stamps. Output is flushed whenever no
// more input is buffered, so that it works at the end of `tail -f`. A last
// line without newline is copied as it is.
func Filter(r io.Reader, w io.Writer, loc *time.Location) error {
	br := bufio.NewReaderSize(r, 16<<10)
	bw := bufio.NewWriterSize(w, 16<<10)
	var conv []byte
	start := true // at the start of a line
	for {
		if br.Buffered() == 0 {
			if err := bw.Flush(); err != nil {
				return WriteError{err}
			}
		}
		if start {
			head, _ := br.Peek(stampLen)
			if n, ok := stamp(head); ok && n.Sec >= tai64.Base-1<<40 && n.Sec <= tai64.Base+1<<40 && n.Nano < 1e9 {
				conv = AppendLocal(conv[:0], n, loc)
				if _, err := bw.Write(conv); err != nil {
					return WriteError{err}
				}
				br.Discard(stampLen)
			}
		}
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 {
			if _, werr := bw.Write(chunk); werr != nil {
				return WriteError{werr}
			}
			start = chunk[len(chunk)-1] == '\n'
		}
		switch err {
		case nil, bufio.ErrBufferFull:
			continue
		case io.EOF:
			if err := bw.Flush(); err != nil {
				return WriteError{err}
			}
			return nil
		default:
			bw.Flush()
			return ReadError{err}
		}
	}
}
