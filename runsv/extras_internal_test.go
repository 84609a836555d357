package runsv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// service files in a scratch directory, as runsv reads them.
func scratch(t *testing.T, files map[string]string) *service {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return &service{base: dir + "/", pid: 4242}
}

// TestArmKillValues: 0, none, garbage and values too large for a timer
// mean never (as in s6); others arm the timer that long ahead.
func TestArmKillValues(t *testing.T) {
	r := &Runsv{}
	for _, c := range []struct {
		value string
		want  time.Duration // 0: not armed
	}{
		{"", 0}, {"0\n", 0}, {"abc\n", 0}, {"-5\n", 0},
		{"9300000000000\n", 0}, {"18446744073709551615\n", 0},
		{"1000\n", time.Second}, {"250", 250 * time.Millisecond},
		{"1000000000000\n", 1e12 * time.Millisecond},
	} {
		files := map[string]string{}
		if c.value != "" {
			files["timeout-kill"] = c.value
		}
		s := scratch(t, files)
		before := time.Now()
		r.armKill(s, "timeout-kill")
		if c.want == 0 {
			if !s.killAt.IsZero() {
				t.Errorf("timeout-kill %q: armed for %v, want never", c.value, s.killAt.Sub(before))
			}
			continue
		}
		if d := s.killAt.Sub(before); s.killPid != s.pid || d < c.want || d > c.want+time.Minute {
			t.Errorf("timeout-kill %q: armed %v ahead for pid %d, want %v for %d", c.value, d, s.killPid, c.want, s.pid)
		}
	}
}

// TestRestartHoldValues: whatever backoff holds, a service that keeps
// failing at once never restarts with no wait (a huge value used to
// overflow into none: hundreds of starts a second).
func TestRestartHoldValues(t *testing.T) {
	r := &Runsv{}
	for _, c := range []struct {
		value string
		want  []time.Duration // successive holds after immediate failures
	}{
		{"", []time.Duration{time.Second, time.Second, time.Second}},
		{"1\n", []time.Duration{time.Second, time.Second}},
		{"junk", []time.Duration{time.Second, time.Second}},
		{"4\n", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second}},
		{"9300000000\n", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{"18446744073709551615\n", []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}},
	} {
		files := map[string]string{}
		if c.value != "" {
			files["backoff"] = c.value
		}
		s := scratch(t, files)
		for i, want := range c.want {
			if got := r.restartHold(s, 10*time.Millisecond); got != want {
				t.Errorf("backoff %q, failure %d: hold %v, want %v", c.value, i+1, got, want)
			}
		}
	}
	// A run longer than the limit resets the doubling.
	s := scratch(t, map[string]string{"backoff": "4\n"})
	r.restartHold(s, 0)
	r.restartHold(s, 0)
	if got := r.restartHold(s, 5*time.Second); got != 0 {
		t.Errorf("after a 5 s run with backoff 4: hold %v, want 0", got)
	}
	if got := r.restartHold(s, 0); got != time.Second {
		t.Errorf("first failure after the reset: hold %v, want 1s", got)
	}
}
