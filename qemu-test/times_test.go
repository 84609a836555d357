//go:build qemu

package qemutest

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorunit/internal/testenv"
)

// bootmark is a test-only service: once every example service is up and
// its check passes it prints ALL-UP with the kernel's uptime on the
// console and asks for a power-off.
var bootmark = map[string]string{
	"etc/sv/bootmark/run": `#!/bin/sh
until sv -w 60 check /etc/service/console /etc/service/greeter /etc/service/httpd >/dev/null 2>&1; do
	sleep 0.1
done
read up idle </proc/uptime
echo "ALL-UP $up" >/dev/console
runit-init 0
exec sleep 100000
`,
	"etc/runit/runsvdir/default/bootmark@": "/etc/sv/bootmark",
}

type bootTime struct {
	runit, stage2, up, off, guestUp, cpu time.Duration
}

// TestBootTimes measures, over QEMU_BOOT_TIMES boots of each, the time
// from qemu's start to "every example service up and checked" and to
// qemu's exit after the power-off that follows at once, for gorunit and
// (if `make oracle` fetched it) runit's Debian binaries with glibc, in
// the same initramfs. Boots alternate between the two.
func TestBootTimes(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("QEMU_BOOT_TIMES"))
	if n <= 0 {
		t.Skip("set QEMU_BOOT_TIMES=n to measure boot times")
	}
	// QEMU_BOOT_ONLY=gorunit|debian measures one of them (make bench).
	only := os.Getenv("QEMU_BOOT_ONLY")
	var kinds []string
	imgs := map[string]string{}
	if only == "" || only == "gorunit" {
		kinds = append(kinds, "gorunit")
		imgs["gorunit"] = image(t, "times-gorunit", nil, merge(testTools, bootmark))
	}
	if _, err := os.Stat(filepath.Join(testenv.OracleDir(t), "sbin", "runit")); err == nil && (only == "" || only == "debian") {
		kinds = append(kinds, "debian")
		imgs["debian"] = image(t, "times-debian", []string{"-D"}, merge(testTools, bootmark))
	}
	res := map[string][]bootTime{}
	for i := 0; i < n; i++ {
		for _, k := range kinds {
			res[k] = append(res[k], measure(t, k, imgs[k]))
		}
	}
	for _, k := range kinds {
		var rn, s2, up, off, gup, cpu []time.Duration
		for _, r := range res[k] {
			rn = append(rn, r.runit)
			s2 = append(s2, r.stage2)
			up = append(up, r.up)
			off = append(off, r.off)
			gup = append(gup, r.guestUp)
			cpu = append(cpu, r.cpu)
		}
		t.Logf("%-8s n=%d  qemu start -> runit's first message: median %v; -> stage 2: median %v", k, n, median(rn), median(s2))
		t.Logf("%-8s n=%d  qemu start -> all services up: median %v %v; -> power-off (qemu exit): median %v %v; kernel uptime at all up: median %v; qemu CPU time for the whole run: median %v",
			k, n, median(up), rounded(up), median(off), rounded(off), median(gup), median(cpu))
	}
}

func measure(t *testing.T, kind, img string) bootTime {
	var r bootTime
	t.Run(kind, func(t *testing.T) {
		v := boot(t, kind, img)
		v.expect(`- runit: \$Id: [0-9a-f]+ \$: booting\.`, bootDeadline)
		r.runit = time.Since(v.start)
		v.expectLines(bootDeadline, "- runit: enter stage: /etc/runit/2")
		r.stage2 = time.Since(v.start)
		subs := v.expect(`ALL-UP ([0-9.]+)`, bootDeadline)
		r.up = time.Since(v.start)
		f, _ := strconv.ParseFloat(subs[1], 64)
		r.guestUp = time.Duration(f * float64(time.Second))
		if reason := v.waitExit(downDeadline); reason != "guest-shutdown" {
			t.Errorf("SHUTDOWN reason %q", reason)
		}
		r.off = v.end.Sub(v.start)
		r.cpu = v.cmd.ProcessState.UserTime() + v.cmd.ProcessState.SystemTime()
		v.checkClean()
	})
	return r
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2].Round(10 * time.Millisecond)
	}
	return ((s[len(s)/2-1] + s[len(s)/2]) / 2).Round(10 * time.Millisecond)
}

func rounded(d []time.Duration) string {
	var parts []string
	for _, x := range d {
		parts = append(parts, x.Round(10*time.Millisecond).String())
	}
	return "[" + strings.Join(parts, " ") + "]"
}
