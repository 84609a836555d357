//go:build gorunit_linkname

package lean

import (
	_ "unsafe" // go:linkname
)

// forcegcperiod is the Go runtime's period of forced collections, which
// also bounds how long its sysmon thread sleeps when every P is idle
// (forcegcperiod/2: sysmon wakes every 60 s, twice: the timed futex wait
// and one 10 ms nanosleep after it). With the collector off there is no
// forced collection to wait for, so a longer period only lets sysmon
// sleep until the process does something again (a system call wakes it,
// as before). It is a plain variable of the runtime ("for testing
// purposes"); referring to it needs the linker's -checklinkname=0, which
// `make build` passes with the build tag gorunit_linkname.
//
//go:linkname forcegcperiod runtime.forcegcperiod
var forcegcperiod int64

// sysmonSleeps reports whether sysmon's idle wake-up is lengthened in this
// build.
const sysmonSleeps = true

// quietSysmon lengthens sysmon's idle sleep; it is called with the
// collector off (quietGC). The runtime reads the variable on its sysmon
// thread at each pass of its loop; an aligned 8-byte store is atomic on
// every 64-bit platform Go supports.
func quietSysmon() { forcegcperiod = quietPeriod }

// sysmonPeriod returns the runtime's forced-collection period.
func sysmonPeriod() int64 { return forcegcperiod }

// setSysmonPeriod sets it (tests restore it).
func setSysmonPeriod(p int64) { forcegcperiod = p }
