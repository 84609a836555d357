package stages

// Behaviour beyond runit's (ours only): container mode, built-in stages,
// and the orphan storm measured against runit's own binary.

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"gorunit/internal/testenv"
)

func TestContainerMode(t *testing.T) {
	t.Parallel()
	s3 := "#!/bin/sh\necho stage3: ran\n"
	termExit5 := `#!/bin/sh
trap 'echo "stage2: got TERM"; exit 5' TERM
echo "stage2: ready"
while :; do sleep 1 & wait $!; done
`
	for _, c := range []struct {
		name    string
		files   map[string]string
		sig     syscall.Signal // sent once "stage2: ready" (or "stage1: ready") shows
		ready   string
		outcome string
		want    []string
	}{
		{"stage2-exit3", map[string]string{"1": "#!/bin/sh\n", "2": "#!/bin/sh\nexit 3\n", "3": s3}, 0, "", "exit 3",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), lFailed + "2", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: exit 3."}},
		{"stage2-killed", map[string]string{"1": "#!/bin/sh\n", "2": "#!/bin/sh\nkill -KILL $$\n", "3": s3}, 0, "", "exit 137",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: exit 137."}},
		{"term-exitcode-file", map[string]string{"1": "#!/bin/sh\n", "2": termExit5, "3": "#!/bin/sh\necho 7 >/run/runit.exitcode\n"},
			syscall.SIGTERM, "stage2: ready", "exit 7",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"), leave("3"), lKill, "- runit: exit 7."}},
		{"int", map[string]string{"1": "#!/bin/sh\n", "2": termExit5, "3": s3}, syscall.SIGINT, "stage2: ready", "exit 0",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: exit 0."}},
		{"term-in-stage1", map[string]string{"1": "#!/bin/sh\necho stage1: ready\nwhile [ ! -e /run/go ]; do sleep 0.05; done\n", "2": termExit5, "3": s3},
			syscall.SIGTERM, "stage1: ready", "exit 0",
			[]string{lBoot, enter("1"), "stage1: ready", lSig2, leave("1"), "- runit: warning: skipping stage 2...", enter("3"), "stage3: ran", leave("3"), lKill, "- runit: exit 0."}},
		// The test's namespace holds CAP_SYS_BOOT (as LXC's and
		// systemd-nspawn's do): a reboot request reboots (the parent
		// sees SIGHUP), a halt still exits with the exit code.
		{"reboot-flag", map[string]string{"1": "#!/bin/sh\ntouch /run/runit.stopit /run/runit.reboot\nchmod 100 /run/runit.stopit /run/runit.reboot\n", "2": termExit5, "3": s3},
			syscall.SIGCONT, "stage2: ready", "signal: hangup",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: system reboot."}},
		{"halt-flag", map[string]string{"1": "#!/bin/sh\ntouch /run/runit.stopit\nchmod 100 /run/runit.stopit\n", "2": termExit5, "3": "#!/bin/sh\necho 4 >/run/runit.exitcode\n"},
			syscall.SIGCONT, "stage2: ready", "exit 4",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "stage2: got TERM", leave("2"), enter("3"), leave("3"), lKill, "- runit: exit 4."}},
		// SIGINT runs /etc/runit/ctrlaltdel (here asking for a reboot),
		// then stops the container.
		{"ctrlaltdel-reboot", map[string]string{"1": "#!/bin/sh\n", "2": termExit5, "3": s3,
			"ctrlaltdel": "#!/bin/sh\necho ctrlaltdel: ran\ntouch /run/runit.reboot\nchmod 100 /run/runit.reboot\n"},
			syscall.SIGINT, "stage2: ready", "signal: hangup",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "- runit: ctrl-alt-del request...", "- runit: enter stage: /etc/runit/ctrlaltdel",
				"ctrlaltdel: ran", "- runit: leave stage: /etc/runit/ctrlaltdel", "stage2: got TERM", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: system reboot."}},
		{"ctrlaltdel-halt", map[string]string{"1": "#!/bin/sh\n", "2": termExit5, "3": s3, "ctrlaltdel": "#!/bin/sh\necho ctrlaltdel: ran\n"},
			syscall.SIGINT, "stage2: ready", "exit 0",
			[]string{lBoot, enter("1"), leave("1"), enter("2"), "stage2: ready", "- runit: ctrl-alt-del request...", "- runit: enter stage: /etc/runit/ctrlaltdel",
				"ctrlaltdel: ran", "- runit: leave stage: /etc/runit/ctrlaltdel", "stage2: got TERM", leave("2"), enter("3"), "stage3: ran", leave("3"), lKill, "- runit: exit 0."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.files["nosync"] = ""
			b := boot(t, scenario{name: c.name, files: c.files}, testenv.Bin(t, "runit"))
			if c.sig != 0 {
				b.waitLine(c.ready)
				b.kill(c.sig)
				if c.ready == "stage1: ready" {
					b.waitLine(lSig2)
					os.WriteFile(b.root("/run/go"), nil, 0o644)
				}
			}
			if o := b.outcome(); o != c.outcome {
				t.Errorf("outcome %q, want %q", o, c.outcome)
			}
			expectLines(t, b.Lines(), c.want...)
		})
	}
}

// runsvdirPath is PATH with our runsvdir/runsv if built, else runit's.
func runsvdirPath(t *testing.T) string {
	dir := filepath.Join(testenv.Root(t), "bin")
	if _, err := os.Stat(filepath.Join(dir, "runsvdir")); err != nil {
		dir = testenv.OracleBinDir(t)
	}
	return "PATH=" + dir + ":/usr/sbin:/usr/bin:/sbin:/bin"
}

func TestBuiltinStage1(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) to look at the loopback interface")
	}
	sc := scenario{name: "builtin1", unmountAPI: true, hostnm: "gorunit-test\n",
		clone: syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET,
		files: map[string]string{"nosync": "", "3": "#!/bin/sh\n", "2": `#!/bin/sh
echo "stage2: hostname=$(cat /proc/sys/kernel/hostname)"
for m in /proc /sys /dev/pts /dev/shm /sys/fs/cgroup; do
  grep -q "^[^ ]* [^ ]* [^ ]* [^ ]* $m " /proc/self/mountinfo && echo "stage2: $m mounted"
done
ip -o link show lo | grep -q '[<,]UP[,>]' && echo "stage2: lo up"
for a in $(ip -o addr show dev lo | awk '{print $4}'); do echo "stage2: lo $a"; done
echo "stage2: stopit=$(stat -c %a /run/runit.stopit)"
`}}
	b := boot(t, sc, testenv.Bin(t, "runit"))
	if o := b.outcome(); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
	expectLines(t, b.Lines(), lBoot, enter("1 (built-in)"), leave("1 (built-in)"), enter("2"),
		"stage2: hostname=gorunit-test", "stage2: /proc mounted", "stage2: /sys mounted", "stage2: /dev/pts mounted",
		"stage2: /dev/shm mounted", "stage2: /sys/fs/cgroup mounted", "stage2: lo up", "stage2: lo 127.0.0.1/8", "stage2: lo ::1/128", "stage2: stopit=0",
		leave("2"), enter("3"), leave("3"), lKill, "- runit: exit 0.")
}

// TestBuiltinStage1Container: in a container without CAP_NET_ADMIN (and
// here with a loopback interface that is down, without addresses and with
// IPv6 off), the built-in stage 1 cannot set up lo, which is expected
// there and so not worth a warning, as for the mounts.
func TestBuiltinStage1Container(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs ip(8) to look at the loopback interface")
	}
	sc := scenario{name: "builtin1-nonetadmin", unmountAPI: true, noNetAdmin: true,
		clone: syscall.CLONE_NEWUTS | syscall.CLONE_NEWNET,
		files: map[string]string{"nosync": "", "3": "#!/bin/sh\n", "2": `#!/bin/sh
ip -o link show lo | grep -q '[<,]UP[,>]' || echo "stage2: lo down"
echo "stage2: addresses: $(ip -o addr show dev lo | awk '{print $4}')"
`}}
	b := boot(t, sc, testenv.Bin(t, "runit"))
	if o := b.outcome(); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
	expectLines(t, b.Lines(), lBoot, enter("1 (built-in)"), leave("1 (built-in)"), enter("2"),
		"stage2: lo down", "stage2: addresses: ", leave("2"), enter("3"), leave("3"), lKill, "- runit: exit 0.")
}

func TestBuiltinStages23(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "builtin23", env: []string{runsvdirPath(t)},
		files: map[string]string{"nosync": "", "1": "#!/bin/sh\necho stage1: ran\n"},
		svc: map[string]string{"hello": `#!/bin/sh
trap 'echo "got TERM"; exit 0' TERM
echo "up"
while :; do sleep 1 & wait $!; done
`, "stubborn": `#!/bin/sh
trap 'echo "TERM ignored"' TERM
echo "up"
while :; do sleep 1 & wait $!; done
`}}
	// The one-process stage 2 prefixes each line with the service's name.
	b := boot(t, sc, testenv.Bin(t, "runit"))
	b.waitLine("hello: up")
	b.waitLine("stubborn: up")
	b.kill(syscall.SIGTERM)
	if o := b.outcome(); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
	var got []string
	for _, l := range b.Lines() {
		// The stubborn service is sent TERM once, then KILL.
		if strings.HasPrefix(l, "- runit:") || strings.Contains(l, "TERM") {
			got = append(got, l)
		}
	}
	// runsvdir's log area is the only thing that may vary.
	want := []string{lBoot, enter("1"), leave("1"), enter("2 (built-in)"), leave("2 (built-in)"),
		enter("3 (built-in)"), "hello: got TERM", "stubborn: TERM ignored",
		"- runit: warning: service not down after 7s, sending KILL: /etc/service/stubborn", leave("3 (built-in)"), lKill, "- runit: exit 0."}
	// The two services stop concurrently.
	if len(got) == len(want) && got[7] == want[6] && got[6] == want[7] {
		got[6], got[7] = got[7], got[6]
	}
	expectLines(t, got, want...)
}

