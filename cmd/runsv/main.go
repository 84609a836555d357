// Command runsv supervises one service directory (see package runsv).
package main

import (
	"os"

	"gorunit/runsv"
)

func main() { os.Exit(runsv.Main(os.Args)) }
