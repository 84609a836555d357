// Package multilog is daemontools' multilog as a personality of svlogd:
// it translates a multilog script (its arguments) into svlogd's options
// and one svlogd config per log directory, writes each config into its
// directory and returns svlogd's arguments; the dispatcher (cmd/gorunit)
// runs svlogd (package gorunit/svlog) on the directories.
//
// The script's actions, carried out in order for each line:
//
//	t          (first action only) prefix each line with a TAI64N stamp: svlogd -t
//	s<size>    maximum size of current for the directories that follow:
//	           4096 to 16777215, default 99999 (svlogd's s)
//	n<num>     keep num-1 old files for the directories that follow
//	           (multilog's num counts current), at least 2, default 10
//	           (svlogd's n, and N the same so nothing is deleted for space)
//	!processor processor for the directories that follow (svlogd's !)
//	+pattern   select the line if pattern matches it
//	-pattern   deselect the line if pattern matches it
//	e          copy each selected line to stderr
//	./dir /dir append each selected line to the log directory dir, created
//	           (mode 0700) if missing
//
// A line is initially selected, and the last matching + or - before an
// action decides whether it is selected there: exactly svlogd's rule for
// the + and - lines of one directory's config, so each directory gets the
// patterns that precede it. The k-th `e` becomes e/E lines (after an `e*`
// that selects every line) in the k-th directory's config, since svlogd
// copies to stderr per directory; a script without directories is run by
// a small filter of its own. Patterns see the line with its stamp in
// multilog but without it in svlogd, so they are translated: a leading
// `@` or a `*` followed by a space consume the stamp exactly; a
// pattern that cannot match a stamped line is dropped; one whose outcome
// depends on the stamp's digits (e.g. `*debug*`, whose star stops at the
// first 'd', perhaps a hex digit) is matched against the line alone, with
// a warning. Not supported (warning): `=file` status files.
package multilog

import (
	"strings"

	"gorunit/internal/msg"
	"gorunit/internal/scan"
)

// Defaults and limits of daemontools' multilog.
const (
	DefaultSize = 99999
	MinSize     = 4096
	MaxSize     = 16777215
	DefaultNum  = 10
	MinNum      = 2
)

// Dir is one log directory of the script with its svlogd config.
type Dir struct {
	Name   string
	Config string // svlogd config file contents
}

// Plan is a translated script.
type Plan struct {
	Stamp    bool     // t: svlogd -t
	Dirs     []Dir    // in script order
	Errs     []Sel    // stderr copies (e actions) left without a directory
	Warnings []string // without the "multilog: warning: " prefix
}

// Sel is a line selection: the + and - patterns in order, as given in the
// script (multilog's syntax, matched against the stamped line).
type Sel []string

// Parse translates a multilog script.
func Parse(script []string) *Plan {
	p := &Plan{}
	size, num := uint64(DefaultSize), uint64(DefaultNum)
	processor := ""
	var sel Sel
	var errs []Sel // e actions not yet given to a directory
	type dirAt struct {
		name      string
		size, num uint64
		processor string
		sel       Sel
	}
	var dirs []dirAt
	for i, a := range script {
		if a == "" {
			continue
		}
		switch a[0] {
		case 't':
			if i == 0 {
				p.Stamp = true
			}
		case 's':
			size, _ = scan.Ulong(a[1:])
			size = min(max(size, MinSize), MaxSize)
		case 'n':
			num, _ = scan.Ulong(a[1:])
			num = max(num, MinNum)
		case '!':
			processor = a[1:]
			if strings.IndexByte(processor, '\n') >= 0 {
				p.Warnings = append(p.Warnings, "processor with a newline not supported, ignored: "+a)
				processor = ""
			}
		case '+', '-':
			sel = append(sel[:len(sel):len(sel)], a)
		case 'e':
			errs = append(errs, sel)
		case '=':
			p.Warnings = append(p.Warnings, "status files (=file) are not supported, ignored: "+a)
		case '.', '/':
			dirs = append(dirs, dirAt{a, size, num, processor, sel})
		}
	}
	for k, d := range dirs {
		var b strings.Builder
		b.WriteString("s" + msg.Utoa(d.size) + "\n")
		b.WriteString("n" + msg.Utoa(d.num-1) + "\n")
		b.WriteString("N" + msg.Utoa(d.num-1) + "\n")
		if d.processor != "" {
			b.WriteString("!" + d.processor + "\n")
		}
		p.addSel(&b, d.sel, '+', '-')
		if k < len(errs) {
			b.WriteString("e*\n")
			p.addSel(&b, errs[k], 'e', 'E')
		}
		p.Dirs = append(p.Dirs, Dir{Name: d.name, Config: b.String()})
	}
	if len(errs) > len(dirs) {
		p.Errs = errs[len(dirs):]
	}
	return p
}

