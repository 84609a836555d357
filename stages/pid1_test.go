package stages

import (
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

// impl is one process-1 implementation under test.
type impl struct {
	name      string
	runit     string
	runitInit string
}

func impls(t *testing.T) []impl {
	var out []impl
	for _, s := range []testenv.Side{testenv.Ours, testenv.Runit} {
		out = append(out, impl{s.Name, s.Cmd(t, "runit"), s.Cmd(t, "runit-init")})
	}
	return out
}

type result struct {
	lines   []string
	outcome string
}

// compare boots sc with our runit and with runit's own binary at the same
// time, runs drive against each, and requires the same console output
// (after norm) and the same outcome. It returns our result.
func compare(t *testing.T, sc scenario, drive func(b *booted, im impl), norm func([]string) []string) result {
	t.Helper()
	if sc.files == nil {
		sc.files = map[string]string{}
	}
	// Our runit would otherwise take the namespace for a container.
	sc.files["nocontainer"] = ""
	var wg sync.WaitGroup
	res := make([]result, 2)
	for i, im := range impls(t) {
		b := boot(t, sc, im.runit)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { recover() }() // t.Fatal from a goroutine: reported below
			if drive != nil {
				drive(b, im)
			}
			res[i] = result{outcome: b.outcome()}
			res[i].lines = b.Lines()
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	ours, theirs := res[0], res[1]
	if norm != nil {
		ours.lines, theirs.lines = norm(ours.lines), norm(theirs.lines)
	}
	if ours.outcome != theirs.outcome {
		t.Errorf("outcome: ours %q, runit's %q", ours.outcome, theirs.outcome)
	}
	if strings.Join(ours.lines, "\n") != strings.Join(theirs.lines, "\n") {
		t.Errorf("console differs:\n--- ours:\n%s\n--- runit's:\n%s", strings.Join(ours.lines, "\n"), strings.Join(theirs.lines, "\n"))
	}
	return res[0]
}

func expectLines(t *testing.T, got []string, want ...string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("console:\n%s\n--- want:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

const (
	lBoot  = "- runit: $Id: 25da3b86f7bed4038b8a039d2f8e8c9bbcf0822b $: booting."
	lKill  = "- runit: sending KILL signal to all processes..."
	lPower = "- runit: power off..."
)

func enter(n string) string { return "- runit: enter stage: /etc/runit/" + n }
func leave(n string) string { return "- runit: leave stage: /etc/runit/" + n }

const masks = `$(grep -E '^Sig(Blk|Ign)' /proc/$$/status | tr '\n\t' '  ')`

func TestStageOrderSignalsReboot(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "normal", files: map[string]string{
		"1": `#!/bin/sh
echo "stage1: args=[$*] stdin=$(readlink /proc/$$/fd/0) ppid=$(cut -d' ' -f4 /proc/$$/stat)"
echo "stage1: environment: $(tr '\0' ' ' </proc/$$/environ)"
echo "stage1: ` + masks + `"
echo "stage1: process 1 leads session $(cut -d' ' -f6 /proc/1/stat)"
`,
		"2": `#!/bin/sh
echo "stage2: ` + masks + `"
set -- $(cat /proc/$$/stat)
[ "$1" = "$5" ] && [ "$1" = "$6" ] && echo "stage2: session leader"
trap 'echo "stage2: got ALRM"' ALRM
trap 'echo "stage2: got TERM"; exit 0' TERM
echo "stage2: ready"
while :; do sleep 1 & wait $!; done
`,
		"3": `#!/bin/sh
echo "stage3: stopit=$(stat -c %a /run/runit.stopit) reboot=$(stat -c %a /run/runit.reboot)"
echo "stage3: ` + masks + `"
`,
	}}
	r := compare(t, sc, func(b *booted, im impl) {
		b.waitLine("stage2: ready")
		b.kill(syscall.SIGHUP)
		b.kill(syscall.SIGTERM)
		b.kill(syscall.SIGCONT) // no /run/runit.stopit: nothing happens
		b.kill(syscall.SIGALRM) // forwarded to stage 2
		b.waitLine("stage2: got ALRM")
		if !b.alive() {
			t.Errorf("%s: process 1 ended", im.name)
		}
		b.nsenter(im.runitInit, "6")
	}, nil)
	expectLines(t, r.lines, lBoot, enter("1"),
		"stage1: args=[] stdin=/dev/console ppid=1",
		"stage1: environment: PATH=/usr/sbin:/usr/bin:/sbin:/bin SCEN=normal ",
		"stage1: SigBlk: 0000000020000000 SigIgn: 0000000000020000 ",
		"stage1: process 1 leads session 1",
		leave("1"), enter("2"),
		"stage2: SigBlk: 0000000020000000 SigIgn: 0000000000020000 ",
		"stage2: session leader",
		"stage2: ready",
		"stage2: got ALRM",
		"stage2: got TERM",
		leave("2"), enter("3"),
		"stage3: stopit=0 reboot=100",
		"stage3: SigBlk: 0000000020000000 SigIgn: 0000000000020000 ",
		leave("3"), lKill, "- runit: system reboot.")
	if r.outcome != "signal: hangup" {
		t.Errorf("outcome %q, want reboot (killed by SIGHUP)", r.outcome)
	}
}

const (
	lFailed = "- runit: warning: child failed: /etc/runit/"
	lSig2   = "- runit: warning: signals only work in stage 2."
)

// stage2Wait is a stage 2 that says it is ready and exits on TERM.
const stage2Wait = `#!/bin/sh
trap 'echo "stage2: got TERM"; exit 0' TERM
echo "stage2: ready"
while :; do sleep 1 & wait $!; done
`

const stage3Flags = `#!/bin/sh
echo "stage3: stopit=$(stat -c %a /run/runit.stopit 2>&1) reboot=$(stat -c %a /run/runit.reboot 2>&1)"
`

const stage1Flags0 = `#!/bin/sh
: >/run/runit.stopit; chmod 0 /run/runit.stopit
: >/run/runit.reboot; chmod 0 /run/runit.reboot
echo "stage1: flags created with mode 000"
`

func TestStageExitCodes(t *testing.T) {
	t.Parallel()
	s3 := "#!/bin/sh\necho stage3: ran\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		modes map[string]uint32
		want  []string
	}{
		{"s1exit100", map[string]string{"1": "#!/bin/sh\necho stage1: exiting 100\nexit 100\n", "2": "#!/bin/sh\necho stage2: ran\n", "3": s3}, nil,
			[]string{lBoot, enter("1"), "stage1: exiting 100", lFailed + "1", leave("1"), "- runit: warning: skipping stage 2...",
				enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
		{"s1exit1", map[string]string{"1": "#!/bin/sh\nexit 1\n", "2": "#!/bin/sh\necho stage2: ran\n", "3": s3}, nil,
			[]string{lBoot, enter("1"), lFailed + "1", leave("1"), enter("2"), "stage2: ran", leave("2"),
				enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
		{"s1crash", map[string]string{"1": "#!/bin/sh\nkill -KILL $$\n", "2": "#!/bin/sh\necho stage2: ran\n", "3": s3}, nil,
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ran", leave("2"),
				enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
		{"s2crash", map[string]string{"1": "#!/bin/sh\n", "2": "#!/bin/sh\necho stage2: SEGV\nkill -SEGV $$\necho stage2: survived\n", "3": s3}, nil,
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: SEGV", leave("2"),
				enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
		{"s1noexec", map[string]string{"1": "#!/bin/sh\necho stage1: ran\n", "2": "#!/bin/sh\necho stage2: ran\n", "3": s3}, map[string]uint32{"1": 0o644},
			[]string{lBoot, enter("1"), "- runit: fatal: unable to start child: /etc/runit/1: access denied", leave("1"),
				enter("2"), "stage2: ran", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
		{"s2exit111", map[string]string{"1": "#!/bin/sh\n", "2": `#!/bin/sh
if [ -e /run/ran ]; then
  s=$(cut -d' ' -f3 /proc/$(cat /run/bg)/stat 2>/dev/null)
  [ -z "$s" ] || [ "$s" = Z ] && echo "stage2: run #2, background child killed"
  exit 0
fi
: >/run/ran
sleep 1000 &
echo $! >/run/bg
echo "stage2: run #1, exiting 111"
exit 111
`, "3": s3}, nil,
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: run #1, exiting 111", lFailed + "2",
				"- runit: warning: killing all processes in stage 2...", "- runit: warning: restarting.",
				enter("2"), "stage2: run #2, background child killed", leave("2"),
				enter("3"), "stage3: ran", leave("3"), lKill, lPower}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.files["nosync"] = ""
			r := compare(t, scenario{name: c.name, files: c.files, modes: c.modes}, nil, nil)
			expectLines(t, r.lines, c.want...)
			if r.outcome != "signal: interrupt" {
				t.Errorf("outcome %q, want power off (killed by SIGINT)", r.outcome)
			}
		})
	}
}

func TestCtrlAltDel(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "cad", files: map[string]string{
		"nosync": "",
		"1":      stage1Flags0 + "while [ ! -e /run/go ]; do sleep 0.05; done\n",
		"2":      stage2Wait,
		"3":      stage3Flags,
		"ctrlaltdel": `#!/bin/sh
echo "ctrlaltdel: ` + masks + `"
chmod 100 /run/runit.stopit
echo "ctrlaltdel: done"
`,
	}}
	r := compare(t, sc, func(b *booted, im impl) {
		b.waitLine("stage1: flags created")
		b.kill(syscall.SIGINT) // stage 1: only a warning
		b.waitLine(lSig2)
		if err := os.WriteFile(b.root("/run/go"), nil, 0o644); err != nil {
			t.Error(err)
		}
		b.waitLine("stage2: ready")
		b.kill(syscall.SIGINT)
	}, nil)
	expectLines(t, r.lines, lBoot, enter("1"), "stage1: flags created with mode 000", lSig2, leave("1"),
		enter("2"), "stage2: ready", "- runit: ctrl-alt-del request...", "- runit: enter stage: /etc/runit/ctrlaltdel",
		"ctrlaltdel: SigBlk: 0000000020037003 SigIgn: 0000000000000000 ", "ctrlaltdel: done",
		"- runit: leave stage: /etc/runit/ctrlaltdel", "stage2: got TERM", leave("2"), enter("3"),
		"stage3: stopit=0 reboot=0", leave("3"), lKill, lPower)
	if r.outcome != "signal: interrupt" {
		t.Errorf("outcome %q, want power off", r.outcome)
	}
}

func TestPowerFail(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "pwr", files: map[string]string{
		"nosync": "", "1": stage1Flags0, "2": stage2Wait, "3": stage3Flags}}
	dropSig2 := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if l != lSig2 {
				out = append(out, l)
			}
		}
		return out
	}
	r := compare(t, sc, func(b *booted, im impl) {
		b.waitLine("stage2: ready")
		b.kill(syscall.SIGINT) // no /etc/runit/ctrlaltdel: nothing
		if err := os.Chmod(b.root("/run/runit.reboot"), 0o100); err != nil {
			t.Error(err)
		}
		b.kill(syscall.SIGPWR) // shuts down and powers off even so
	}, dropSig2)
	expectLines(t, dropSig2(r.lines), lBoot, enter("1"), "stage1: flags created with mode 000", leave("1"),
		enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"),
		"stage3: stopit=0 reboot=100", leave("3"), lKill, lPower)
	if r.outcome != "signal: interrupt" {
		t.Errorf("outcome %q, want power off", r.outcome)
	}
}

func TestStubbornStage2(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "stubborn2", files: map[string]string{
		"nosync": "", "1": stage1Flags0, "3": stage3Flags,
		"2": `#!/bin/sh
trap 'echo "stage2: TERM ignored"' TERM
echo "stage2: ready"
while :; do sleep 1 & wait $!; done
`}}
	r := compare(t, sc, func(b *booted, im impl) {
		b.waitLine("stage2: ready")
		b.nsenter(im.runitInit, "0")
	}, nil)
	expectLines(t, r.lines, lBoot, enter("1"), "stage1: flags created with mode 000", leave("1"),
		enter("2"), "stage2: ready", "stage2: TERM ignored", "- runit: warning: stage 2 not terminated, sending sigkill...",
		leave("2"), enter("3"), "stage3: stopit=0 reboot=0", leave("3"), lKill, lPower)
}

// TestIgnoredSignals sends process 1 every signal it must survive, from
// inside the namespace (a stage script) and from outside.
func TestIgnoredSignals(t *testing.T) {
	t.Parallel()
	// Stage 2 sends signals 1-64 from inside, the test 1-64 from outside.
	// Signals 32 and 34 used to kill our process 1 (Go's signal.Ignore
	// does nothing for them, they stayed at their default action).
	sc := scenario{name: "signals", files: map[string]string{
		"nocontainer": "", "nosync": "", "1": stage1Flags0, "3": "#!/bin/sh\necho stage3: ran\n",
		"2": `#!/bin/sh
trap 'echo "stage2: got TERM"; exit 0' TERM
for s in $(seq 1 64); do
  case $s in 2|9|14|18|19|30) ;; *) kill -$s 1 || echo "stage2: kill -$s failed";; esac
done
echo "stage2: ready"
while :; do sleep 1 & wait $!; done
`}}
	skip := map[int]bool{2: true, 9: true, 14: true, 18: true, 19: true, 30: true}
	// drive sends every other signal from outside, then runit-init 0. It
	// reports false (without failing the test) if process 1 was gone.
	drive := func(b *booted, im impl) bool {
		b.waitLine("stage2: ready")
		for s := 1; s <= 64; s++ {
			if !skip[s] && syscall.Kill(b.pid, syscall.Signal(s)) != nil {
				return false
			}
		}
		out, err := b.Nsenter(im.runitInit, "0")
		if err != nil {
			t.Logf("%s: nsenter runit-init 0: %v %s", im.name, err, out)
			return false
		}
		return true
	}
	want := []string{lBoot, enter("1"), "stage1: flags created with mode 000", leave("1"),
		enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, lPower}
	ims := impls(t)
	// Ours must survive every signal, every time.
	b := boot(t, sc, ims[0].runit)
	// Deterministic part: no signal may be left at its default action
	// (which, sent from outside the namespace, kills process 1).
	b.waitLine("stage2: ready")
	if left := defaultSignals(t, b.pid); len(left) > 0 {
		t.Errorf("our process 1 leaves signals at their default action: %v", left)
	}
	// And none ignored: its children (the hosted services) would inherit it.
	if st, _ := os.ReadFile("/proc/" + strconv.Itoa(b.pid) + "/status"); !strings.Contains(string(st), "SigIgn:\t0000000000000000\n") {
		t.Errorf("our process 1 ignores signals (children inherit that):\n%s", st)
	}
	if !drive(b, ims[0]) {
		b.Stop() // it may still run if only nsenter failed
		t.Fatalf("our process 1 did not survive the signals (%v):\n%s", b.State(), strings.Join(b.Lines(), "\n"))
	}
	b.outcome()
	ours := b.Lines()
	expectLines(t, ours, want...)
	// runit's own C binary, under the same barrage, now and then shuts
	// down right after stage 2 starts (about one run in three, seen only
	// with this barrage; not yet explained), so it gets three tries to
	// show the console ours must match.
	var theirs []string
	for try := 0; try < 3 && theirs == nil; try++ {
		b := boot(t, sc, ims[1].runit)
		ok := drive(b, ims[1])
		b.outcome()
		if ok {
			theirs = b.Lines()
		} else {
			t.Logf("runit's binary shut down early (try %d):\n%s", try+1, strings.Join(b.Lines(), "\n"))
		}
	}
	if theirs == nil {
		t.Fatal("runit's binary never survived the barrage: nothing to compare with")
	}
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("console differs:\n--- ours:\n%s\n--- runit's:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
}

// TestPowerFailInStage1: Debian's runit leaves the SIGPWR flag set outside
// stage 2, so a SIGPWR received during stage 1 shuts down at the first
// wake-up in stage 2 (here: an orphan's exit).
func TestPowerFailInStage1(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "pwr1", files: map[string]string{
		"nosync": "", "3": stage3Flags,
		"1": stage1Flags0 + "while [ ! -e /run/go ]; do sleep 0.05; done\n",
		"2": `#!/bin/sh
trap 'echo "stage2: got TERM"; exit 0' TERM
echo "stage2: ready"
(sleep 0.2 &)
while :; do sleep 1 & wait $!; done
`}}
	dropSig2 := func(ls []string) []string {
		var out []string
		for i, l := range ls {
			if l != lSig2 || i < 4 {
				out = append(out, l)
			}
		}
		return out
	}
	r := compare(t, sc, func(b *booted, im impl) {
		b.waitLine("stage1: flags created")
		b.kill(syscall.SIGPWR)
		b.waitLine(lSig2)
		if err := os.WriteFile(b.root("/run/go"), nil, 0o644); err != nil {
			t.Error(err)
		}
	}, dropSig2)
	expectLines(t, dropSig2(r.lines), lBoot, enter("1"), "stage1: flags created with mode 000", lSig2, leave("1"),
		enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"),
		"stage3: stopit=0 reboot=0", leave("3"), lKill, lPower)
}

// defaultSignals returns the signals (SIGKILL and SIGSTOP aside) that
// process pid neither catches nor ignores, from /proc/PID/status.
func defaultSignals(t *testing.T, pid int) []int {
	t.Helper()
	st, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	var ign, cgt uint64
	for _, l := range strings.Split(string(st), "\n") {
		k, v, _ := strings.Cut(l, ":")
		n, _ := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		switch k {
		case "SigIgn":
			ign = n
		case "SigCgt":
			cgt = n
		}
	}
	var left []int
	for sig := 1; sig <= 64; sig++ {
		if sig != 9 && sig != 19 && (ign|cgt)&(1<<(sig-1)) == 0 {
			left = append(left, sig)
		}
	}
	return left
}

// orphans makes 20 orphans of process 1 that exit at once, then waits (up
// to 20 s) until process 1 has no child left but this script: every
// orphan reaped, whatever the stage.
const orphans = `
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do (/bin/true &); done
n=0
while :; do
  left=0
  for s in /proc/[0-9]*/stat; do
    set -- $(cat $s 2>/dev/null) x x x x
    [ "$4" = 1 ] && [ "$1" != $$ ] && left=$((left+1))
  done
  [ $left -eq 0 ] && break
  n=$((n+1)); [ $n -ge 200 ] && break
  sleep 0.1
done
`

func TestReapEveryStage(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "reap", files: map[string]string{
		"1": "#!/bin/sh\n" + orphans + "echo \"stage1: children of process 1 left: $left\"\n",
		"2": "#!/bin/sh\n" + orphans + "echo \"stage2: children of process 1 left: $left\"\n",
		"3": "#!/bin/sh\n" + orphans + "echo \"stage3: children of process 1 left: $left\"\n",
	}}
	r := compare(t, sc, nil, nil)
	expectLines(t, r.lines, lBoot, enter("1"), "stage1: children of process 1 left: 0", leave("1"),
		enter("2"), "stage2: children of process 1 left: 0", leave("2"),
		enter("3"), "stage3: children of process 1 left: 0", leave("3"), lKill, lPower)
}
