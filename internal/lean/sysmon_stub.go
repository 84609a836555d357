//go:build !gorunit_linkname

package lean

// Without the build tag gorunit_linkname (go build, go test without
// `make`'s flags) sysmon keeps the runtime's 60 s idle wake-up: see
// sysmon_linkname.go.

const sysmonSleeps = false

func quietSysmon() {}

func sysmonPeriod() int64 { return 0 }

func setSysmonPeriod(int64) {}
