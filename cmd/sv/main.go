// Command sv controls and reports on services supervised by runsv (see
// internal/sv); as a symlink under another name it is an LSB init script.
package main

import (
	"os"

	"gorunit/internal/prog/sv"
)

func main() { os.Exit(sv.Main(os.Args)) }
