//go:build gorunit_linkname

package spawn

import (
	"sync/atomic"
	"syscall"
	_ "unsafe" // go:linkname
)

// origRlimit is syscall's record of the soft RLIMIT_NOFILE the process
// started with, before the Go runtime raised it (nil if it did not, or if
// syscall.Setrlimit set the limit since). syscall.ForkExec gives it back
// to every child; so does Start. Referring to it needs the linker's
// -checklinkname=0, which `make build` passes with the build tag
// gorunit_linkname.
//
//go:linkname origRlimit syscall.origRlimitNofile
var origRlimit atomic.Pointer[syscall.Rlimit]

// rlimitKnown reports whether this build restores the soft limit.
const rlimitKnown = true

func origRlimitNofile() *syscall.Rlimit { return origRlimit.Load() }
