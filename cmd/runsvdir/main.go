// Command runsvdir starts and watches a collection of runsv processes
// (runit-compatible): runsvdir [-P] dir [log].
//
// The runtime does not re-read cgroup CPU limits periodically here
// (updatemaxprocs=0): runsvdir needs one thread of control and should not
// wake up for that.
//
//go:debug updatemaxprocs=0
package main

import (
	"os"

	"gorunit/runsvdir"
)

func main() { os.Exit(runsvdir.Main(os.Args)) }
