// Command multilog is daemontools' multilog as a personality of svlogd;
// see package gorunit/internal/multilog.
package main

import (
	"os"

	"gorunit/internal/lean"
	"gorunit/internal/prog/multilog"
)

func main() {
	lean.Init() // one per service, like svlogd
	os.Exit(multilog.Main(os.Args))
}
