//go:build !amd64

package sigpipe

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

func install(w int, sigs []syscall.Signal) {
	c := make(chan os.Signal, 16)
	for _, s := range sigs {
		signal.Notify(c, s)
	}
	go func() {
		var b [1]byte
		for s := range c {
			b[0] = byte(s.(syscall.Signal))
			unix.Write(w, b[:])
		}
	}()
}
