package runsv

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// service files in a scratch directory, as runsv's host reads them (the
// main service's, with pid 4242 running).
func scratch(t *testing.T, files map[string]string) (*Runsv, *State) {
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := &Runsv{}
	r.io[MainSvc].init(dir+"/supervise/", dir+"/")
	st := New(false, false, false, time.Now())
	st.Main.Pid = 4242
	return r, &st
}

// TestArmKillValues: 0, none, garbage and values too large for a timer
// mean never (as in s6); others arm the timer that long ahead.
func TestArmKillValues(t *testing.T) {
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
		r, st := scratch(t, files)
		s := &st.Main
		before := time.Now()
		m := stepper{st: *st, now: before}
		m.armKill(MainSvc, r.readConf(MainSvc, ConfTimeoutKill).TimeoutKill)
		s = &m.st.Main
		if c.want == 0 {
			if !s.KillAt.IsZero() {
				t.Errorf("timeout-kill %q: armed for %v, want never", c.value, s.KillAt.Sub(before))
			}
			continue
		}
		if d := s.KillAt.Sub(before); s.KillPid != s.Pid || d < c.want || d > c.want+time.Minute {
			t.Errorf("timeout-kill %q: armed %v ahead for pid %d, want %v for %d", c.value, d, s.KillPid, c.want, s.Pid)
		}
	}
}

// TestRestartHoldValues: whatever backoff holds, a service that keeps
// failing at once never restarts with no wait (a huge value used to
// overflow into none: hundreds of starts a second).
func TestRestartHoldValues(t *testing.T) {
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
		r, st := scratch(t, files)
		s, limit := &st.Main, r.readConf(MainSvc, ConfBackoff).Backoff
		for i, want := range c.want {
			if got := restartHold(s, 10*time.Millisecond, limit); got != want {
				t.Errorf("backoff %q, failure %d: hold %v, want %v", c.value, i+1, got, want)
			}
		}
	}
	// A run longer than the limit resets the doubling.
	r, st := scratch(t, map[string]string{"backoff": "4\n"})
	s, limit := &st.Main, r.readConf(MainSvc, ConfBackoff).Backoff
	restartHold(s, 0, limit)
	restartHold(s, 0, limit)
	if got := restartHold(s, 5*time.Second, limit); got != 0 {
		t.Errorf("after a 5 s run with backoff 4: hold %v, want 0", got)
	}
	if got := restartHold(s, 0, limit); got != time.Second {
		t.Errorf("first failure after the reset: hold %v, want 1s", got)
	}
}