var stormRe = regexp.MustCompile(`^storm: (\d+) orphans reaped in (\d+) ms$`)

// TestOrphanStorm: 10,000 orphans exit at once; process 1 must reap them
// all (the storm process waits until the namespace's /proc is back to
// its size before the storm). Ours and runit's, one after the other.
func TestOrphanStorm(t *testing.T) {
	n := "10000"
	if testing.Short() {
		n = "1000"
	}
	for _, im := range impls(t) {
		sc := scenario{name: "storm", env: []string{"STORM_BIN=" + os.Args[0], "STORM_N=" + n},
			files: map[string]string{"nosync": "", "nocontainer": "", "1": "#!/bin/sh\n", "3": "#!/bin/sh\n", "2": `#!/bin/sh
GORUNIT_STORM=$STORM_N "$STORM_BIN"
echo "stage2: zombies left: $(grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l)"
echo "stage2: done"
while :; do sleep 1; done
`}}
		b := boot(t, sc, im.runit)
		b.waitLine("stage2: done")
		var storm string
		for _, l := range b.Lines() {
			if stormRe.MatchString(l) {
				storm = l
			}
			if strings.HasPrefix(l, "stage2: zombies") && l != "stage2: zombies left: 0" {
				t.Errorf("%s: %s", im.name, l)
			}
		}
		m := stormRe.FindStringSubmatch(storm)
		if m == nil {
			t.Fatalf("%s: no storm report in %q", im.name, b.Lines())
		}
		if m[1] != n {
			t.Errorf("%s: %s orphans, want %s", im.name, m[1], n)
		}
		pss, _ := os.ReadFile("/proc/" + itoa(b.pid) + "/smaps_rollup")
		t.Logf("%s: %s; process 1 %s", im.name, storm, pssLine(string(pss)))
		b.kill(syscall.SIGKILL)
		b.outcome()
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

func pssLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, "Pss:") {
			return "PSS " + strings.Join(strings.Fields(l)[1:], " ")
		}
	}
	return "PSS ?"
}

