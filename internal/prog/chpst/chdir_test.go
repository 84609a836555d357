package chpst_test

import (
	"os"
	"path/filepath"
	"testing"

	"gorunit/internal/testenv"
)

// TestChdir: runit 2.2's -C pwd, an addition to 2.1.2 (whose chpst
// rejects it with the usage). The directory is changed after the chroot
// (-/), so it names a directory inside the new root; a missing one is
// fatal (111) with chpst's "unable to change directory" message.
func TestChdir(t *testing.T) {
	r := newRunner(t)
	bb := testenv.Busybox(t)
	data, err := os.ReadFile(bb)
	if err != nil {
		t.Fatal(err)
	}
	r.write("root/bin/busybox", string(data), 0755)
	r.write("root/inner/x", "", 0644)
	r.write("sub/x", "", 0644)
	env := opts{env: []string{"PATH=/bin:/usr/bin"}}
	work, _ := filepath.EvalSymlinks(r.work)

	if got := r.run(r.odir, "chpst", []string{"-C", "sub", "pwd"}, env); got.code != 100 {
		t.Errorf("runit 2.1.2's chpst -C: %+v, want the usage (100)", got)
	}
	for _, c := range []struct {
		args []string
		want result
	}{
		{[]string{"-C", "sub", "pwd"}, result{out: work + "/sub\n"}},
		{[]string{"-C", "/", "pwd"}, result{out: "/\n"}},
		{[]string{"-/", "root", "-C", "/inner", "/bin/busybox", "pwd"}, result{out: "/inner\n"}},
		{[]string{"-C", "/inner", "-/", "root", "/bin/busybox", "pwd"}, result{out: "/inner\n"}},
		{[]string{"-/", "root", "-C", "inner", "/bin/busybox", "pwd"}, result{out: "/inner\n"}},
		{[]string{"-C", "nosuch", "pwd"}, result{err: "chpst: fatal: unable to change directory: nosuch: file does not exist\n", code: 111}},
		{[]string{"-/", "root", "-C", "sub", "/bin/busybox", "pwd"}, result{err: "chpst: fatal: unable to change directory: sub: file does not exist\n", code: 111}},
	} {
		if got := r.run(r.gdir, "chpst", c.args, env); got != c.want {
			t.Errorf("chpst %q: %+v, want %+v", c.args, got, c.want)
		}
	}
}
