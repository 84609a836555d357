// Command svlogd is runit's logger; see package gorunit/svlog.
package main

import (
	"os"

	"gorunit/internal/lean"
	"gorunit/svlog"
)

func main() {
	lean.Init() // one per service: GOMAXPROCS=1 and a small heap goal
	os.Exit(svlog.Main(os.Args))
}
