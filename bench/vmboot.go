package main

// Row 8: VM boot: a Debian kernel under qemu boots an initramfs with
// ours or runit's binaries as process 1 and the example services.
//
// The boot itself belongs to qemu-test/. This benchmark runs its boot
// helper, if there is one, once per implementation and round:
//
//	qemu-test/bench-boot ours|runit
//
// (any executable; BENCH_VM_CMD overrides the path), which must boot
// once and print two lines on stdout, in seconds since qemu started:
//
//	up=12.34     all example services up
//	off=15.67    qemu exited after power-off (runit-init 0)
//
// and exit 0. Without a helper the row reads "n/a (qemu-test not
// available)".

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

func vmHelper() string {
	if p := os.Getenv("BENCH_VM_CMD"); p != "" {
		return p
	}
	top, _ := os.Getwd()
	return filepath.Join(top, "qemu-test/bench-boot")
}

func benchVM(im impl) (result, error) {
	helper := vmHelper()
	if st, err := os.Stat(helper); err != nil || st.Mode()&0o111 == 0 {
		return nil, skip("n/a (qemu-test not available)")
	}
	cmd := exec.Command(helper, im.name)
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("vm: %s %s: %v: %.300s", helper, im.name, err, errb.String())
	}
	res := result{}
	for _, w := range strings.Fields(string(out)) {
		k, v, _ := strings.Cut(w, "=")
		if f, err := strconv.ParseFloat(v, 64); err == nil && (k == "up" || k == "off") {
			res["vm."+k] = f
		}
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("vm: %s printed %q, want up=SECONDS and off=SECONDS", helper, out)
	}
	return res, nil
}
