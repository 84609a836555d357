package svlog

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	def := Defaults()
	with := func(f func(c *Config)) Config { c := def; f(&c); return c }
	tests := []struct {
		name  string
		in    string
		want  Config
		warns []string
	}{
		{"empty", "", def, nil},
		{"comments and unknown", "# s5\n\nx\n  s5\n", def, nil},
		{"size", "s100\n", with(func(c *Config) { c.SizeMax = 100 }), nil},
		{"size k", "s1k\n", with(func(c *Config) { c.SizeMax = 1024 }), nil},
		{"size m", "s2m", with(func(c *Config) { c.SizeMax = 2 << 20 }), nil},
		{"size garbage suffix", "s7x", with(func(c *Config) { c.SizeMax = 7 }), nil},
		{"size with space is 0", "s 1000\n", with(func(c *Config) { c.SizeMax = 0 }), nil},
		{"n and N", "n3\nN2\n", with(func(c *Config) { c.NMax, c.NMin = 3, 2 }), nil},
		{"t plain", "t30\n", with(func(c *Config) { c.TMax = 30 }), nil},
		{"t minutes", "t2m\n", with(func(c *Config) { c.TMax = 120 }), nil},
		{"t hours", "t1h\n", with(func(c *Config) { c.TMax = 3600 }), nil},
		{"last line wins", "s5\ns6\n", with(func(c *Config) { c.SizeMax = 6 }), nil},
		{"processor", "!gzip -c\n", with(func(c *Config) { c.Processor = "gzip -c" }), nil},
		{"processor none", "!x\n!\n", def, nil},
		{"prefix keeps spaces", "pINFO: \n", with(func(c *Config) { c.Prefix = []byte("INFO: ") }), nil},
		{"prefix cut at NUL", "pab\x00cd\n", with(func(c *Config) { c.Prefix = []byte("ab") }), nil},
		{"udp default port", "u127.0.0.1\n", with(func(c *Config) { c.UDP, c.UDPAddr, c.UDPPort = true, [4]byte{127, 0, 0, 1}, 514 }), nil},
		{"udp port", "u10.1.2.3:5140\n", with(func(c *Config) { c.UDP, c.UDPAddr, c.UDPPort = true, [4]byte{10, 1, 2, 3}, 5140 }), nil},
		{"udp port garbage", "u10.1.2.3:9x\n", with(func(c *Config) { c.UDP, c.UDPAddr, c.UDPPort = true, [4]byte{10, 1, 2, 3}, 9 }), nil},
		{"udp only", "U127.0.0.1:7\n", with(func(c *Config) { c.UDP, c.UDPOnly, c.UDPAddr, c.UDPPort = true, true, [4]byte{127, 0, 0, 1}, 7 }), nil},
		{"udp bad address", "u1.2.3\n", def, []string{"unable to scan ip address: 1.2.3"}},
		{"udp bad name", "uabc:12\n", def, []string{"unable to scan ip address: abc:12"}},
		{"udp port 0", "u127.0.0.1:0\n", def, []string{"unable to scan port number: 0"}},
		{"U bad still udp-only", "U127.0.0.1:0\n", with(func(c *Config) { c.UDPOnly = true }), []string{"unable to scan port number: 0"}},
		{"udp port 65536 is 0: off, no warning", "u127.0.0.1:65536\n", def, nil},
		{"U port 131072: udp-only, nothing sent", "U127.0.0.1:131072\n", with(func(c *Config) { c.UDPOnly = true }), nil},
		{"udp port 65537 is 1", "u127.0.0.1:65537\n", with(func(c *Config) { c.UDP, c.UDPAddr, c.UDPPort = true, [4]byte{127, 0, 0, 1}, 1 }), nil},
		{"patterns", "-*debug*\ne*error*\n+x\nE\n", with(func(c *Config) {
			c.Patterns = []Pattern{{'-', []byte("*debug*")}, {'e', []byte("*error*")}, {'+', []byte("x")}, {'E', []byte{}}}
			c.SelPats, c.ErrPats = true, true
		}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, warns := ParseConfig([]byte(tt.in))
			if !reflect.DeepEqual(normal(got), normal(tt.want)) {
				t.Errorf("ParseConfig(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
			if !reflect.DeepEqual(warns, tt.warns) {
				t.Errorf("warnings %q, want %q", warns, tt.warns)
			}
		})
	}
}

// normal makes empty and nil slices compare equal.
func normal(c Config) Config {
	if len(c.Prefix) == 0 {
		c.Prefix = nil
	}
	for i := range c.Patterns {
		if len(c.Patterns[i].Pat) == 0 {
			c.Patterns[i].Pat = []byte{}
		}
	}
	return c
}

func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{"", "s100\nn3\n", "s1k\nN2\nt2m", "!tr a-z A-Z\n", "u127.0.0.1:514\npX: \n",
		"U1.2.3.4\n-*debug*\ne*\n", "uabc\n", "u1.2.3.4:0\n", "s\x00\n\x00p", "+a+bc\nE*x*\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, warns := ParseConfig(data)
		for _, w := range warns {
			if !strings.HasPrefix(w, "unable to scan ") {
				t.Fatalf("odd warning %q", w)
			}
		}
		if c.UDP && c.UDPPort == 0 {
			t.Fatalf("UDP target with port 0")
		}
		n := 0
		for _, l := range strings.Split(string(data), "\n") {
			if l != "" && strings.ContainsRune("+-eE", rune(l[0])) {
				n++
			}
		}
		if n != len(c.Patterns) {
			t.Fatalf("%d pattern lines, %d patterns", n, len(c.Patterns))
		}
		for _, p := range c.Patterns {
			if strings.IndexByte(string(p.Pat), 0) >= 0 || strings.IndexByte(string(p.Pat), '\n') >= 0 {
				t.Fatalf("pattern %q holds NUL or newline", p.Pat)
			}
		}
	})
}
