package supervise

import "golang.org/x/sys/unix"

// Control bytes, written to supervise/control.
const (
	CmdUp    byte = 'u'
	CmdDown  byte = 'd'
	CmdOnce  byte = 'o'
	CmdExit  byte = 'x'
	CmdTerm  byte = 't'
	CmdKill  byte = 'k'
	CmdPause byte = 'p'
	CmdCont  byte = 'c'
	CmdHup   byte = 'h'
	CmdAlarm byte = 'a'
	CmdInt   byte = 'i'
	CmdQuit  byte = 'q'
	CmdUsr1  byte = '1'
	CmdUsr2  byte = '2'
)

// CheckByte stands for sv's check command in a list of wait conditions;
// it is never sent.
const CheckByte byte = 'C'

// Wait is the condition `sv -w` waits for after sending a byte.
type Wait uint8

const (
	WaitNone    Wait = iota // nothing: done as soon as runsv runs
	WaitUp                  // a process in state run, ready, ./check passes
	WaitDown                // no process, state down
	WaitOnce                // a process that started after sv did and wants down, or none
	WaitExit                // runsv gone
	WaitRestart             // a process started after sv did without TERM pending and ./check passes, or none and want down
	WaitPaused              // no process, or paused
	WaitCont                // no process, or not paused
	WaitCheck               // sv check: no process, or ready and ./check passes
)

// Command is one row of the control protocol.
type Command struct {
	Byte    byte
	Meaning string
	// SvWords are sv's words that send the byte, alone or in a sequence
	// (the words parsed by SvCommand); sv also takes any word starting
	// with one of SvLetters for the byte alone.
	SvWords   []string
	SvLetters string
	// Signal is the signal runsv sends a running process (0 for none).
	// d, x and t send TERM (unless ./control/t exits 0); d and x then
	// send CONT whether or not TERM was sent, t does not (so sv's restart
	// words send t then c). For the other bytes a ./control/<byte> script
	// that exits 0 replaces the signal, where runsv supports one.
	Signal unix.Signal
	Svc    byte // svc's option letter, 0 if svc has none
	Wait   Wait
}

// Commands is the control protocol, one row per byte. runsv obeys exactly
// these bytes and ignores any other.
var Commands = [...]Command{
	{CmdUp, "want up; start the service if it is down", []string{"up", "start", "restart", "force-restart"}, "u", 0, 'u', WaitUp},
	{CmdDown, "want down; stop the service if it runs", []string{"down", "stop", "force-stop"}, "d", unix.SIGTERM, 'd', WaitDown},
	{CmdOnce, "start the service once if it is down, not again when it stops", []string{"once"}, "o", 0, 'o', WaitOnce},
	{CmdExit, "want exit: stop the service, then runsv exits (ignored by the log service)", []string{"exit", "shutdown", "force-shutdown"}, "xe", unix.SIGTERM, 'x', WaitExit},
	{CmdTerm, "stop the service (it is restarted if it wants up)", []string{"term", "restart", "try-restart", "force-reload", "force-restart"}, "t", unix.SIGTERM, 't', WaitRestart},
	{CmdKill, "send KILL; the state reads down", []string{"kill"}, "k", unix.SIGKILL, 'k', WaitRestart},
	{CmdPause, "send STOP; paused", []string{"pause"}, "p", unix.SIGSTOP, 'p', WaitPaused},
	{CmdCont, "send CONT; not paused", []string{"cont", "restart", "try-restart", "force-reload", "force-restart"}, "c", unix.SIGCONT, 'c', WaitCont},
	{CmdHup, "send HUP", []string{"hup", "reload"}, "h", unix.SIGHUP, 'h', WaitNone},
	{CmdAlarm, "send ALRM", []string{"alarm"}, "a", unix.SIGALRM, 'a', WaitNone},
	{CmdInt, "send INT", []string{"interrupt"}, "i", unix.SIGINT, 'i', WaitNone},
	{CmdQuit, "send QUIT", []string{"quit"}, "q", unix.SIGQUIT, 0, WaitNone},
	{CmdUsr1, "send USR1", []string{"1"}, "1", unix.SIGUSR1, 0, WaitNone},
	{CmdUsr2, "send USR2", []string{"2"}, "2", unix.SIGUSR2, 0, WaitNone},
}

// index maps a byte to its row in Commands plus one (0: none).
var index = func() (x [256]uint8) {
	for i, c := range Commands {
		x[c.Byte] = uint8(i + 1)
	}
	return
}()

// IsCommand reports whether runsv obeys byte c.
func IsCommand(c byte) bool { return index[c] != 0 }

// ByByte returns the row of control byte c.
func ByByte(c byte) (*Command, bool) {
	i := index[c]
	if i == 0 {
		return nil, false
	}
	return &Commands[i-1], true
}

// SignalOf is the signal control byte c sends a running process, 0 if
// none (or c is no command).
func SignalOf(c byte) unix.Signal {
	if r, ok := ByByte(c); ok {
		return r.Signal
	}
	return 0
}