// addSel writes the translated patterns of sel as config lines, + as
// plus and - as minus.
func (p *Plan) addSel(b *strings.Builder, sel Sel, plus, minus byte) {
	for _, a := range sel {
		pat, how := Translate(a[1:], p.Stamp)
		switch how {
		case Never:
			continue
		case Inexact:
			// What the user meant: the line itself. (multilog's own
			// outcome would vary with the stamp's hex digits.)
			p.Warnings = append(p.Warnings, "pattern depends on the timestamp's digits, matched against the line without it: "+a)
			pat, _ = Translate(a[1:], false)
		}
		if a[0] == '+' {
			b.WriteByte(plus)
		} else {
			b.WriteByte(minus)
		}
		b.WriteString(pat)
		b.WriteByte('\n')
	}
}

// How a pattern translated.
const (
	Exact   = iota // the svlogd pattern matches exactly the same lines (but see Translate)
	Never          // the pattern can match no line
	Inexact        // the outcome depends on the stamp's digits
)

// Translate turns a multilog pattern into an svlogd pattern for the line
// without its stamp. With stamp, multilog matches "@" + 24 hex digits +
// " " + line. A literal '+' becomes "++" (in svlogd '+' c matches a run of
// c's): exact unless the line has a run of several '+' there, or ends in
// it.
func Translate(pat string, stamp bool) (string, int) {
	if strings.IndexByte(pat, '\n') >= 0 {
		return "", Never // lines never contain a newline
	}
	if stamp {
		rest, how := skipStamp(pat)
		if how != Exact {
			return "", how
		}
		pat = rest
	}
	return strings.ReplaceAll(pat, "+", "++"), Exact
}

const stampLen = 26 // "@" + 24 hex digits + " "

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

// skipStamp matches pat against the stamp and returns what is left of it
// for the rest of the line.
func skipStamp(pat string) (string, int) {
	pos := 0 // position in the stamp
	i := 0
	for pos < stampLen {
		if i == len(pat) {
			return "", Never // the pattern ends inside the stamp
		}
		c := pat[i]
		if c == '*' {
			if i+1 == len(pat) {
				return "*", Exact // matches every rest
			}
			next := pat[i+1]
			switch {
			case next == '@' && pos == 0, next == ' ':
				// The star stops at the stamp's '@' (empty) or at its
				// space, the first in the stamped line.
				if next == ' ' {
					pos = stampLen - 1
				}
				i++
			case isHex(next) && pos < stampLen-1:
				return "", Inexact
			default:
				// next is not in the rest of the stamp: the star eats
				// it and goes on in the line.
				return pat[i:], Exact
			}
			continue
		}
		switch {
		case pos == 0 && c == '@', pos == stampLen-1 && c == ' ':
		case pos > 0 && pos < stampLen-1 && isHex(c):
			return "", Inexact
		default:
			return "", Never
		}
		pos++
		i++
	}
	return pat[i:], Exact
}

// Match is multilog's pattern match: anchored at both ends; '*' before
// the end matches any string without the next pattern character, '*' at
// the end matches anything; every other character matches itself.
func Match(pat, s string) bool {
	for {
		if pat == "" {
			return s == ""
		}
		if pat[0] != '*' {
			if s == "" || s[0] != pat[0] {
				return false
			}
			pat, s = pat[1:], s[1:]
			continue
		}
		if len(pat) == 1 {
			return true
		}
		i := strings.IndexByte(s, pat[1])
		if i < 0 {
			return false
		}
		pat, s = pat[1:], s[i:]
	}
}

// Selected evaluates a selection for a line (stamped if the script is):
// initially selected, the last matching pattern decides.
func (sel Sel) Selected(line string) bool {
	on := true
	if len(line) > 1000 {
		line = line[:1000] // multilog looks at the first 1000 bytes
	}
	for _, a := range sel {
		if on != (a[0] == '+') && Match(a[1:], line) {
			on = a[0] == '+'
		}
	}
	return on
}
