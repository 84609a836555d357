// Package chpst is runit's chpst: it changes the process state (session,
// environment, root, nice level, user and groups, lock, standard
// descriptors, resource limits) in a fixed order and then execs a program.
// Called under another name (basename of argv[0], a leading 'd' removed)
// it is one of the daemontools personalities envdir, envuidgid, setuidgid,
// softlimit, setlock or pgrphack.
package chpst

import (
	"gorunit/internal/scan"
	"gorunit/internal/sgetopt"
)

// Version is the string chpst -V prints.
const Version = "$Id: f279d44141c981dd7535a12260efcf1ef7beed26 $"

// Usage synopses (after "usage: <progname>").
const (
	usageChpst     = " [-vVP012] [-u user[:group]] [-U user[:group]] [-b argv0] [-e dir] [-/ root] [-n nice] [-l|-L lock] [-m n] [-d n] [-o n] [-p n] [-f n] [-c n] [-t n] prog"
	usageSetuidgid = " account child"
	usageEnvuidgid = " account child"
	usageEnvdir    = " dir child"
	usagePgrphack  = " child"
	usageSetlock   = " [ -nNxX ] file program [ arg ... ]"
	usageSoftlimit = " [-a allbytes] [-c corebytes] [-d databytes] [-f filebytes] [-l lockbytes] [-m membytes] [-o openfiles] [-p processes] [-r residentbytes] [-s stackbytes] [-t cpusecs] child"
)

// Resource limits, in the order chpst applies them.
const (
	LimData = iota
	LimStack
	LimMemlock
	LimAS
	LimNofile
	LimNproc
	LimFsize
	LimCore
	LimRSS
	LimCPU
	NumLimits
)

// Unset marks a limit that is not changed; Hard means "soft := hard"
// (softlimit's "=", and any value that does not fit a C long).
const (
	Unset int64 = -2
	Hard  int64 = -1
)

// Config is a parsed command line.
type Config struct {
	Name    string // personality: chpst, envdir, envuidgid, setuidgid, softlimit, setlock, pgrphack
	Prog    string // name for usage lines: basename of argv[0] without a leading 'd'
	OptProg string // name for option errors: basename of argv[0]

	Setsid bool

	EnvDir     string // "" for none
	HasEnvDir  bool
	EnvDirSkip bool // sub-directories are skipped (chpst -e), not fatal (envdir)
	Verbose    bool
	Root       string
	HasRoot    bool
	Dir        string // -C (runit 2.2): working directory, after the chroot
	HasDir     bool
	Nice       int64
	EnvUser    string // -U / envuidgid account
	HasEnvUser bool
	SetUser    string // -u / setuidgid account
	HasSetUser bool
	UserExt    bool // user:group and :uid:gid forms allowed (chpst), not for the personalities
	Lock       string
	HasLock    bool
	LockWait   bool
	LockQuiet  bool // setlock -x: failures exit 0 silently
	Close      [3]bool
	Limits     [NumLimits]int64
	Argv0      string
	HasArgv0   bool
	Args       []string // program and its arguments
}

// Exit is the result of a command line that does not lead to running a
// program: text for stderr and the exit code.
type Exit struct {
	Stderr string
	Code   int
}

// Personality returns the personality name and the program name used in
// usage lines for argv[0].
func Personality(argv0 string) (name, prog string) {
	prog = basename(argv0)
	if len(prog) > 0 && prog[0] == 'd' {
		prog = prog[1:]
	}
	switch prog {
	case "setuidgid", "envuidgid", "envdir", "pgrphack", "setlock", "softlimit":
		return prog, prog
	}
	return "chpst", prog
}

func basename(s string) string {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '/' {
			return s[i+1:]
		}
	}
	return s
}

func usage(prog, synopsis string) *Exit {
	return &Exit{Stderr: "usage: " + prog + synopsis + "\n\n", Code: 100}
}