// BySvcLetter returns the row svc's option letter l sends.
func BySvcLetter(l byte) (*Command, bool) {
	for i := range Commands {
		if Commands[i].Svc == l && l != 0 {
			return &Commands[i], true
		}
	}
	return nil, false
}

// SvcOptions is svc's option string: every svc letter.
var SvcOptions = func() string {
	var b []byte
	for _, c := range Commands {
		if c.Svc != 0 {
			b = append(b, c.Svc)
		}
	}
	return string(b)
}()

// WaitOf is the condition sv waits for after c (a control byte or
// CheckByte).
func WaitOf(c byte) Wait {
	if c == CheckByte {
		return WaitCheck
	}
	if r, ok := ByByte(c); ok {
		return r.Wait
	}
	return WaitNone
}

// SvKind is what an sv command does.
type SvKind uint8

const (
	SvControl SvKind = iota // send Bytes to supervise/control
	SvStatus                // print the status
	SvCheck                 // send nothing, wait for WaitCheck
)

// SvAction is the meaning of one sv command word.
type SvAction struct {
	Kind  SvKind
	Bytes string // bytes to send, in order; also the wait conditions
	Force bool   // force-* (and X, E, D, T): send k when the wait times out
	// Always is true for the init-script words, which wait even without
	// -v; the one-letter commands wait only with -v or -w.
	Always bool
}

// svWords are sv's whole words (LSB init-script actions and check), tried
// before the first-letter rule.
var svWords = []struct {
	word string
	act  SvAction
}{
	{"check", SvAction{Kind: SvCheck, Bytes: string(CheckByte), Always: true}},
	{"try-restart", SvAction{Bytes: "tc", Always: true}},
	{"shutdown", SvAction{Bytes: "x", Always: true}},
	{"start", SvAction{Bytes: "u", Always: true}},
	{"stop", SvAction{Bytes: "d", Always: true}},
	{"restart", SvAction{Bytes: "tcu", Always: true}},
	{"reload", SvAction{Bytes: "h", Always: true}},
	{"force-reload", SvAction{Bytes: "tc", Force: true, Always: true}},
	{"force-restart", SvAction{Bytes: "tcu", Force: true, Always: true}},
	{"force-shutdown", SvAction{Bytes: "x", Force: true, Always: true}},
	{"force-stop", SvAction{Bytes: "d", Force: true, Always: true}},
}

// svForce are the capital first letters: the byte(s) with a kill on
// timeout.
var svForce = []struct {
	letter byte
	bytes  string
}{{'X', "x"}, {'E', "x"}, {'D', "d"}, {'T', "tc"}}

// SvCommand interprets sv's command word as runit's sv does: a whole
// word first (start, stop, restart, force-stop, check, ...); then the
// first letter: a command's letter (u, d, x or e, ...) sends that byte
// alone, X/E, D and T are the force forms of x, d and tc, any other word
// starting with s means status (lsb is the caller's: only "status" itself
// in LSB mode). false for a word sv refuses.
func SvCommand(word string) (SvAction, bool) {
	if word == "" {
		return SvAction{}, false
	}
	for _, w := range svWords {
		if w.word == word {
			return w.act, true
		}
	}
	c := word[0]
	for i := range Commands {
		for j := 0; j < len(Commands[i].SvLetters); j++ {
			if Commands[i].SvLetters[j] == c {
				return SvAction{Bytes: string(Commands[i].Byte)}, true
			}
		}
	}
	for _, f := range svForce {
		if f.letter == c {
			return SvAction{Bytes: f.bytes, Force: true, Always: true}, true
		}
	}
	if c == 's' {
		return SvAction{Kind: SvStatus, Bytes: "s"}, true
	}
	return SvAction{}, false
}

// Verdict is a wait condition judged on the status record alone.
type Verdict uint8

const (
	NotYet             Verdict = iota
	Met                        // the condition holds
	MetIfReadyAndCheck         // holds once the service is ready and ./check passes
	MetIfCheck                 // holds once ./check passes
)

// Judge evaluates w on record r while runsv runs; startSec is the TAI64
// second at which sv started. (With runsv gone only WaitExit holds.)
func (w Wait) Judge(r Record, startSec uint64) Verdict {
	pid := r.PID
	switch w {
	case WaitExit:
		return NotYet
	case WaitUp:
		if pid == 0 || r.State != Run {
			return NotYet
		}
		return MetIfReadyAndCheck
	case WaitDown:
		if pid != 0 || r.State != Down {
			return NotYet
		}
	case WaitCheck:
		if pid != 0 {
			return MetIfReadyAndCheck
		}
	case WaitRestart:
		if pid == 0 && r.Want == WantDown {
			return Met
		}
		if startSec > r.Since.Sec || pid == 0 || r.Term {
			return NotYet
		}
		return MetIfCheck
	case WaitOnce:
		if (pid == 0 && startSec > r.Since.Sec) || (pid != 0 && r.Want != WantDown) {
			return NotYet
		}
	case WaitPaused:
		if pid != 0 && !r.Paused {
			return NotYet
		}
	case WaitCont:
		if pid != 0 && r.Paused {
			return NotYet
		}
	}
	return Met
}
