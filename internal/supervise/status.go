package supervise

// The status record: runit's 20-byte supervise/status and the text forms
// derived from it (supervise/stat and sv's status line).
//
//	offset size meaning
//	0      8    TAI64 label of "since", big-endian
//	8      4    nanoseconds of "since", big-endian
//	12     4    pid, little-endian (0 if none)
//	16     1    1 if paused
//	17     1    'u' want up, 'd' want down or exit
//	18     1    1 if TERM was sent
//	19     1    state: 0 down, 1 run, 2 finish
//
// The first 18 bytes (DaemontoolsSize) are daemontools' supervise/status
// layout.

import (
	"errors"

	"gorunit/internal/msg"
	"gorunit/internal/tai64"
)

// Size is the length of the record in bytes.
const Size = 20

// DaemontoolsSize is the length of daemontools' record, the part of
// runit's that svstat reads.
const DaemontoolsSize = 18

// Offsets of the single-byte fields; only this package indexes a record.
const (
	offPID    = 12
	offPaused = 16
	offWant   = 17
	offTerm   = 18
	offState  = 19
)

// Buf is a status record as read from supervise/status, undecoded. sv
// keeps one and reads into it (a short read leaves it partly
// overwritten, as runit's buffer is); the accessors read single fields.
type Buf [Size]byte

// Want is the want byte as stored: WantUp or WantDown (other values are
// taken as they are).
func (b *Buf) Want() byte { return b[offWant] }

// Paused reports whether the paused byte is non-zero.
func (b *Buf) Paused() bool { return b[offPaused] != 0 }

// Term reports whether the TERM byte is non-zero.
func (b *Buf) Term() bool { return b[offTerm] != 0 }

// TermIsOne reports whether the TERM byte is exactly 1, the value runsv
// writes; sv's "already wants down" test uses this form (runit's).
func (b *Buf) TermIsOne() bool { return b[offTerm] == 1 }

// Record decodes the buffer.
func (b *Buf) Record() Record {
	r, _ := Decode(b[:])
	return r
}

// States (byte 19).
const (
	Down   = 0
	Run    = 1
	Finish = 2
)

// Wants. runsv has a third internal want, exit, stored as WantDown.
const (
	WantUp   = 'u'
	WantDown = 'd'
)

// Record is a decoded status file.
type Record struct {
	Since  tai64.N
	PID    int
	Paused bool
	Want   byte // WantUp or WantDown
	Term   bool
	State  byte // Down, Run or Finish
}

// ErrFormat is returned for a record that is not exactly Size bytes.
var ErrFormat = errors.New("bad format")

// Encode writes the record into b.
func (r *Record) Encode(b *[Size]byte) {
	r.Since.Pack(b[0:12])
	p := uint32(r.PID)
	b[offPID] = byte(p)
	b[offPID+1] = byte(p >> 8)
	b[offPID+2] = byte(p >> 16)
	b[offPID+3] = byte(p >> 24)
	b[offPaused] = bool2byte(r.Paused)
	b[offWant] = r.Want
	b[offTerm] = bool2byte(r.Term)
	b[offState] = r.State
}

// Decode parses a status file's contents. Only the length is checked, as
// sv does; other bytes are taken as they are.
func Decode(b []byte) (Record, error) {
	if len(b) != Size {
		return Record{}, ErrFormat
	}
	return Record{
		Since:  tai64.Unpack(b[0:12]),
		PID:    int(uint32(b[offPID]) | uint32(b[offPID+1])<<8 | uint32(b[offPID+2])<<16 | uint32(b[offPID+3])<<24),
		Paused: b[offPaused] != 0,
		Want:   b[offWant],
		Term:   b[offTerm] != 0,
		State:  b[offState],
	}, nil
}

func bool2byte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// StateWord is the word for a state byte, or "" for an unknown value.
func StateWord(state byte) string {
	switch state {
	case Down:
		return "down"
	case Run:
		return "run"
	case Finish:
		return "finish"
	}
	return ""
}

// Want values used by runsv internally, including exit (which the record
// stores as WantDown).
const (
	InternalWantUp   = 0
	InternalWantDown = 1
	InternalWantExit = 2
)

// StatLine renders runsv's supervise/stat text: the state, then
// ", paused", ", got TERM", and, if not down, ", want down" or
// ", want exit"; then a newline.
func StatLine(state byte, paused, term bool, want int) string {
	s := StateWord(state)
	if paused {
		s += ", paused"
	}
	if term {
		s += ", got TERM"
	}
	if state != Down {
		switch want {
		case InternalWantDown:
			s += ", want down"
		case InternalWantExit:
			s += ", want exit"
		}
	}
	return s + "\n"
}

// Line renders sv's status line for one service (without a trailing
// newline or log part):
//
//	<state>: <name>: [(pid N) ]<secs>s[, normally down][, normally up][, paused][, want up][, want down][, got TERM]
//
// nowSec is the current TAI64 second; downFile tells whether the service
// directory has a "down" file.
func Line(name string, r Record, nowSec uint64, downFile bool) string {
	s := ""
	if w := StateWord(r.State); w != "" {
		s = w + ": "
	}
	s += name + ": "
	if r.State != Down {
		s += "(pid " + msg.Itoa(int64(r.PID)) + ") "
	}
	var secs uint64
	if nowSec > r.Since.Sec {
		secs = nowSec - r.Since.Sec
	}
	s += msg.Itoa(int64(secs)) + "s"
	if r.PID != 0 && downFile {
		s += ", normally down"
	}
	if r.PID == 0 && !downFile {
		s += ", normally up"
	}
	if r.PID != 0 && r.Paused {
		s += ", paused"
	}
	if r.PID == 0 && r.Want == WantUp {
		s += ", want up"
	}
	if r.PID != 0 && r.Want == WantDown {
		s += ", want down"
	}
	if r.PID != 0 && r.Term {
		s += ", got TERM"
	}
	return s
}
