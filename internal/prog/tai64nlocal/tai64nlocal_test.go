package tai64nlocal

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"gorunit/internal/testenv"
)

func TestConvertLine(t *testing.T) {
	utc := time.UTC
	plus := time.FixedZone("X", 5*3600+30*60)
	tests := []struct {
		in   string
		loc  *time.Location
		want string
	}{
		{"@400000006b00ed6f07821c8c x\n", utc, "2026-11-21 01:01:25.125967500 x\n"},
		{"@400000006b00ed6f07821c8c x\n", plus, "2026-11-21 06:31:25.125967500 x\n"},
		{"@400000006B00ED6F07821C8C\n", utc, "2026-11-21 01:01:25.125967500\n"},
		{"@400000000000000a00000000", utc, "1970-01-01 00:00:00.000000000"},
		{"@4000000000000009000001f4 before the epoch\n", utc, "1969-12-31 23:59:59.000000500 before the epoch\n"},
		{"plain line\n", utc, "plain line\n"},
		{"@4000 short\n", utc, "@4000 short\n"},
		{"@400000006b00ed6f07821c8 not hex enough\n", utc, "@400000006b00ed6f07821c8 not hex enough\n"},
		{"x @400000006b00ed6f07821c8c not leading\n", utc, "x @400000006b00ed6f07821c8c not leading\n"},
		{"@ffffffffffffffff00000000 absurd\n", utc, "@ffffffffffffffff00000000 absurd\n"},
		{"", utc, ""},
	}
	for _, tt := range tests {
		if got := string(ConvertLine(nil, []byte(tt.in), tt.loc)); got != tt.want {
			t.Errorf("ConvertLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func filter(t *testing.T, in string, oneByte bool) string {
	t.Helper()
	var r = iotest.DataErrReader(strings.NewReader(in))
	if oneByte {
		r = iotest.OneByteReader(strings.NewReader(in))
	}
	var out bytes.Buffer
	if err := Filter(r, &out, time.UTC); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func lineWise(in string) string {
	var out []byte
	for _, l := range strings.SplitAfter(in, "\n") {
		out = ConvertLine(out, []byte(l), time.UTC)
	}
	return string(out)
}

func TestFilter(t *testing.T) {
	long := strings.Repeat("y", 40000)
	in := "@400000006b00ed6f07821c8c a\nplain\n" + long + "@400000006b00ed6f07821c8c not at start\n@400000006b00ed6f07821c8c last"
	want := lineWise(in)
	for _, one := range []bool{false, true} {
		if got := filter(t, in, one); got != want {
			t.Errorf("one byte reads %v: got %.200q, want %.200q", one, got, want)
		}
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("boom") }

func TestFilterErrors(t *testing.T) {
	var we WriteError
	if err := Filter(strings.NewReader("x\n"), failWriter{}, time.UTC); !errors.As(err, &we) {
		t.Errorf("write failure: %v", err)
	}
	var re ReadError
	if err := Filter(iotest.ErrReader(errors.New("bad")), &bytes.Buffer{}, time.UTC); !errors.As(err, &re) {
		t.Errorf("read failure: %v", err)
	}
}

func FuzzFilter(f *testing.F) {
	f.Add("@400000006b00ed6f07821c8c x\nplain\n@4000\n")
	f.Add("@400000006b00ed6f07821c8c")
	f.Add("\n\n@@400000006b00ed6f07821c8c\n")
	f.Fuzz(func(t *testing.T, in string) {
		var out bytes.Buffer
		if err := Filter(iotest.HalfReader(strings.NewReader(in)), &out, time.UTC); err != nil {
			t.Fatal(err)
		}
		if got, want := out.String(), lineWise(in); got != want {
			t.Fatalf("Filter(%q) = %q, line-wise %q", in, got, want)
		}
		if strings.Count(out.String(), "\n") != strings.Count(in, "\n") {
			t.Fatal("line count changed")
		}
	})
}

// TestCommand runs bin/tai64nlocal on svlogd -t style output.
func TestCommand(t *testing.T) {
	bin := testenv.Bin(t, "tai64nlocal")
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	cmd.Stdin = strings.NewReader("@400000006b00ed6f07821c8c x\nno stamp\n@400000006b00ed6f07821c8c")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if want := "2026-11-21 01:01:25.125967500 x\nno stamp\n2026-11-21 01:01:25.125967500"; string(out) != want {
		t.Errorf("got %q, want %q", out, want)
	}
	// A full output device: a daemontools-style fatal message, exit 111.
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip(err)
	}
	defer full.Close()
	cmd = exec.Command(bin)
	cmd.Stdin = strings.NewReader("x\n")
	cmd.Stdout = full
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 111 || stderr.String() != "tai64nlocal: fatal: unable to write output: out of disk space\n" {
		t.Errorf("full output: %v %q", err, stderr.String())
	}
}