// optError renders sgetopt's message for a Bad option.
func optError(prog string, p *sgetopt.Parser, optstring string) string {
	c := p.Problem
	for i := 0; i < len(optstring); i++ {
		if optstring[i] == c && c != ':' && i+1 < len(optstring) && optstring[i+1] == ':' {
			return prog + ": option requires an argument -- " + string([]byte{c}) + "\n"
		}
	}
	return prog + ": illegal option -- " + string([]byte{c}) + "\n"
}

// number parses an all-digits value as chpst does: scan_ulong, and
// nothing may follow the digits (an empty string is 0). The unsigned
// value is then stored in a C long.
func number(s string) (int64, bool) {
	v, n := scan.Ulong(s)
	if n != len(s) {
		return 0, false
	}
	return int64(v), true
}

// wrapped is a limit as runit keeps it, in a C long: a value of 2^63 or
// more wraps to a negative number, and runit leaves a limit below -1
// unchanged (as if not given); -1 (2^64-1) still means "soft := hard".
func wrapped(v int64) int64 {
	if v < Hard {
		return Unset
	}
	return v
}

// Parse parses argv (with argv[0]). It returns the configuration, or how
// to exit instead (usage errors, -V).
func Parse(argv []string) (*Config, *Exit) {
	a0 := ""
	if len(argv) > 0 {
		a0 = argv[0]
		argv = argv[1:]
	}
	c := &Config{}
	c.Name, c.Prog = Personality(a0)
	c.OptProg = basename(a0)
	for i := range c.Limits {
		c.Limits[i] = Unset
	}
	switch c.Name {
	case "setuidgid", "envuidgid", "envdir":
		syn := map[string]string{"setuidgid": usageSetuidgid, "envuidgid": usageEnvuidgid, "envdir": usageEnvdir}[c.Name]
		if len(argv) < 2 {
			return nil, usage(c.Prog, syn)
		}
		switch c.Name {
		case "setuidgid":
			c.SetUser, c.HasSetUser = argv[0], true
		case "envuidgid":
			c.EnvUser, c.HasEnvUser = argv[0], true
		case "envdir":
			c.EnvDir, c.HasEnvDir = argv[0], true
		}
		c.Args = argv[1:]
		return c, nil
	case "pgrphack":
		if len(argv) < 1 {
			return nil, usage(c.Prog, usagePgrphack)
		}
		c.Setsid = true
		c.Args = argv
		return c, nil
	case "setlock":
		return parseSetlock(c, argv)
	case "softlimit":
		return parseSoftlimit(c, argv)
	}
	return parseChpst(c, argv)
}

func parseChpst(c *Config, argv []string) (*Config, *Exit) {
	// C: is runit 2.2's -C pwd, an addition to 2.1.2 (its usage line is
	// left as 2.1.2's).
	const opts = "u:U:b:e:m:d:o:p:f:c:r:t:/:C:n:l:L:vVP012"
	p := sgetopt.New(c.OptProg, argv, opts)
	p.Quiet = true
	bad := func() (*Config, *Exit) { return nil, usage(c.Prog, usageChpst) }
	for {
		o, arg := p.Next()
		if o == 0 {
			break
		}
		switch o {
		case 'u':
			c.SetUser, c.HasSetUser = arg, true
		case 'U':
			c.EnvUser, c.HasEnvUser = arg, true
		case 'b':
			c.Argv0, c.HasArgv0 = arg, true
		case 'e':
			c.EnvDir, c.HasEnvDir = arg, true
		case '/':
			c.Root, c.HasRoot = arg, true
		case 'C':
			c.Dir, c.HasDir = arg, true
		case 'n':
			s, neg := arg, false
			if len(s) > 0 && (s[0] == '-' || s[0] == '+') {
				neg = s[0] == '-'
				s = s[1:]
			}
			v, ok := number(s)
			if !ok {
				return bad()
			}
			if neg {
				v = -v
			}
			c.Nice = v
		case 'l', 'L':
			if c.HasLock {
				return bad()
			}
			c.Lock, c.HasLock, c.LockWait = arg, true, o == 'l'
		case 'm', 'd', 'o', 'p', 'f', 'c', 'r', 't':
			v, ok := number(arg)
			if !ok {
				return bad()
			}
			v = wrapped(v)
			switch o {
			case 'm':
				c.Limits[LimData], c.Limits[LimStack], c.Limits[LimMemlock], c.Limits[LimAS] = v, v, v, v
			case 'd':
				c.Limits[LimData] = v
			case 'o':
				c.Limits[LimNofile] = v
			case 'p':
				c.Limits[LimNproc] = v
			case 'f':
				c.Limits[LimFsize] = v
			case 'c':
				c.Limits[LimCore] = v
			case 'r':
				c.Limits[LimRSS] = v
			case 't':
				c.Limits[LimCPU] = v
			}
		case 'v':
			c.Verbose = true
		case 'P':
			c.Setsid = true
		case '0', '1', '2':
			c.Close[o-'0'] = true
		case 'V':
			return nil, &Exit{Stderr: Version + "\n" + "usage: " + c.Prog + usageChpst + "\n\n", Code: 100}
		default:
			e := usage(c.Prog, usageChpst)
			e.Stderr = optError(c.OptProg, p, opts) + e.Stderr
			return nil, e
		}
	}
	c.Args = p.Rest()
	if len(c.Args) == 0 {
		return bad()
	}
	c.EnvDirSkip = true
	c.UserExt = true
	return c, nil
}

