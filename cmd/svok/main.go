// Command svok is daemontools' svok over runit's supervise/ protocol; see
// package gorunit/internal/daemontools.
package main

import (
	"os"

	"gorunit/internal/prog/daemontools"
)

func main() { os.Exit(daemontools.Svok(os.Args)) }
