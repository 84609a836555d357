//go:build !gorunit_linkname

package spawn

import "syscall"

// Without the build tag gorunit_linkname (go build, go test without
// `make`'s flags) the soft RLIMIT_NOFILE the process started with, which
// the Go runtime raised at start-up, is not known here (it is private to
// package syscall: see rlimit_linkname.go): children started by Start
// keep the raised soft limit, where syscall.ForkExec's get the original.

const rlimitKnown = false

func origRlimitNofile() *syscall.Rlimit { return nil }
