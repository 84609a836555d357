// Command svc is daemontools' svc over runit's supervise/ protocol; see
// package gorunit/internal/daemontools.
package main

import (
	"os"

	"gorunit/internal/prog/daemontools"
)

func main() { os.Exit(daemontools.Svc(os.Args)) }
