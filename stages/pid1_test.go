package stages

import (
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
	return []impl{
		{"gorunit", testenv.Bin(t, "runit"), testenv.Bin(t, "runit-init")},
		{"runit", testenv.Oracle(t, "runit"), testenv.Oracle(t, "runit-init")},
	}
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
