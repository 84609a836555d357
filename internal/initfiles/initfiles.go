// Package initfiles names the files through which runit-init, the stage
// scripts and process 1 talk (Debian's paths, spec section 2), and
// gorunit's additions beside them.
package initfiles

const (
	Stopit     = "/run/runit.stopit" // owner-executable: SIGCONT means shut down
	Reboot     = "/run/runit.reboot" // owner-executable: reboot rather than halt
	Nosync     = "/etc/runit/nosync" // exists: no sync() before halt or reboot
	CtrlAltDel = "/etc/runit/ctrlaltdel"
	Runit      = "/sbin/runit"

	// Additions: the container's exit code, and the opt-out of
	// container mode.
	Exitcode    = "/run/runit.exitcode"
	NoContainer = "/etc/runit/nocontainer"
)

// Stages are the stage scripts, in order.
var Stages = [3]string{"/etc/runit/1", "/etc/runit/2", "/etc/runit/3"}
