package main

// Row 9: a 10-service container. Process 1 (runit: ours or runit's)
// boots in new PID and mount namespaces, /etc/service a bind mount of a
// 10-service tree with loggers: ours with its built-in stages (an empty
// /etc/runit), runit's with shell stages whose stage 2 execs
// runsvdir -P /etc/service, as Debian's does. 2 s after every service and
// logger is up, the PSS of every process of the namespace is summed
// ("all"), and again without the services' own processes (the sleeps:
// what the supervision costs), with process 1's PSS and the threads of the
// namespace beside it. runit's binaries are dynamically linked: their
// share of libc is divided among every process on the host using it.

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

const containerBoot = `set -e
mount --make-rprivate /
mount --bind "$ETC" /etc/runit
mount --bind "$SVDIR" /etc/service
mount -t tmpfs tmpfs /run
mount -t proc proc /proc
mount --bind "$CONSOLE" /dev/console
exec env -i PATH="$BIN:/usr/sbin:/usr/bin:/sbin:/bin" "$RUNIT"
`

func benchContainer(im impl) (result, error) {
	svdir, services, err := makeTree(10, true)
	if err != nil {
		return nil, err
	}
	defer removeTree(svdir)
	root := filepath.Dir(svdir)
	etc := filepath.Join(root, "etc-runit")
	if err := os.MkdirAll(etc, 0o755); err != nil {
		return nil, err
	}
	if im.name == "ours" {
		// The per-process shape (runsvdir, a runsv per service) under
		// the built-in stages; row 10 measures the one-process shape.
		if err := os.WriteFile(filepath.Join(svdir, ".per-process"), nil, 0o644); err != nil {
			return nil, err
		}
	}
	if im.name != "ours" { // ours: the built-in stages
		for name, body := range map[string]string{
			"1":      "#!/bin/sh\nexit 0\n",
			"2":      "#!/bin/sh\nexec runsvdir -P /etc/service\n",
			"3":      "#!/bin/sh\nexit 0\n",
			"nosync": "",
		} {
			mode := os.FileMode(0o755)
			if body == "" {
				mode = 0o644
			}
			if err := os.WriteFile(filepath.Join(etc, name), []byte(body), mode); err != nil {
				return nil, err
			}
		}
	}
	console := filepath.Join(root, "console")
	if err := os.WriteFile(console, nil, 0o600); err != nil {
		return nil, err
	}
	for _, d := range []string{"/etc/runit", "/etc/service"} { // mount points
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	null, _ := os.Open(os.DevNull)
	defer null.Close()
	cons, _ := os.OpenFile(console, os.O_WRONLY|os.O_APPEND, 0)
	defer cons.Close()
	p, stop, err := bootNS(containerBoot, []string{"ETC=" + etc, "SVDIR=" + svdir,
		"CONSOLE=" + console, "BIN=" + im.bin, "RUNIT=" + im.runit}, null, cons)
	if err != nil {
		return nil, err
	}
	defer stop()
	if err := waitAllUp(services, true, 20*time.Millisecond, 60*time.Second); err != nil {
		c, _ := os.ReadFile(console)
		return nil, fmt.Errorf("container: %v; console: %.300s", err, c)
	}
	time.Sleep(2 * time.Second)
	var all, infra float64
	var threadsAll int
	for _, q := range descendants(p.Pid) {
		kB := pssKB(q.pid)
		all += kB
		threadsAll += threads(q.pid)
		if q.exe != "sleep" {
			infra += kB
		}
	}
	return result{
		"ctr.all": all / 1024, "ctr.infra": infra / 1024, "ctr.pid1": pssKB(p.Pid) / 1024,
		"ctr.pid1thr": float64(threads(p.Pid)), "ctr.threads": float64(threadsAll),
	}, nil
}
