// Command runit-init is runit's init(8) (internal/prog/runitinit).
package main

import (
	"os"

	"gorunit/internal/prog/runitinit"
)

func main() { os.Exit(runitinit.Main(os.Args)) }
