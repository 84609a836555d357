// Command svlogd is runit's logger; see package gorunit/svlog.
package main

import (
	"os"

	"gorunit/svlog"
)

func main() { os.Exit(svlog.Main(os.Args)) }