func parseSetlock(c *Config, argv []string) (*Config, *Exit) {
	const opts = "nNxX"
	p := sgetopt.New(c.OptProg, argv, opts)
	p.Quiet = true
	c.HasLock = true
	for {
		o, _ := p.Next()
		if o == 0 {
			break
		}
		switch o {
		case 'n':
			c.LockWait = true
		case 'N':
			c.LockWait = false
		case 'x':
			c.LockQuiet = true
		case 'X':
			c.LockQuiet = false
		default:
			e := usage(c.Prog, usageSetlock)
			e.Stderr = optError(c.OptProg, p, opts) + e.Stderr
			return nil, e
		}
	}
	rest := p.Rest()
	if len(rest) < 2 {
		return nil, usage(c.Prog, usageSetlock)
	}
	c.Lock = rest[0]
	c.Args = rest[1:]
	return c, nil
}

func parseSoftlimit(c *Config, argv []string) (*Config, *Exit) {
	const opts = "a:c:d:f:l:m:o:p:r:s:t:"
	p := sgetopt.New(c.OptProg, argv, opts)
	p.Quiet = true
	for {
		o, arg := p.Next()
		if o == 0 {
			break
		}
		if o == sgetopt.Bad {
			e := usage(c.Prog, usageSoftlimit)
			e.Stderr = optError(c.OptProg, p, opts) + e.Stderr
			return nil, e
		}
		v := Hard
		if arg != "=" {
			var ok bool
			if v, ok = number(arg); !ok {
				// QUIRK: runit prints chpst's usage text here.
				return nil, usage(c.Prog, usageChpst)
			}
			v = wrapped(v)
		}
		switch o {
		case 'a':
			c.Limits[LimAS] = v
		case 'c':
			c.Limits[LimCore] = v
		case 'd':
			c.Limits[LimData] = v
		case 'f':
			c.Limits[LimFsize] = v
		case 'l':
			c.Limits[LimMemlock] = v
		case 'm':
			c.Limits[LimData], c.Limits[LimStack], c.Limits[LimMemlock], c.Limits[LimAS] = v, v, v, v
		case 'o':
			c.Limits[LimNofile] = v
		case 'p':
			c.Limits[LimNproc] = v
		case 'r':
			c.Limits[LimRSS] = v
		case 's':
			c.Limits[LimStack] = v
		case 't':
			c.Limits[LimCPU] = v
		}
	}
	c.Args = p.Rest()
	if len(c.Args) == 0 {
		return nil, usage(c.Prog, usageSoftlimit)
	}
	return c, nil
}
