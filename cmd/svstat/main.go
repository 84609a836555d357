// Command svstat is daemontools' svstat over runit's supervise/ protocol; see
// package gorunit/internal/daemontools.
package main

import (
	"os"

	"gorunit/internal/prog/daemontools"
)

func main() { os.Exit(daemontools.Svstat(os.Args)) }
