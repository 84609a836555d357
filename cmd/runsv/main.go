// One runsv runs per service, so its footprint is multiplied. The runtime
// is told not to re-read the cgroup CPU limit (no periodic work, and no
// cgroup files held open); GOMAXPROCS is set by internal/lean.

//go:debug updatemaxprocs=0
//go:debug containermaxprocs=0

// Command runsv supervises one service directory (see package runsv).
package main

import (
	"os"

	"gorunit/runsv"
)

func main() { os.Exit(runsv.Main(os.Args)) }
