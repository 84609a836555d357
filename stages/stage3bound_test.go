package stages

import (
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

func TestParseStage3Timeout(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want uint64
	}{
		{"", false, 90},
		{"", true, 90},
		{"1\n", true, 1},
		{"120", true, 120},
		{"0\n", true, 0},
		{" 5", true, 90},
		{"x", true, 90},
		{"99999999999999", true, 1 << 31},
	} {
		if got := parseStage3Timeout([]byte(c.in), c.ok); got != c.want {
			t.Errorf("parseStage3Timeout(%q, %v) = %d, want %d", c.in, c.ok, got, c.want)
		}
	}
}

// stage3Hang is a stage 3 that never ends by itself: it ignores TERM and
// has a child in its process group.
const stage3Hang = `#!/bin/sh
trap '' TERM
sleep 1000 &
echo "stage3: hanging"
while :; do sleep 1; done
`

const lS3Kill = "- runit: warning: stage 3 not terminated after 1 s, sending sigkill..."

// TestStage3Timeout: a stage 3 that hangs is killed after the seconds in
// /etc/runit/stage3-timeout, and process 1 still halts, reboots or (in a
// container) exits as asked. runit's process 1 waits for ever there (not
// tested: it would hang).
func TestStage3Timeout(t *testing.T) {
	t.Parallel()
	runitInit := testenv.Bin(t, "runit-init")
	for _, c := range []struct {
		name    string
		files   map[string]string
		init    string // runit-init's argument once stage 2 is ready ("": stage 2 ends by itself)
		outcome string
		want    []string
	}{
		{"halt", map[string]string{"nocontainer": "", "2": stage2Wait}, "0", "signal: interrupt",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"),
				enter("3"), "stage3: hanging", lS3Kill, leave("3"), lKill, lPower}},
		{"reboot", map[string]string{"nocontainer": "", "2": stage2Wait}, "6", "signal: hangup",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"),
				enter("3"), "stage3: hanging", lS3Kill, leave("3"), lKill, "- runit: system reboot."}},
		{"container", map[string]string{"2": "#!/bin/sh\nexit 3\n"}, "", "exit 3",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), lFailed + "2", leave("2"),
				enter("3"), "stage3: hanging", lS3Kill, leave("3"), lKill, "- runit: exit 3."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.files["nosync"] = ""
			c.files["1"] = "#!/bin/sh\n"
			c.files["3"] = stage3Hang
			c.files["stage3-timeout"] = "1\n"
			b := boot(t, scenario{name: "s3timeout-" + c.name, files: c.files, modes: map[string]uint32{"stage3-timeout": 0o644}}, testenv.Bin(t, "runit"))
			if c.init != "" {
				b.waitLine("stage2: ready")
				b.nsenter(runitInit, c.init)
			}
			if o := b.Outcome(testenv.Deadline); o != c.outcome {
				t.Errorf("outcome %q, want %q", o, c.outcome)
			}
			expectLines(t, b.Lines(), c.want...)
		})
	}
}

// TestStage3TimeoutBuiltin: the built-in stage 3 is bounded too (here it
// would wait 7 s for a service that ignores TERM).
func TestStage3TimeoutBuiltin(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "s3timeout-builtin", env: []string{runsvdirPath(t)},
		files: map[string]string{"nosync": "", "1": "#!/bin/sh\n", "stage3-timeout": "1"},
		modes: map[string]uint32{"stage3-timeout": 0o644},
		svc: map[string]string{"stubborn": `#!/bin/sh
trap 'echo "TERM ignored"' TERM
echo "up"
while :; do sleep 1 & wait $!; done
`}}
	b := boot(t, sc, testenv.Bin(t, "runit"))
	b.waitLine("stubborn: up")
	b.kill(syscall.SIGTERM)
	if o := b.Outcome(testenv.Deadline); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
	var got []string
	for _, l := range b.Lines() {
		if strings.HasPrefix(l, "- runit:") || strings.Contains(l, "TERM") {
			got = append(got, l)
		}
	}
	expectLines(t, got, lBoot, enter("1"), leave("1"), enter("2 (built-in)"), leave("2 (built-in)"),
		enter("3 (built-in)"), "stubborn: TERM ignored", lS3Kill, leave("3 (built-in)"), lKill, "- runit: exit 0.")
}