// TestBuiltinStage2ContainerLog: in container mode the built-in stage 2
// says which services cannot be supervised, and runsvdir's log area (runsv's
// complaints, the services' standard error) also reaches process 1's
// standard error (here the console; docker logs in Docker).
func TestBuiltinStage2ContainerLog(t *testing.T) {
	t.Parallel()
	sc := scenario{name: "builtin2log", env: []string{runsvdirPath(t)},
		// Stage 1 makes ro's supervise a symlink whose target cannot be
		// created.
		files: map[string]string{"nosync": "", "1": "#!/bin/sh\nln -s /proc/nonexistent/supervise /etc/service/ro/supervise\n"},
		svc: map[string]string{
			"good": "#!/bin/sh\necho \"via stderr\" >&2\nexec sleep 1000000\n",
			"ro":   "#!/bin/sh\nexec sleep 1000000\n",
		}}
	b := boot(t, sc, testenv.Bin(t, "runit"))
	b.waitLine("good: via stderr")
	b.waitLine("- runit: warning: /etc/service/ro: cannot be supervised: /etc/service/ro/supervise: symlink to a directory that cannot be created")
	b.waitLine("runsv ro: fatal: ")
	b.kill(syscall.SIGTERM)
	if o := b.outcome(); o != "exit 0" {
		t.Errorf("outcome %q, want exit 0", o)
	}
}
