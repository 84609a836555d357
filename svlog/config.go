// Package svlog is svlogd: runit's logger. It reads lines from standard
// input and appends them to one or more log directories, each with its own
// config (size and time rotation, old-file pruning, a processor, pattern
// selection, a prefix, UDP copies), as specified in section 6 of the runit
// 2.1.2 specification.
//
// The package is split by concern: config.go parses a directory's config,
// match.go is runit's pattern matcher, split.go cuts the input into lines,
// stamp.go formats time stamps, logdir.go is the directory (current,
// rotation, pruning, full disks), processor.go runs `!` processors, udp.go
// sends `u`/`U` copies, and svlogd.go is the option parsing and main loop.
package svlog

import "gorunit/internal/scan"

// Config is one log directory's configuration (its `config` file).
type Config struct {
	SizeMax   uint64 // s: rotate current at this size; 0: never by size
	NMax      uint64 // n: keep at most this many old files; 0: keep all
	NMin      uint64 // N: keep at least this many when the disk is full
	TMax      uint64 // t: rotate a non-empty current after this many seconds; 0: off
	Processor string // !: processor command; empty: none
	UDP       bool   // u/U: a valid address was given
	UDPOnly   bool   // U: do not write to the directory (set even if the address is bad)
	UDPAddr   [4]byte
	UDPPort   int
	Prefix    []byte    // p: prefix for every line
	Patterns  []Pattern // + - e E, in config order
	SelPats   bool      // there is at least one + or - pattern
	ErrPats   bool      // there is at least one e or E pattern
}

// Pattern is one selection line of a config: Kind is '+', '-', 'e' or 'E'.
type Pattern struct {
	Kind byte
	Pat  []byte
}

// Defaults are the settings of a directory without config.
func Defaults() Config {
	return Config{SizeMax: 1000000, NMax: 10, NMin: 10}
}

// cstr cuts s at its first NUL byte: runit keeps config values as C
// strings.
func cstr(s []byte) []byte {
	for i, c := range s {
		if c == 0 {
			return s[:i]
		}
	}
	return s
}

// ParseConfig interprets the contents of a config file: each line by its
// first character, the rest of the line being the value (no white space is
// skipped). A last line without a newline counts too. Unknown lines are
// ignored. It returns the warnings runit prints (without the "svlogd:
// warning: " prefix).
func ParseConfig(data []byte) (c Config, warnings []string) {
	c = Defaults()
	for len(data) > 0 {
		var line []byte
		i := 0
		for i < len(data) && data[i] != '\n' {
			i++
		}
		line = data[:i]
		if i < len(data) {
			i++
		}
		data = data[i:]
		if len(line) == 0 {
			continue
		}
		v := cstr(line[1:])
		switch line[0] {
		case 's':
			n, k := scan.Ulong(string(v))
			c.SizeMax = n
			if k < len(v) {
				switch v[k] {
				case 'k':
					c.SizeMax = n * 1024
				case 'm':
					c.SizeMax = n * 1024 * 1024
				}
			}
		case 'n':
			c.NMax = scan.Value(string(v))
		case 'N':
			c.NMin = scan.Value(string(v))
		case 't':
			n, k := scan.Ulong(string(v))
			c.TMax = n
			if k < len(v) {
				switch v[k] {
				case 'm':
					c.TMax = n * 60
				case 'h':
					c.TMax = n * 3600
				}
			}
		case '!':
			c.Processor = string(v)
		case 'u', 'U':
			if line[0] == 'U' {
				c.UDPOnly = true
			}
			ip, k := scanIP4(v)
			if k == 0 {
				warnings = append(warnings, "unable to scan ip address: "+string(v))
				break
			}
			port := uint64(514)
			if k < len(v) && v[k] == ':' {
				raw := scan.Value(string(v[k+1:]))
				if raw == 0 {
					warnings = append(warnings, "unable to scan port number: "+string(v[k+1:]))
					break
				}
				// runit keeps the low 16 bits: a multiple of 65536
				// is port 0, to which nothing is sent, silently.
				if port = raw & 0xffff; port == 0 {
					break
				}
			}
			c.UDP, c.UDPAddr, c.UDPPort = true, ip, int(port)
		case 'p':
			c.Prefix = append([]byte(nil), v...)
		case '+', '-', 'e', 'E':
			c.Patterns = append(c.Patterns, Pattern{Kind: line[0], Pat: append([]byte(nil), v...)})
			if line[0] == '+' || line[0] == '-' {
				c.SelPats = true
			} else {
				c.ErrPats = true
			}
		}
	}
	return c, warnings
}

// scanIP4 parses a dotted quad (four runs of decimal digits separated by
// dots, each kept modulo 256) at the start of s and returns the address
// and the number of bytes used, 0 if s does not start with one.
func scanIP4(s []byte) (ip [4]byte, n int) {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if n >= len(s) || s[n] != '.' {
				return ip, 0
			}
			n++
		}
		v, k := scan.Ulong(string(s[n:]))
		if k == 0 {
			return ip, 0
		}
		ip[part] = byte(v)
		n += k
	}
	return ip, n
}
