package main

// Row 6: reaping. Process 1 (runit: ours or runit's) boots in a new PID
// and mount namespace with scratch stage scripts: /etc/runit is a bind
// mount of a directory of ours, visible only inside the namespace. Stage
// 2 runs `bench storm 10000 OUT` (stormMain below), which creates 10,000
// orphans of process 1, makes them all exit at once and times until
// process 1 has reaped every one of them (no zombie left). The host side
// reads OUT and kills the namespace.

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const stormOrphans = 10000

// boot is what process 1 of the namespace runs first: /bin/sh, which
// sets up the mounts and then becomes runit (exec keeps pid 1).
const bootScript = `set -e
mount --make-rprivate /
mount --bind "$ETC" /etc/runit
mount -t tmpfs tmpfs /run
mount -t proc proc /proc
mount --bind "$CONSOLE" /dev/console
exec env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin BENCH="$BENCH" OUT="$OUT" N="$N" "$RUNIT"
`

var stageScripts = map[string]string{
	"1": "#!/bin/sh\nexit 0\n",
	"2": `#!/bin/sh
"$BENCH" storm "$N" >"$OUT.tmp" 2>&1
echo "zombies=$(grep -l '^State:.Z' /proc/[0-9]*/status 2>/dev/null | wc -l)" >>"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
exec sleep 1000000
`,
	"3": "#!/bin/sh\nexit 0\n",
	// Debian's runit: do not sync() at the end; gorunit: do not use
	// container mode (behave exactly like runit as a machine's init).
	"nosync":      "",
	"nocontainer": "",
}

func benchReap(im impl) (result, error) {
	seq++
	dir := filepath.Join(scratch, fmt.Sprintf("reap%d", seq))
	defer os.RemoveAll(dir)
	etc := filepath.Join(dir, "etc-runit")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return nil, err
	}
	for name, body := range stageScripts {
		mode := os.FileMode(0o755)
		if body == "" {
			mode = 0o644
		}
		if err := os.WriteFile(filepath.Join(etc, name), []byte(body), mode); err != nil {
			return nil, err
		}
	}
	console := filepath.Join(dir, "console")
	out := filepath.Join(dir, "storm.out")
	if err := os.WriteFile(console, nil, 0o600); err != nil {
		return nil, err
	}
	if err := os.MkdirAll("/etc/runit", 0o755); err != nil { // the mount point
		return nil, err
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cons, _ := os.OpenFile(console, os.O_WRONLY|os.O_APPEND, 0)
	defer cons.Close()
	_, stop, err := bootNS(bootScript, []string{"ETC=" + etc, "CONSOLE=" + console,
		"BENCH=" + self, "OUT=" + out, "N=" + itoa(stormOrphans), "RUNIT=" + im.runit}, null, cons)
	if err != nil {
		return nil, err
	}
	defer stop()
	deadline := time.Now().Add(120 * time.Second)
	var report string
	for {
		if b, err := os.ReadFile(out); err == nil {
			report = string(b)
			break
		}
		if time.Now().After(deadline) {
			c, _ := os.ReadFile(console)
			return nil, fmt.Errorf("reap: no storm report after 120 s; console: %.300s", c)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// report: "orphans=10000 us=12345\nzombies=0\n"
	f := map[string]string{}
	for _, w := range strings.Fields(report) {
		if k, v, ok := strings.Cut(w, "="); ok {
			f[k] = v
		}
	}
	if f["orphans"] != itoa(stormOrphans) || f["zombies"] != "0" || f["us"] == "" {
		return nil, fmt.Errorf("reap: unexpected report %q", report)
	}
	us, _ := strconv.ParseFloat(f["us"], 64)
	cpu, _ := strconv.ParseFloat(f["pid1cpu_us"], 64)
	return result{"reap": us / 1000, "reap.cpu": cpu / 1000}, nil
}

// bootNS starts sh -c script as process 1 of new PID and mount namespaces,
// standard input null, output to cons; stop kills the namespace (killing
// its process 1 kills everything in it) and reaps it.
func bootNS(script string, env []string, null, cons *os.File) (p *os.Process, stop func(), err error) {
	p, err = os.StartProcess("/bin/sh", []string{"sh", "-c", script}, &os.ProcAttr{
		Env:   append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}, env...),
		Files: []*os.File{null, cons, cons},
		Sys: &syscall.SysProcAttr{
			Cloneflags: syscall.CLONE_NEWPID | syscall.CLONE_NEWNS,
			Pdeathsig:  syscall.SIGKILL,
		},
	})
	if err != nil {
		return nil, nil, err
	}
	register(p.Pid)
	return p, func() {
		syscall.Kill(p.Pid, syscall.SIGKILL)
		var ws syscall.WaitStatus
		syscall.Wait4(p.Pid, &ws, 0, nil)
		unregister(p.Pid)
	}, nil
}
