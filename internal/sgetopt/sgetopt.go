// Package sgetopt is djb-style option parsing as runit's programs use it:
// options end at the first non-option argument (no permutation), "--" ends
// options and is consumed, a lone "-" is an argument, flags may be clustered
// ("-012") and an option's argument may be attached ("-w5") or be the next
// word (whatever it starts with).
package sgetopt

import "gorunit/internal/msg"

// Parser walks the arguments of one command.
type Parser struct {
	Prog  string   // name used in messages (runit uses the basename)
	Args  []string // the arguments, without argv[0]
	Quiet bool     // do not print messages for bad options

	opts string // like getopt: "vw:V"
	ind  int    // index into Args of the word being parsed
	pos  int    // position inside Args[ind]; 0 means "start a new word"
	done bool

	// Problem is the option letter that made Next return Bad.
	Problem byte
}

// New returns a parser for args (argv without argv[0]). optstring lists
// the option letters; a letter followed by ':' takes an argument.
func New(prog string, args []string, optstring string) *Parser {
	return &Parser{Prog: prog, Args: args, opts: optstring}
}

// Bad is returned by Next for an unknown option or a missing argument.
const Bad = '?'

// Next returns the next option letter and its argument. It returns 0 when
// the options are over, and Bad (after printing runit's message unless
// Quiet) for an unknown option or a missing argument; Problem then holds
// the offending letter.
func (p *Parser) Next() (opt byte, arg string) {
	if p.done {
		return 0, ""
	}
	if p.pos == 0 {
		if p.ind >= len(p.Args) {
			p.done = true
			return 0, ""
		}
		w := p.Args[p.ind]
		if len(w) < 2 || w[0] != '-' {
			p.done = true
			return 0, ""
		}
		if w[1] == '-' {
			// djb's getopt: any word starting with "--" ends the
			// options and is consumed ("--x" as well as "--"), as
			// runit's sv, svlogd and utmpset show.
			p.ind++
			p.done = true
			return 0, ""
		}
		p.pos = 1
	}
	w := p.Args[p.ind]
	c := w[p.pos]
	p.pos++
	i := indexByte(p.opts, c)
	if c == ':' || i < 0 {
		p.Problem = c
		p.advanceIfEnd(w)
		if !p.Quiet {
			msg.Err(p.Prog, ": illegal option -- ", string([]byte{c}))
		}
		return Bad, ""
	}
	if i+1 < len(p.opts) && p.opts[i+1] == ':' {
		if p.pos < len(w) {
			arg = w[p.pos:]
			p.ind++
			p.pos = 0
			return c, arg
		}
		p.ind++
		p.pos = 0
		if p.ind >= len(p.Args) {
			p.Problem = c
			if !p.Quiet {
				msg.Err(p.Prog, ": option requires an argument -- ", string([]byte{c}))
			}
			return Bad, ""
		}
		arg = p.Args[p.ind]
		p.ind++
		return c, arg
	}
	p.advanceIfEnd(w)
	return c, ""
}

func (p *Parser) advanceIfEnd(w string) {
	if p.pos >= len(w) {
		p.ind++
		p.pos = 0
	}
}

// Rest returns the arguments left after the options (valid once Next has
// returned 0).
func (p *Parser) Rest() []string {
	if p.ind > len(p.Args) {
		return nil
	}
	return p.Args[p.ind:]
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}
