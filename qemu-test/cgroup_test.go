//go:build qemu

package qemutest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// hog is a service over its memory.max: ./run allocates 64 MB under a
// 16 MB limit, twice, and is OOM-killed each time; its third start stays
// up. ./finish records its arguments.
var hog = map[string]string{
	"etc/sv/hog/cgroup":            "",
	"etc/sv/hog/cgroup.memory.max": "16M\n",
	"etc/sv/hog/cgroup.pids.max":   "64\n",
	"etc/sv/hog/run": `#!/bin/sh
echo start >> /run/hog.starts
[ "$(wc -l < /run/hog.starts)" -ge 3 ] && exec sleep 100000
exec dd if=/dev/zero of=/dev/null bs=67108864 count=1
`,
	"etc/sv/hog/finish":               "#!/bin/sh\necho \"$1 $2\" >> /run/hog.finish\n",
	"etc/runit/runsvdir/default/hog@": "/etc/sv/hog",
}

// dbl leaves a daemon behind at its first start and exits; its second
// start stays up.
var dbl = map[string]string{
	"etc/sv/dbl/cgroup": "",
	"etc/sv/dbl/run": `#!/bin/sh
echo start >> /run/dbl.starts
[ "$(wc -l < /run/dbl.starts)" -ge 2 ] && exec sleep 100000
( sleep 100000 & echo $! > /run/dbl.orphan )
exit 0
`,
	"etc/runit/runsvdir/default/dbl@": "/etc/sv/dbl",
}

// TestCgroupOOM boots the built-in stages on a pure cgroup v2 kernel
// command line: stage 1 mounts cgroup2 on /sys/fs/cgroup, runsv puts the
// hog into /sys/fs/cgroup/gorunit/hog with its limits, and the kernel's
// OOM killer, confined to that cgroup, kills it; runsv restarts it.
// It runs twice: with runsvdir and a runsv process per service
// (/etc/service/.per-process), and with the services hosted by process 1.
func TestCgroupOOM(t *testing.T) {
	t.Parallel()
	for _, hosted := range []bool{false, true} {
		name, files := "cgroup-per-process", merge(testTools, hog, dbl, map[string]string{"etc/runit/runsvdir/default/.per-process": ""})
		if hosted {
			name, files = "cgroup-hosted", merge(testTools, hog, dbl)
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cgroupOOM(t, boot(t, name, image(t, name, []string{"-B"}, files), "cgroup_no_v1=all"), hosted)
		})
	}
}

func cgroupOOM(t *testing.T, v *vm, hosted bool) {
	v.expectLines(bootDeadline,
		"- runit: enter stage: /etc/runit/1 (built-in)",
		"- runit: leave stage: /etc/runit/1 (built-in)",
		"- runit: enter stage: /etc/runit/2 (built-in)")
	v.waitPrompt()
	if mounts := strings.Join(v.shOK("cat /proc/mounts"), "\n"); !strings.Contains(mounts, " /sys/fs/cgroup cgroup2 ") {
		t.Fatalf("no cgroup2 on /sys/fs/cgroup:\n%s", mounts)
	}
	if ps := strings.Join(v.shOK("ps"), "\n"); strings.Contains(ps, "runsv hog") == hosted {
		t.Fatalf("hosted %v, but ps shows:\n%s", hosted, ps)
	}
	st := v.until("sv status /etc/service/hog", `^run: /etc/service/hog: \(pid \d+\) \d+s$`, bootDeadline)
	v.until("wc -l < /run/hog.starts", `^\s*3$`, bootDeadline)
	st = v.until("sv status /etc/service/hog", `^run: /etc/service/hog: \(pid \d+\) \d+s$`, bootDeadline)
	pid, _ := strconv.Atoi(regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(st[0])[1])
	// Twice killed by signal 9 (./finish gets -1 and the signal).
	if fin := v.shOK("cat /run/hog.finish"); strings.Join(fin, "|") != "-1 9|-1 9" {
		t.Errorf("./finish got %q, want two OOM kills (-1 9)", fin)
	}
	// The kernel's OOM killer acted inside the service's cgroup.
	oom := strings.Join(v.shOK("dmesg"), "\n")
	if n := strings.Count(oom, "oom_memcg=/gorunit/hog,task_memcg=/gorunit/hog,task=dd"); n != 2 {
		t.Errorf("%d OOM kills of dd in /gorunit/hog in dmesg, want 2:\n%s", n, oom)
	}
	for file, want := range map[string]string{
		"/proc/" + strconv.Itoa(pid) + "/cgroup": "0::/gorunit/hog",
		// Two OOM kills, then the third start: supervise/extra shows the
		// restarts and the last end (SIGKILL), the cgroup last.
		"/etc/sv/hog/supervise/extra":           "restarts 2\nsignal 9\nfailed 0\ncheck none\ncheckfails 0\ncgroup /sys/fs/cgroup/gorunit/hog",
		"/sys/fs/cgroup/gorunit/hog/memory.max": "16777216",
		"/sys/fs/cgroup/gorunit/hog/pids.max":   "64",
	} {
		if got := strings.Join(v.shOK("cat "+file), "\n"); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// sv -j status reads the cgroup's accounting through supervise/extra.
	js := v.shOK("sv -j status /etc/service/hog")
	var status struct {
		State    string   `json:"state"`
		Memory   *float64 `json:"memory_bytes"`
		CPU      *float64 `json:"cpu_usec"`
		Signal   *int     `json:"signal"`
		Restarts *int     `json:"restarts"`
	}
	// ... and shows the OOM kills: two restarts, the last end SIGKILL.
	if len(js) != 1 || json.Unmarshal([]byte(js[0]), &status) != nil || status.State != "run" ||
		status.Memory == nil || *status.Memory <= 0 || status.CPU == nil ||
		status.Signal == nil || *status.Signal != 9 || status.Restarts == nil || *status.Restarts != 2 {
		t.Errorf("sv -j status: %q, want the state run, the cgroup's memory and CPU, signal 9 and 2 restarts", js)
	}
	// The daemon dbl's first run left was killed (cgroup.kill) before the
	// restart, which runs in the cgroup made afresh.
	st = v.until("sv status /etc/service/dbl", `^run: /etc/service/dbl: \(pid \d+\) \d+s$`, bootDeadline)
	dpid := regexp.MustCompile(`pid (\d+)`).FindStringSubmatch(st[0])[1]
	if procs := v.shOK("cat /sys/fs/cgroup/gorunit/dbl/cgroup.procs"); strings.Join(procs, " ") != dpid {
		t.Errorf("dbl's cgroup.procs = %q, want only ./run %s", procs, dpid)
	}
	if out, code := v.sh("cat /proc/$(cat /run/dbl.orphan)/stat"); code == 0 && !strings.Contains(strings.Join(out, ""), ") Z ") {
		t.Errorf("the daemon of dbl's first run is alive: %q", out)
	}
	if text := v.con.text(); strings.Contains(text, "runsv hog: warning") || strings.Contains(text, "runsv dbl: warning") {
		t.Errorf("runsv warned:\n%s", text)
	}
	powerOff(t, v, true)
}
