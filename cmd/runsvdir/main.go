// Command runsvdir starts and watches a collection of runsv processes
// (runit-compatible): runsvdir [-P] dir [log].
package main

import (
	"os"

	"gorunit/runsvdir"
)

func main() { os.Exit(runsvdir.Main(os.Args)) }
