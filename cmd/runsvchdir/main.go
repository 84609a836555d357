// Command runsvchdir switches runsvdir's service directory
// (internal/prog/runsvchdir).
package main

import (
	"os"

	"gorunit/internal/prog/runsvchdir"
)

func main() { os.Exit(runsvchdir.Main(os.Args)) }
