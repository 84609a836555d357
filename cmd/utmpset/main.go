// Command utmpset marks a terminal line logged out in utmp (and, with -w,
// in wtmp), as runit's utmpset.
package main

import (
	"os"
	"time"

	"gorunit/internal/prog/utmpset"
)

func main() {
	os.Exit(utmpset.Main(os.Args, func() int32 { return int32(time.Now().Unix()) }))
}
