// Command tai64nlocal converts leading TAI64N stamps ("@" and 24 hex
// digits, as svlogd -t writes them) on standard input to local time on
// standard output; see package gorunit/internal/tai64nlocal.
package main

import (
	"errors"
	"os"
	"time"

	"gorunit/internal/errstr"
	"gorunit/internal/msg"
	"gorunit/internal/prog/tai64nlocal"
)

func main() {
	err := tai64nlocal.Filter(os.Stdin, os.Stdout, time.Local)
	var re tai64nlocal.ReadError
	switch {
	case err == nil:
		os.Exit(0)
	case errors.As(err, &re):
		msg.Die(111, "tai64nlocal: fatal: unable to read input: ", errstr.Str(re.Err))
	default:
		msg.Die(111, "tai64nlocal: fatal: unable to write output: ", errstr.Str(errors.Unwrap(err)))
	}
}
